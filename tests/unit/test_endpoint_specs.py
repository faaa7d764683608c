"""Endpoints and deployments: loaded with azure-ai-ml's loaders, checked across their files before anything is registered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from components.spec.preflight import check_stack
from components.spec.settings import StackSettings
from tests.unit.stacks import refusal, stack, write

ENDPOINT = {"name": "scorer", "auth_mode": "key", "description": "scores", "tags": {"team": "ml"}}
BLUE = {"name": "blue", "endpoint_name": "scorer", "model": "azureml:clf@latest", "instance_type": "Standard_DS3_v2", "instance_count": 1}
GREEN = {**BLUE, "name": "green"}
MODELS = [{"name": "clf", "job": "pipeline", "output": "final"}]


@pytest.fixture
def project(stack_project: Path) -> Path:
    write(stack_project, "jobs/endpoints/endpoint.yml", ENDPOINT)
    write(stack_project, "jobs/endpoints/blue.yml", BLUE)
    write(stack_project, "jobs/endpoints/green.yml", GREEN)
    return stack_project


def serving(target: str = "local", models: list[dict[str, Any]] | None = None, **endpoint: Any) -> StackSettings:
    entry = {"file": "jobs/endpoints/endpoint.yml", "deployments": [{"file": "jobs/endpoints/blue.yml"}], **endpoint}
    return stack(target, models=MODELS if models is None else models, endpoints=[entry])


BOTH = [{"file": "jobs/endpoints/blue.yml"}, {"file": "jobs/endpoints/green.yml"}]


def test_a_sound_endpoint_passes(project: Path) -> None:
    check_stack(serving(deployments=BOTH, traffic={"blue": 80, "green": 20}, mirrorTraffic={}), "dev", project)


def test_an_endpoint_yaml_is_validated_by_azure_ml_loader(project: Path) -> None:
    write(project, "jobs/endpoints/endpoint.yml", {**ENDPOINT, "auth_mode": "password"})
    assert refusal(project, serving()).startswith("jobs/endpoints/endpoint.yml: auth_mode: Value 'password' passed is not in set")


def test_a_deployment_yaml_is_validated_by_azure_ml_loader(project: Path) -> None:
    write(project, "jobs/endpoints/blue.yml", {**BLUE, "instance_count": "two"})
    assert refusal(project, serving()) == "jobs/endpoints/blue.yml: instance_count: Not a valid integer."


def test_traffic_may_name_only_listed_deployments(project: Path) -> None:
    assert refusal(project, serving(traffic={"green": 100})) == (
        "jobs/endpoints/endpoint.yml: azureml-training:endpoints[0].traffic: 'green' is not a deployment of endpoint 'scorer' "
        "(deployments: blue)"
    )


def test_traffic_sums_to_100_or_0(project: Path) -> None:
    assert refusal(project, serving(deployments=BOTH, traffic={"blue": 50, "green": 20})) == (
        "jobs/endpoints/endpoint.yml: azureml-training:endpoints[0].traffic: the shares sum to 70 (blue: 50, green: 20); "
        "they must sum to 100, or to 0 to serve nothing yet"
    )
    check_stack(serving(deployments=BOTH, traffic={"blue": 0}), "dev", project)


def test_two_deployments_of_one_name_are_refused(project: Path) -> None:
    write(project, "jobs/endpoints/green.yml", BLUE)
    assert refusal(project, serving(deployments=BOTH)) == (
        "jobs/endpoints/endpoint.yml: azureml-training:endpoints[0].deployments: two deployments are named 'blue'; "
        "each deployment of an endpoint needs its own name"
    )


@pytest.mark.parametrize("name", ["ab", "1scorer", "scorer_one", "a" * 33])
def test_endpoint_names_follow_azure_ml_rule(project: Path, name: str) -> None:
    write(project, "jobs/endpoints/endpoint.yml", {**ENDPOINT, "name": name})
    write(project, "jobs/endpoints/blue.yml", {**BLUE, "endpoint_name": name})
    assert refusal(project, serving()) == (
        f"jobs/endpoints/endpoint.yml: name: {name!r} is not a valid endpoint name: "
        "3-32 letters, digits and hyphens, starting with a letter"
    )


def test_a_deployment_names_the_endpoint_it_is_listed_under(project: Path) -> None:
    write(project, "jobs/endpoints/blue.yml", {**BLUE, "endpoint_name": "other"})
    assert refusal(project, serving()) == (
        "jobs/endpoints/blue.yml: endpoint_name: 'other' is not the endpoint it is listed under ('scorer', jobs/endpoints/endpoint.yml)"
    )


def test_a_no_code_deployment_needs_an_mlflow_model(project: Path) -> None:
    custom = [{**MODELS[0], "type": "custom_model"}]
    assert refusal(project, serving(models=custom)) == (
        "jobs/endpoints/blue.yml: model: clf is a custom_model; a deployment without code_configuration and environment "
        "needs an mlflow_model"
    )


def test_locally_a_deployment_serves_a_model_of_the_stack(project: Path) -> None:
    write(project, "jobs/endpoints/blue.yml", {**BLUE, "model": "azureml:elsewhere:3"})
    assert refusal(project, serving()) == (
        "jobs/endpoints/blue.yml: model: 'azureml:elsewhere:3' is not a model of this stack; the local target serves the stack's "
        "models (models: clf)"
    )


def test_locally_a_code_deployment_passes(project: Path) -> None:
    write(project, "jobs/src/score.py", "def init(): pass\n")
    write(project, "jobs/endpoints/conda.yml", {"dependencies": ["python=3.11", {"pip": ["scikit-learn"]}]})
    environment = {"image": "mcr.microsoft.com/azureml/minimal-ubuntu22.04-py311-cpu-inference", "conda_file": "conda.yml"}
    code = {"code_configuration": {"code": "../src", "scoring_script": "score.py"}, "environment": environment}
    write(project, "jobs/endpoints/blue.yml", {**BLUE, **code})
    check_stack(serving(), "local", project)


def test_locally_keys_authenticate(project: Path) -> None:
    write(project, "jobs/endpoints/endpoint.yml", {**ENDPOINT, "auth_mode": "aml_token"})
    assert refusal(project, serving()).startswith("jobs/endpoints/endpoint.yml: auth_mode: aml_token endpoints are served only on Azure ML")


def test_mirrored_traffic_goes_to_a_deployment_without_live_traffic(project: Path) -> None:
    assert refusal(project, serving(deployments=BOTH, traffic={"blue": 100}, mirrorTraffic={"blue": 10})) == (
        "jobs/endpoints/endpoint.yml: azureml-training:endpoints[0].mirrorTraffic: 'blue' takes live traffic; "
        "a deployment receives live or mirrored traffic, not both"
    )


def test_a_lone_deployment_takes_all_traffic_by_default(project: Path) -> None:
    from components.spec.specs import SpecLoader

    settings = serving()
    spec = SpecLoader(project, "stacks/Pulumi.dev.yaml").endpoint(0, settings.endpoints[0])
    assert (spec.name, spec.traffic, [d.name for d in spec.deployments]) == ("scorer", {"blue": 100}, ["blue"])
    two = SpecLoader(project, "stacks/Pulumi.dev.yaml").endpoint(0, serving(deployments=BOTH).endpoints[0])
    assert two.traffic == {}


def test_two_endpoints_of_one_name_are_refused(project: Path) -> None:
    write(project, "jobs/endpoints/again.yml", ENDPOINT)
    entries = [
        {"file": file, "deployments": [{"file": "jobs/endpoints/blue.yml"}]}
        for file in ("jobs/endpoints/endpoint.yml", "jobs/endpoints/again.yml")
    ]
    assert refusal(project, stack("local", models=MODELS, endpoints=entries)) == (
        "jobs/endpoints/again.yml: name: 'scorer' is also the name of the endpoint in jobs/endpoints/endpoint.yml; "
        "each endpoint needs its own"
    )


def test_at_most_half_the_traffic_is_mirrored(project: Path) -> None:
    assert refusal(project, serving(deployments=BOTH, traffic={"blue": 100}, mirrorTraffic={"green": 60})) == (
        "jobs/endpoints/endpoint.yml: azureml-training:endpoints[0].mirrorTraffic: 60% mirrored; Azure ML mirrors at most 50%"
    )


def test_a_deployment_names_its_model(project: Path) -> None:
    write(project, "jobs/endpoints/blue.yml", {k: v for k, v in BLUE.items() if k != "model"})
    assert refusal(project, serving()) == (
        "jobs/endpoints/blue.yml: model: required (the registered model this deployment serves, azureml:<name>@latest)"
    )


def test_on_azure_a_code_deployment_of_a_model_outside_the_stack_passes(project: Path) -> None:
    write(project, "jobs/src/score.py", "def init(): pass\n")
    code = {"code_configuration": {"code": "../src", "scoring_script": "score.py"}, "environment": "azureml:py@latest"}
    write(project, "jobs/endpoints/blue.yml", {**BLUE, **code, "model": "azureml://registries/azureml/models/clf/versions/3"})
    check_stack(serving("existing-workspace"), "dev", project)


def test_on_azure_a_managed_deployment_needs_an_instance_type(project: Path) -> None:
    write(project, "jobs/endpoints/blue.yml", {k: v for k, v in BLUE.items() if k != "instance_type"})
    assert refusal(project, serving("existing-workspace")).startswith("jobs/endpoints/blue.yml: ")
    assert "instance_type" in refusal(project, serving("existing-workspace"))


def test_a_deployments_local_code_is_hashed_so_new_code_updates_it(project: Path) -> None:
    from components.spec.specs import SpecLoader

    write(project, "jobs/src/score.py", "def init(): pass\n")
    write(project, "jobs/endpoints/blue.yml", {**BLUE, "code_configuration": {"code": "../src", "scoring_script": "score.py"}})
    entry = serving("existing-workspace").endpoints[0]
    first = SpecLoader(project, "stacks/Pulumi.dev.yaml").endpoint(0, entry).deployments[0]
    write(project, "jobs/src/score.py", "def init(): print('changed')\n")
    second = SpecLoader(project, "stacks/Pulumi.dev.yaml").endpoint(0, entry).deployments[0]

    assert (first.base_dir, second.base_dir) == ("jobs/endpoints", "jobs/endpoints")
    assert first.code_hash and second.code_hash and first.code_hash != second.code_hash


def test_a_kubernetes_deployment_needs_a_kubernetes_endpoint(project: Path) -> None:
    write(project, "jobs/endpoints/blue.yml", {**BLUE, "type": "kubernetes", "instance_type": "defaultinstancetype"})
    assert refusal(project, serving("existing-workspace")) == (
        "jobs/endpoints/blue.yml: type: kubernetes, but endpoint 'scorer' (jobs/endpoints/endpoint.yml) is managed (no compute:); "
        "drop type, or give the endpoint its Kubernetes compute"
    )


def test_a_kubernetes_endpoint_takes_kubernetes_deployments(project: Path) -> None:
    write(project, "jobs/endpoints/endpoint.yml", {**ENDPOINT, "compute": "azureml:k8s"})
    assert refusal(project, serving("existing-workspace")) == (
        "jobs/endpoints/blue.yml: type: managed, but endpoint 'scorer' (jobs/endpoints/endpoint.yml) runs on Kubernetes (compute:); "
        "set type: kubernetes"
    )
    write(project, "jobs/endpoints/blue.yml", {**BLUE, "type": "kubernetes", "instance_type": "defaultinstancetype"})
    check_stack(serving("existing-workspace"), "dev", project)
