"""An existing-workspace stack that serves a model from an online endpoint, under the real engine, against the double.

The model was registered in the workspace before (outside the stack); the stack creates the endpoint, its
deployment and its traffic through azure-ai-ml, keeps the endpoint's keys as secrets (never plaintext in the
state), changes nothing on a second preview, and destroy deletes the deployment, then the endpoint.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi import automation as auto

from tests.azureml_double import AzureMLDouble
from tests.e2e.harness import copy_project, engine_env, resource_error, select_stack, state_text

STACK = "serving"
ENDPOINT = "breast-cancer"


def write_stack(project: Path, double: AzureMLDouble) -> None:
    blue = yaml.safe_load((project / "jobs" / "endpoints" / "blue.yml").read_text())
    blue["model"] = "azureml:breast-cancer-classifier:1"  # registered before, outside the stack
    (project / "jobs" / "endpoints" / "blue.yml").write_text(yaml.safe_dump(blue))
    workspace = {"existing": True, "subscriptionId": double.subscription_id, "resourceGroup": double.resource_group}
    config: dict[str, Any] = {
        "azureml-training:target": "azure",
        "azureml-training:workspace": {**workspace, "name": double.workspace},
        "azureml-training:endpoints": [{"file": "jobs/endpoints/endpoint.yml", "deployments": [{"file": "jobs/endpoints/blue.yml"}]}],
    }
    (project / "stacks" / f"Pulumi.{STACK}.yaml").write_text(yaml.safe_dump({"config": config}))


@pytest.fixture
def stack(tmp_path: Path, aml_double: AzureMLDouble) -> auto.Stack:
    project = copy_project(tmp_path / "project")
    write_stack(project, aml_double)
    aml_double.add_model("breast-cancer-classifier", "1")
    # Each read of an endpoint or deployment moves its operation on, and one step ends it: the provider waits no polls.
    aml_double.auto_tick = True
    aml_double.online.endpoint_ticks = aml_double.online.deployment_ticks = 1
    return select_stack(project, STACK, engine_env(tmp_path / "state", aml_double.subprocess_env()))


def test_an_endpoint_served_on_azure_keeps_its_keys_secret_and_is_destroyed_in_order(
    stack: auto.Stack, aml_double: AzureMLDouble, tmp_path: Path
) -> None:
    up = stack.up()

    keys = aml_double.online.endpoints[ENDPOINT].keys
    assert up.outputs["endpointKeys"].secret
    assert up.outputs["endpointKeys"].value == {ENDPOINT: keys["primary"]}
    served = up.outputs["endpoints"].value[ENDPOINT]
    assert served["scoringUri"] == f"https://{ENDPOINT}.{aml_double.location}.inference.ml.azure.com/score"
    assert served["deployments"] == {"blue": {"model": "breast-cancer-classifier:1"}}
    assert aml_double.online.endpoints[ENDPOINT].body["properties"]["traffic"] == {"blue": 100}
    state = state_text(tmp_path / "state")
    for key in keys.values():
        assert key not in state
    assert keys["primary"] not in json.dumps({name: v.value for name, v in up.outputs.items() if not v.secret})

    aml_double.clear_requests()
    assert set(stack.preview().change_summary) == {"same"}
    assert aml_double.requests == [], "a no-op preview makes no call to Azure ML"

    stack.refresh()
    assert not any(key in state_text(tmp_path / "state") for key in keys.values()), "a refresh keeps the keys secret"
    assert set(stack.preview().change_summary) == {"same"}

    stack.destroy()
    deletes = [r.path.rsplit("/onlineEndpoints/", 1)[1] for r in aml_double.find("DELETE", r"/onlineEndpoints/")]
    assert deletes == [f"{ENDPOINT}/deployments/blue", ENDPOINT]
    assert aml_double.online.endpoints == {}
    stack.workspace.remove_stack(STACK)


def test_a_failed_deployment_fails_up_message_first_with_its_log_and_serves_nothing(stack: auto.Stack, aml_double: AzureMLDouble) -> None:
    log = "loading the model\nModuleNotFoundError: No module named 'sklearn'\n"
    aml_double.online.script_deployment(ENDPOINT, "blue", outcome="Failed", error_message="User container has crashed.", log=log)

    with pytest.raises(auto.CommandError) as failed:
        stack.up()

    error = resource_error(failed.value)
    assert error[0] == (
        f"azureml-training: deployment {ENDPOINT}/blue (serving azureml:breast-cancer-classifier:1) ended Failed: "
        "ResourceNotReady: User container has crashed."
    ), error
    assert "    ModuleNotFoundError: No module named 'sklearn'" in error
    assert "Traceback" not in str(failed.value)
    assert aml_double.online.endpoints[ENDPOINT].body["properties"]["traffic"] == {}, "no traffic to a failed deployment"
    stack.destroy()
    stack.workspace.remove_stack(STACK)


def test_a_new_auth_mode_makes_the_endpoint_its_deployment_and_traffic_again(stack: auto.Stack, aml_double: AzureMLDouble) -> None:
    stack.up()
    endpoint_file = Path(stack.workspace.work_dir) / "jobs" / "endpoints" / "endpoint.yml"
    endpoint = yaml.safe_load(endpoint_file.read_text())
    endpoint_file.write_text(yaml.safe_dump({**endpoint, "auth_mode": "aml_token"}))

    up = stack.up()

    # Azure ML deletes an endpoint's deployments with it: they are made again, and the traffic set on the new endpoint.
    assert up.summary.resource_changes == {"replace": 3, "same": 3}
    assert list(aml_double.online.deployments) == [(ENDPOINT, "blue")]
    served = aml_double.online.endpoints[ENDPOINT].body["properties"]
    assert (served["authMode"], served["traffic"]) == ("AMLToken", {"blue": 100})
    assert up.outputs["endpointKeys"].value == {ENDPOINT: None}
    assert set(stack.preview().change_summary) == {"same"}
    stack.destroy()
    stack.workspace.remove_stack(STACK)
