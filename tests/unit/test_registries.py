"""Registries and promotion in the program, under mocks: lab shares its model, serve takes it `from` lab.

Preview refuses, in one line, what `up` could not do: a `from` stack that does not export the model, a model
not shared to a registry, a registry the stack does not declare, a `registry:` on a model with no job.
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.runtime import config as runtime_config

from components.provider.providers import DeploymentProvider, RegistryModelProvider, SharedModelProvider
from components.spec.settings import SettingsError, load_settings
from tests.unit.harness import REPO, STACK_REFERENCE, Registered, Run, run_stack

LAB = "organization/azureml-training/lab"
SHARED_URI = "azureml://registries/shared/models/breast-cancer-classifier/versions/{}"


def lab_outputs(registry_version: str = "4", registry: str | None = "shared") -> dict[str, Any]:
    """What `pulumi stack output models` of lab holds after an `up` that shared the model."""
    model: dict[str, Any] = {"version": "2", "uri": "models:/breast-cancer-classifier/2"}
    if registry:
        model |= {"registry": registry, "registryVersion": registry_version, "registryUri": SHARED_URI.format(registry_version)}
    return {"models": {"breast-cancer-classifier": model}, "jobs": {}}


def one(run: Run, kind: str) -> Registered:
    (found,) = [r for r in run.resources if r.type.endswith(f"azureml:{kind}")]
    return found


@pytest.fixture(scope="module")
def lab() -> Run:
    return run_stack("lab")


@pytest.fixture(scope="module")
def serve() -> Run:
    return run_stack("serve", stacks={LAB: lab_outputs()})


def test_lab_shares_the_version_it_registered_once_registered(lab: Run) -> None:
    shared = one(lab, "SharedModel")
    model = lab.named("model-breast-cancer-classifier")
    assert (shared.inputs["registry"], shared.inputs["name"], shared.inputs["version"]) == ("shared", "breast-cancer-classifier", "7")
    assert model.urn in shared.dependencies


def test_lab_exports_the_registry_and_its_version_for_other_stacks(lab: Run) -> None:
    exported = lab.exports["models"]["breast-cancer-classifier"]
    assert {key: value for key, value in exported.items() if key != "uri"} == {
        "version": "7",
        "registry": "shared",
        "registryVersion": "3",
        "registryUri": SHARED_URI.format(3),
    }


def test_serve_trains_nothing_and_takes_the_exact_registry_version(serve: Run) -> None:
    assert not [r for r in serve.resources if r.type.endswith(("azureml:Job", "azureml:Model", "azureml:Environment"))]
    taken = one(serve, "RegistryModel")
    assert (taken.inputs["registry"], taken.inputs["name"], taken.inputs["version"]) == ("shared", "breast-cancer-classifier", "4")
    assert serve.exports["models"]["breast-cancer-classifier"]["registryVersion"] == "4"


def test_serve_reads_lab_through_a_stack_reference(serve: Run) -> None:
    (reference,) = [r for r in serve.resources if r.type == STACK_REFERENCE]
    assert reference.inputs["name"] == LAB


def test_serve_serves_the_registry_uri_and_waits_for_the_model(serve: Run) -> None:
    deployment = one(serve, "OnlineDeployment")
    assert deployment.inputs["model"] == SHARED_URI.format(4)
    assert one(serve, "RegistryModel").urn in deployment.dependencies
    assert serve.exports["endpoints"]["breast-cancer"]["deployments"]["blue"]["model"] == SHARED_URI.format(4)


def test_a_newly_promoted_version_updates_the_model_and_its_deployment_in_place() -> None:
    before = run_stack("serve", stacks={LAB: lab_outputs("4")})
    after = run_stack("serve", stacks={LAB: lab_outputs("5")})
    olds, news = one(before, "RegistryModel").inputs, one(after, "RegistryModel").inputs
    model_diff = RegistryModelProvider().diff("shared/breast-cancer-classifier", olds, news)
    assert (model_diff.changes, model_diff.replaces) == (True, [])
    deployment_diff = DeploymentProvider().diff(
        "breast-cancer/blue", one(before, "OnlineDeployment").inputs, one(after, "OnlineDeployment").inputs
    )
    assert (deployment_diff.changes, deployment_diff.replaces) == (True, [])


def test_a_retrained_version_is_shared_again_as_a_new_registry_version() -> None:
    olds = {"workspace": {"target": "local"}, "registry": "shared", "name": "m", "version": "1"}
    diff = SharedModelProvider().diff("shared/m:1", olds, {**olds, "version": "2"})
    assert diff.replaces == ["version"]


def refusal(stack: str, overrides: dict[str, Any] | None = None, stacks: dict[str, Any] | None = None) -> str:
    with pytest.raises(SettingsError) as caught:
        run_stack(stack, overrides, stacks=stacks)
    return str(caught.value)


def test_preview_refuses_a_from_stack_that_does_not_exist() -> None:
    assert refusal("serve", stacks={}) == (
        "stacks/Pulumi.serve.yaml: azureml-training:models[0].from: stack organization/azureml-training/lab cannot be read "
        'from this state backend (unknown stack "organization/azureml-training/lab"); `pulumi up` it first'
    )


def test_preview_refuses_a_from_stack_that_does_not_export_the_model() -> None:
    outputs = {"models": {"other": lab_outputs()["models"]["breast-cancer-classifier"]}}
    assert refusal("serve", stacks={LAB: outputs}) == (
        "stacks/Pulumi.serve.yaml: azureml-training:models[0].from: stack organization/azureml-training/lab exports no model "
        "'breast-cancer-classifier' (its models: other)"
    )


def test_preview_refuses_a_model_its_stack_did_not_share() -> None:
    message = refusal("serve", stacks={LAB: lab_outputs(registry=None)})
    assert message.endswith(
        "model 'breast-cancer-classifier' of stack organization/azureml-training/lab is not shared to a registry; "
        "give it `registry: <name>` in that stack"
    )


def test_preview_refuses_a_taken_model_in_a_registry_the_stack_does_not_declare() -> None:
    message = refusal("serve", {"registries": [{"name": "other", "existing": True}]}, stacks={LAB: lab_outputs()})
    assert message == (
        "stacks/Pulumi.serve.yaml: azureml-training:models[0].from: model 'breast-cancer-classifier' of stack "
        "organization/azureml-training/lab is in registry 'shared', which this stack does not declare "
        "(add {name: shared, existing: true} to azureml-training:registries)"
    )


def test_preview_refuses_sharing_to_a_registry_the_stack_does_not_declare() -> None:
    assert refusal("lab", {"models.0.registry": "prod"}) == (
        "stacks/Pulumi.lab.yaml: azureml-training:models[0].registry: 'prod' is not a registry of this stack "
        "(registries: shared; declare it, or name an existing one with existing: true)"
    )


def test_preview_refuses_a_registry_on_a_model_with_no_job() -> None:
    overrides = {"models.0.registry": "shared"}
    assert refusal("serve", overrides, stacks={LAB: lab_outputs()}) == (
        "stacks/Pulumi.serve.yaml: azureml-training:models[0]: registry: a model with no job has no version of its own to share "
        "(it is taken from)"
    )


def test_preview_refuses_a_model_with_neither_job_nor_from() -> None:
    message = refusal("serve", {"models": [{"name": "breast-cancer-classifier"}]})
    assert message.endswith("models[0]: job: required (a job key of this stack), or from: {stack, model} to take a shared model")


def test_preview_refuses_a_stack_reference_that_is_not_org_project_stack() -> None:
    message = refusal("serve", {"models.0.from.stack": "lab"})
    assert message.startswith("stacks/Pulumi.serve.yaml: azureml-training:models[0].from.stack: String should match pattern")


def test_preview_refuses_two_registries_of_one_name() -> None:
    registries = [{"file": "jobs/registries/shared.yml"}, {"name": "shared", "existing": True}]
    assert refusal("lab", {"registries": registries}) == (
        "stacks/Pulumi.lab.yaml: azureml-training:registries[1]: name: 'shared' is also azureml-training:registries[0]'s"
    )


def test_an_existing_registry_on_azure_needs_its_resource_group() -> None:
    overrides = {"registries": [{"name": "shared", "existing": True}], "models.0.registry": "shared"}
    message = refusal("dev", overrides)
    assert message == (
        "stacks/Pulumi.dev.yaml: azureml-training:registries[0].resourceGroup: required for an existing registry on Azure "
        "(the stack grants itself roles on it)"
    )


def test_a_local_stack_may_not_take_the_registries_folders_name() -> None:
    runtime_config.set_all_config({"azureml-training:target": "local"}, [])
    try:
        with pytest.raises(SettingsError) as caught:
            load_settings(stack="registries", root=REPO)
    finally:
        runtime_config.set_all_config({}, [])
    assert str(caught.value) == (
        "stacks/Pulumi.registries.yaml: azureml-training:local.root: <root>/registries holds the local registries; "
        "give the stack another name"
    )
