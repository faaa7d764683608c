"""The local stack's endpoint under mocks: endpoint, deployments, then traffic; the stack's model version served."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.failed_dependencies import NOT_DEPLOYED
from components.provider.providers import EndpointProvider
from tests.unit.harness import REPO, Registered, Run, run_stack


@pytest.fixture(scope="module")
def run() -> Run:
    return run_stack("local")


def one(run: Run, kind: str) -> Registered:
    (found,) = [r for r in run.resources if r.type.endswith(f"azureml:{kind}")]
    return found


def test_a_deployment_serves_the_exact_version_the_stack_registered(run: Run) -> None:
    deployment = one(run, "OnlineDeployment")
    assert deployment.inputs["model"] == "azureml:breast-cancer-classifier:7"
    assert "model" not in deployment.inputs["definition"]
    assert run.named("model-breast-cancer-classifier").urn in deployment.dependencies


def test_deployments_wait_for_the_endpoint_and_traffic_for_the_deployments(run: Run) -> None:
    assert one(run, "OnlineEndpoint").urn in one(run, "OnlineDeployment").dependencies
    traffic = one(run, "OnlineEndpointTraffic")
    assert one(run, "OnlineDeployment").urn in traffic.dependencies
    assert (traffic.inputs["name"], traffic.inputs["traffic"]) == ("breast-cancer", {"blue": 100})


def test_the_endpoint_is_loaded_from_its_yaml(run: Run) -> None:
    endpoint = one(run, "OnlineEndpoint")
    assert (endpoint.inputs["name"], endpoint.inputs["definition"]["auth_mode"]) == ("breast-cancer", "key")


def test_the_outputs_describe_the_endpoint_and_its_key(run: Run) -> None:
    assert run.exports["endpoints"] == {
        "breast-cancer": {
            "scoringUri": "http://127.0.0.1:5001/score",
            "traffic": {"blue": 100},
            "deployments": {"blue": {"model": "breast-cancer-classifier:7"}},
        }
    }
    assert run.exports["endpointKeys"] == {"breast-cancer": "primary-key"}


def test_the_endpoint_keys_are_secret_outputs_of_the_resource(run: Run) -> None:
    assert set(one(run, "OnlineEndpoint").secret_outputs) == {"primary_key", "secondary_key"}


def test_a_pinned_version_of_a_stack_model_is_kept_and_waited_for(tmp_path: Path) -> None:
    pinned = tmp_path / "pinned.yml"
    pinned.write_text((REPO / "jobs/endpoints/blue.yml").read_text().replace("@latest", ":2"))
    endpoint = {"file": "jobs/endpoints/endpoint.yml", "deployments": [{"file": str(pinned)}]}
    pinned_run = run_stack("local", overrides={"endpoints": [endpoint], "externalPaths": [str(tmp_path)]})
    deployment = one(pinned_run, "OnlineDeployment")
    assert deployment.inputs["model"] == "azureml:breast-cancer-classifier:2"
    assert pinned_run.named("model-breast-cancer-classifier").urn in deployment.dependencies


def test_the_deployment_of_a_model_that_failed_is_skipped_and_the_outputs_say_so() -> None:
    failed = run_stack("local", failing=("model-breast-cancer-classifier",))
    deployment = one(failed, "OnlineDeployment")
    assert failed.named("model-breast-cancer-classifier").urn in deployment.dependencies, "the engine skips the deployment"
    assert deployment.inputs["model"] == f"azureml:breast-cancer-classifier:{NOT_DEPLOYED}"
    assert failed.exports["endpoints"]["breast-cancer"]["deployments"] == {"blue": {"model": None}}
    assert failed.exports["endpoints"]["breast-cancer"]["scoringUri"] == "http://127.0.0.1:5001/score", "the endpoint is deployed"


def test_locally_deployments_and_traffic_are_made_again_with_their_endpoint(run: Run) -> None:
    """Replacing the local endpoint removes its folder, deployments' servers included: they carry its incarnation."""
    incarnation = EndpointProvider.incarnation(one(run, "OnlineEndpoint").inputs["definition"])
    assert one(run, "OnlineDeployment").inputs["endpoint_incarnation"] == incarnation
    assert one(run, "OnlineEndpointTraffic").inputs["endpoint_incarnation"] == incarnation
