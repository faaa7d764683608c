"""A small project in a temporary folder, checked as the program checks a stack before registering anything.

Its pipeline follows azureml-examples `pipelines-with-components`: a local component
(`components/scale.yml`), an inline command step, a nested pipeline component
(`components/inner.yml`) and a component the stack registers (`components/shared.yml`,
`azureml:shared_scale@latest`), all in the stack's environment `py`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from components.spec.preflight import check_stack
from components.spec.settings import SettingsError, StackSettings
from tests.unit.harness import SUBSCRIPTION

EXISTING = {"existing": True, "subscriptionId": SUBSCRIPTION, "resourceGroup": "team-rg", "name": "team-ws"}
TARGETS = {
    "local": {"target": "local"},
    "existing-workspace": {"target": "azure", "workspace": EXISTING},
    "created-workspace": {"target": "azure", "workspace": {"location": "westeurope", "publicNetworkAccess": "Enabled"}},
}

SCALE = {
    "type": "command",
    "name": "scale",
    "inputs": {"source": {"type": "uri_folder"}, "factor": {"type": "number", "default": 2}},
    "outputs": {"result": {"type": "uri_folder"}},
    "code": "../src",
    "environment": "azureml:py@latest",
    "command": "python run.py ${{inputs.source}} ${{inputs.factor}} ${{outputs.result}}",
}
SHARED = {
    **SCALE,
    "name": "shared_scale",
    "outputs": {"scaled": {"type": "uri_folder"}},
    "command": SCALE["command"].replace("result", "scaled"),
}
INNER = {
    "type": "pipeline",
    "name": "inner",
    "inputs": {"source": {"type": "uri_folder"}},
    "outputs": {"result": {"type": "uri_folder"}},
    "jobs": {
        "twice": {"component": "./scale.yml", "inputs": {"source": "${{parent.inputs.source}}"}},
        "again": {
            "component": "./scale.yml",
            "inputs": {"source": "${{parent.jobs.twice.outputs.result}}"},
            "outputs": {"result": "${{parent.outputs.result}}"},
        },
    },
}
PIPELINE = {
    "type": "pipeline",
    "settings": {"default_compute": "azureml:cpu-cluster"},
    "inputs": {"factor": 3},
    "outputs": {"final": {"type": "uri_folder"}},
    "jobs": {
        "start": {
            "type": "command",
            "code": "./src",
            "environment": "azureml:py@latest",
            "command": "python run.py - ${{inputs.factor}} ${{outputs.result}}",
            "inputs": {"factor": "${{parent.inputs.factor}}"},
            "outputs": {"result": None},
        },
        "scale": {"component": "./components/scale.yml", "inputs": {"source": "${{parent.jobs.start.outputs.result}}"}},
        "nested": {
            "type": "pipeline",
            "component": "./components/inner.yml",
            "inputs": {"source": "${{parent.jobs.scale.outputs.result}}"},
        },
        "shared": {
            "component": "azureml:shared_scale@latest",
            "inputs": {"source": "${{parent.jobs.nested.outputs.result}}"},
            "outputs": {"scaled": "${{parent.outputs.final}}"},
        },
    },
}


def write(project: Path, relative: str, body: Any) -> None:
    path = project / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body if isinstance(body, str) else yaml.safe_dump(body, sort_keys=False))


def make_project(root: Path) -> Path:
    """The sound project, written under `root`."""
    write(root, "jobs/src/run.py", "print('run')\n")
    write(root, "jobs/environment.yml", {"name": "py", "image": "python:3.11", "conda_file": "conda.yml"})
    write(root, "jobs/conda.yml", {"name": "py", "dependencies": ["python=3.11", {"pip": ["mlflow"]}]})
    write(root, "jobs/components/scale.yml", SCALE)
    write(root, "jobs/components/shared.yml", SHARED)
    write(root, "jobs/components/inner.yml", INNER)
    write(root, "jobs/pipeline.yml", PIPELINE)
    return root


def stack(target: str, **keys: Any) -> StackSettings:
    base = {
        "environments": [{"file": "jobs/environment.yml"}],
        "components": [{"file": "jobs/components/shared.yml"}],
        "jobs": [{"file": "jobs/pipeline.yml", "key": "pipeline"}],
    }
    return StackSettings.model_validate({**TARGETS[target], **base, **keys})


def refusal(project: Path, settings: StackSettings, stack_name: str = "dev") -> str:
    """The one line the program stops with, less the stack file that starts it."""
    with pytest.raises(SettingsError) as refused:
        check_stack(settings, stack_name, project)
    line = str(refused.value)
    assert "\n" not in line
    return line.removeprefix(f"stacks/Pulumi.{stack_name}.yaml: ")
