"""An existing-workspace stack under the real engine, its Azure ML calls served by the loopback double.

Only dynamic resources: the azure-native plugin is never needed. The dynamic-provider host
that the engine starts talks to the double through the real azure-ai-ml SDK.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi import automation as auto

from tests.azureml_double import AzureMLDouble
from tests.e2e.harness import copy_project, engine_env, select_stack, state_text

STACK = "team"
ACCOUNT_KEY = "c2VjcmV0LWtleS1vZi10aGUtdHJhaW5pbmctc3RvcmU="


def write_stack(project: Path, double: AzureMLDouble) -> None:
    (project / "data").mkdir()
    (project / "data" / "sample.csv").write_text("radius,label\n1.0,0\n2.0,1\n")
    (project / "data" / "sample.yml").write_text("name: sample\ntype: uri_file\npath: ./sample.csv\n")
    (project / "data" / "trainingstore.yml").write_text(
        "name: trainingstore\ntype: azure_blob\naccount_name: devstoreaccount1\ncontainer_name: training\n"
    )
    workspace = {"existing": True, "subscriptionId": double.subscription_id, "resourceGroup": double.resource_group}
    config: dict[str, Any] = {
        "azureml-training:target": "azure",
        "azureml-training:workspace": {**workspace, "name": double.workspace},
        "azureml-training:environments": [{"file": "jobs/environment.yml"}],
        "azureml-training:datastores": [{"file": "data/trainingstore.yml", "credentials": {"account_key": "trainingKey"}}],
        "azureml-training:data": [{"file": "data/sample.yml"}],
        "azureml-training:jobs": [
            {"file": "jobs/train-job.yml", "key": "train", "wait": False},
            {"file": "jobs/sweep-job.yml", "key": "sweep", "wait": False},
        ],
    }
    (project / "stacks" / f"Pulumi.{STACK}.yaml").write_text(yaml.safe_dump({"config": config}))


@pytest.fixture
def stack(tmp_path: Path, aml_double: AzureMLDouble) -> auto.Stack:
    project = copy_project(tmp_path / "project")
    write_stack(project, aml_double)
    aml_double.add_compute("cpu-cluster")  # the existing workspace's cluster the example jobs run on
    env = engine_env(tmp_path / "state", aml_double.subprocess_env())
    selected = select_stack(project, STACK, env)
    selected.set_config("azureml-training:trainingKey", auto.ConfigValue(ACCOUNT_KEY, secret=True))
    return selected


def job_states(stack: auto.Stack) -> dict[str, dict[str, Any]]:
    resources = stack.export_stack().deployment["resources"]
    return {r["outputs"]["key"]: r["outputs"] for r in resources if r["type"].endswith("azureml:Job")}


def test_existing_workspace_stack_lifecycle_against_the_double(stack: auto.Stack, aml_double: AzureMLDouble, tmp_path: Path) -> None:
    up = stack.up()
    jobs = up.outputs["jobs"].value
    assert set(jobs) == {"train", "sweep"}
    assert len(aml_double.find("PUT", r"/jobs/[^/]+$")) == 2
    assert aml_double.find("PUT", r"/datastores/trainingstore$")
    assert ACCOUNT_KEY not in state_text(tmp_path / "state")
    assert ACCOUNT_KEY not in json.dumps({k: v.value for k, v in up.outputs.items()})

    for job in jobs.values():
        assert aml_double.run_to_completion(job["name"]) == "Completed"
    stack.refresh()
    assert {state["status"] for state in job_states(stack).values()} == {"Completed"}

    aml_double.clear_requests()
    preview = stack.preview()
    assert set(preview.change_summary) == {"same"}
    assert aml_double.requests == [], "a no-op preview makes no call to Azure ML"

    stack.destroy()
    assert len(aml_double.find("PUT", r"/jobs/[^/]+$")) == 0, "destroy submits nothing"
    assert aml_double.find("DELETE", r"/datastores/trainingstore$")
    stack.workspace.remove_stack(STACK)
