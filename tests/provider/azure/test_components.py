"""Components: registered from their YAML, read back, archived; a pipeline step naming one runs it."""

from __future__ import annotations

from typing import Any

import pytest

from components.provider.azure.backend import AzureBackend
from tests.azureml_double import AzureMLDouble
from tests.provider.azure.builders import Project, command_job, model_props, workspace

pytestmark = pytest.mark.usefixtures("registered_environment")  # the component runs in azureml:sklearn:1

PIPELINE = "azureml-training-dev-pipeline-1a2b3c"


def component_props(double: AzureMLDouble, project: Project, version: str = "1") -> dict[str, Any]:
    definition = {
        "$schema": "https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json",
        "type": "command",
        "name": "train",
        "code": "src",
        "command": "python train.py --model ${{outputs.model}}",
        "environment": "azureml:sklearn:1",
        "outputs": {"model": {"type": "mlflow_model"}},
    }
    props = {"workspace": workspace(double), "name": "train", "version": version, "definition": definition}
    return props | {"content_hash": "h", "base_dir": project.jobs_dir}


def test_component_is_registered_read_back_and_archived(backend: AzureBackend, aml_double: AzureMLDouble, project: Project) -> None:
    props = component_props(aml_double, project)
    outs = {**props, **backend.put_component(props)}

    assert outs["asset_id"] == "azureml:train:1"
    spec = aml_double.versions["components"]["train"]["1"]["properties"]["componentSpec"]
    assert spec["code"].startswith("azureml:/subscriptions/") and spec["is_deterministic"] == "True"
    assert backend.read_component(outs) == {"asset_id": "azureml:train:1"}
    backend.archive_component(outs)
    assert backend.read_component(outs) is None


def test_a_pipeline_step_naming_a_registered_component_runs_it(backend: AzureBackend, aml_double: AzureMLDouble, project: Project) -> None:
    backend.put_component(component_props(aml_double, project))
    definition = {
        "type": "pipeline",
        "settings": {"default_compute": "azureml:cpu-cluster"},
        "outputs": {"model": {"type": "mlflow_model"}},
        "jobs": {"train": {"type": "command", "component": "azureml:train@latest", "outputs": {"model": "${{parent.outputs.model}}"}}},
    }

    outs = backend.submit_job({**command_job(aml_double, project, name=PIPELINE), "definition": definition})

    step = aml_double.pipeline_steps(PIPELINE)["train"]
    assert (outs["status"], step.status) == ("Completed", "Completed")
    assert step.resource["properties"]["command"] == "python train.py --model ${{outputs.model}}"
    assert outs["outputs"] == {"model": f"azureml://jobs/{PIPELINE}/outputs/model"}
    assert backend.register_model(model_props(aml_double, PIPELINE))["version"] == "1"  # from the pipeline's output
