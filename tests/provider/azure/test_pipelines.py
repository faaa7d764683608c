"""Pipeline jobs and components through the Azure backend, against the double.

The pipeline is a YAML definition as the stack hands it over (components/assets.py): a step
using a local component YAML, an inline command step, and a step naming a component the stack
registered (`azureml:<name>:<version>`). azure-ai-ml registers the local ones as anonymous
components, as `az ml job create` does, before the job's PUT.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import yaml

from components.provider.azure.backend import AzureBackend
from components.provider.azure.errors import JobFailedError
from tests.azureml_double import AzureMLDouble
from tests.provider.azure.builders import Project, workspace

PIPELINE = "azureml-training-dev-pipeline-0a1b2c"
pytestmark = pytest.mark.usefixtures("registered_environment")  # the steps name azureml:sklearn:1


def component_definition(name: str) -> dict[str, Any]:
    return {
        "type": "command",
        "name": name,
        "version": "1",
        "code": "src",
        "command": "python train.py --data ${{inputs.data}} --model ${{outputs.model}}",
        "environment": "azureml:sklearn:1",
        "inputs": {"data": {"type": "uri_folder"}},
        "outputs": {"model": {"type": "mlflow_model"}},
    }


def component_props(double: AzureMLDouble, project: Project, name: str) -> dict[str, Any]:
    props = {"workspace": workspace(double), "name": name, "version": "1", "definition": component_definition(name)}
    return props | {"content_hash": "h", "base_dir": project.jobs_dir}


def pipeline_props(double: AzureMLDouble, project: Project, train_component: str = "./train.yml") -> dict[str, Any]:
    (project.root / "jobs" / "train.yml").write_text(yaml.safe_dump(component_definition("train")))
    definition = {
        "type": "pipeline",
        "experiment_name": "tests",
        "settings": {"default_compute": "azureml:cpu-cluster"},
        "outputs": {"model": {"type": "mlflow_model"}},
        "jobs": {
            "prep_job": {
                "type": "command",
                "code": "src",
                "command": "python train.py --out ${{outputs.prepared}}",
                "environment": "azureml:sklearn:1",
                "outputs": {"prepared": {"type": "uri_folder"}},
            },
            "train_job": {
                "component": train_component,
                "inputs": {"data": "${{parent.jobs.prep_job.outputs.prepared}}"},
                "outputs": {"model": "${{parent.outputs.model}}"},
            },
        },
    }
    props = {"workspace": workspace(double), "key": "pipeline", "name": PIPELINE, "name_prefix": "azureml-training-dev"}
    props |= {"definition": definition, "base_dir": project.jobs_dir, "experiment": None, "rerun": 0}
    return props | {"wait": True, "timeout_minutes": 10, "on_delete": "archive", "steps.train_job.code_hash": "h"}


def test_a_pipeline_with_a_local_component_runs_its_steps_and_returns_its_outputs(
    backend: AzureBackend, aml_double: AzureMLDouble, project: Project
) -> None:
    outs = backend.submit_job(pipeline_props(aml_double, project))

    assert outs["status"] == "Completed"
    assert outs["outputs"] == {"model": f"azureml://jobs/{PIPELINE}/outputs/model"}
    assert len(aml_double.find("PUT", r"/components/azureml_anonymous/versions/[^/]+$", status=201)) == 2
    steps = aml_double.pipeline_steps(PIPELINE)
    assert {name: step.status for name, step in steps.items()} == {"prep_job": "Completed", "train_job": "Completed"}
    assert steps["train_job"].started > steps["prep_job"].ended


def test_a_step_naming_a_component_the_stack_registered_uses_that_version(
    backend: AzureBackend, aml_double: AzureMLDouble, project: Project
) -> None:
    # The session's double outlives the test, and a version never changes: a name of this test's own.
    name = f"shared_train_{uuid.uuid4().hex[:8]}"
    registered = backend.put_component(component_props(aml_double, project, name))
    assert registered == {"asset_id": f"azureml:{name}:1"}
    assert backend.read_component({"name": name, "version": "1"}) == registered

    outs = backend.submit_job(pipeline_props(aml_double, project, train_component=registered["asset_id"]))

    assert outs["status"] == "Completed"
    body = aml_double.find("PUT", rf"/jobs/{PIPELINE}$")[0].body["properties"]
    assert body["jobs"]["train_job"]["componentId"].endswith(f"/components/{name}/versions/1")


def test_a_failed_step_fails_the_pipeline_with_the_steps_message_first_and_its_log(
    backend: AzureBackend, aml_double: AzureMLDouble, project: Project
) -> None:
    log = "reading rows\nTraceback (most recent call last):\nValueError: no rows to prepare\n"
    aml_double.script_next_job(steps={"prep_job": {"outcome": "Failed", "error_message": "no rows to prepare", "log": log}})

    with pytest.raises(JobFailedError) as failed:
        backend.submit_job(pipeline_props(aml_double, project))

    lines = str(failed.value).splitlines()
    assert lines[0] == f"job {PIPELINE} ended Failed: step prep_job failed: UserError: no rows to prepare"
    assert any(line.startswith("  the pipeline reported: ") and "Failed nodes: /prep_job" in line for line in lines)
    tail = lines.index("  last 3 lines of user_logs/std_log.txt:")
    assert lines[tail + 1 : tail + 4] == [
        "    reading rows",
        "    Traceback (most recent call last):",
        "    ValueError: no rows to prepare",
    ]
    assert aml_double.pipeline_steps(PIPELINE)["train_job"].status == "Canceled"


def test_models_are_registered_from_a_pipeline_output_and_from_a_step_output(
    backend: AzureBackend, aml_double: AzureMLDouble, project: Project
) -> None:
    backend.submit_job(pipeline_props(aml_double, project))
    step_run = aml_double.pipeline_steps(PIPELINE)["train_job"].name
    for name, output, run in (("piped", "model", PIPELINE), ("stepped", "train_job.model", step_run)):
        props = {"workspace": workspace(aml_double), "name": name, "job_name": PIPELINE, "output": output, "type": "mlflow_model"}
        assert backend.register_model(props | {"description": None, "definition": {}})["version"] == "1"
        registered = aml_double.find("PUT", rf"/models/{name}/versions/1$")[0].body["properties"]
        assert registered["modelUri"] == f"azureml://jobs/{run}/outputs/model"
