"""Azure ML registries under mocks: created from the YAML with secure defaults and tags, or named as existing; the
deploying principal and every cluster's identity get AzureML Registry User on each, once."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from components.infra import rbac
from components.infra.registry import public_network_access, replication_locations
from tests.unit.arm_rules import check_inputs
from tests.unit.harness import ASSIGNMENT, DEPLOYER, IDENTITY, ML_REGISTRY, SUBSCRIPTION, Run, run_stack

SHARED = {"registries": [{"file": "jobs/registries/shared.yml"}], "models.0.registry": "shared"}
EXISTING = {"registries": [{"name": "team-models", "existing": True, "resourceGroup": "rg-platform"}], "models.0.registry": "team-models"}


def registry_user_grants(run: Run) -> list[tuple[str, str]]:
    """(scope, principal) of every AzureML Registry User assignment."""
    role = f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{rbac.AZUREML_REGISTRY_USER}"
    return [(r.inputs["scope"], r.inputs["principalId"]) for r in run.of_type(ASSIGNMENT) if r.inputs["roleDefinitionId"] == role]


@pytest.fixture(scope="module")
def prod() -> Run:
    """Two clusters, so two identities besides the deployer."""
    return run_stack("prod", {**SHARED, "compute": [{"name": "cpu-cluster"}, {"name": "gpu-cluster", "storageRole": "Reader"}]})


def test_the_registry_is_created_from_its_yaml_with_the_stacks_tags(prod: Run) -> None:
    registry = prod.one(ML_REGISTRY)
    inputs = registry.inputs
    assert (inputs["registryName"], inputs["location"]) == ("shared", "westeurope")
    assert inputs["tags"] == {"project": "azureml-training", "stack": "prod", "managed-by": "pulumi", "purpose": "promotion"}
    assert inputs["identity"] == {"type": "SystemAssigned"}
    assert [region["location"] for region in inputs["regionDetails"]] == ["westeurope"]


def test_the_registry_closes_to_the_internet_and_its_storage_to_anonymous_reads(prod: Run) -> None:
    inputs = prod.one(ML_REGISTRY).inputs
    assert inputs["publicNetworkAccess"] == "Disabled"
    (storage,) = inputs["regionDetails"][0]["storageAccountDetails"]
    assert storage["systemCreatedStorageAccount"]["allowBlobPublicAccess"] is False


def test_public_access_is_opened_only_when_the_yaml_says_so() -> None:
    assert public_network_access({}) == "Disabled"
    assert public_network_access({"public_network_access": "disabled"}) == "Disabled"
    assert public_network_access({"public_network_access": "enabled"}) == "Enabled"


def test_the_primary_location_is_replicated_first_and_once() -> None:
    definition: dict[str, Any] = {"location": "westeurope", "replication_locations": [{"location": "eastus"}, {"location": "westeurope"}]}
    assert replication_locations(definition) == ["westeurope", "eastus"]


def test_the_deployer_and_every_cluster_identity_use_the_registry_once_each(prod: Run) -> None:
    registry = prod.one(ML_REGISTRY).id
    identities = {r.state["principalId"] for r in prod.of_type(IDENTITY)}
    grants = registry_user_grants(prod)
    assert set(grants) == {(registry, DEPLOYER), *((registry, principal) for principal in identities)}
    assert len(identities) == 2
    assert max(Counter(grants).values()) == 1, "a second assignment of a role at a scope is refused (RoleAssignmentExists)"


def test_no_assignment_of_the_stack_is_made_twice(prod: Run) -> None:
    keys = [(r.inputs["scope"], r.inputs["principalId"], r.inputs["roleDefinitionId"]) for r in prod.of_type(ASSIGNMENT)]
    names = [r.inputs["roleAssignmentName"] for r in prod.of_type(ASSIGNMENT)]
    assert len(set(keys)) == len(keys) and len(set(names)) == len(names)


def test_sharing_waits_for_the_registry_and_the_roles_on_it(prod: Run) -> None:
    shared = prod.named("shared-breast-cancer-classifier")
    assignments = {r.urn for r in prod.of_type(ASSIGNMENT) if r.name.startswith("registry-shared-")}
    assert assignments and assignments <= set(shared.dependencies)


def test_an_existing_registry_is_not_created_but_its_users_are_granted_on_it() -> None:
    run = run_stack("dev", EXISTING)
    assert not run.of_type(ML_REGISTRY)
    scope = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-platform/providers/Microsoft.MachineLearningServices/registries/team-models"
    assert {s for s, _ in registry_user_grants(run)} == {scope}
    assert (scope, DEPLOYER) in registry_user_grants(run)
    assert len(registry_user_grants(run)) == 2  # the deployer and dev's one cluster


def test_an_existing_workspace_grants_the_deployer_only() -> None:
    workspace = {"existing": True, "subscriptionId": SUBSCRIPTION, "resourceGroup": "rg-team", "name": "team-ws"}
    run = run_stack("dev", {**EXISTING, "workspace": workspace, "compute": []})
    assert [principal for _, principal in registry_user_grants(run)] == [DEPLOYER]


def test_the_registry_inputs_are_what_the_azure_native_sdk_takes(prod: Run) -> None:
    check = check_inputs(prod.one(ML_REGISTRY))
    assert check.violations == []
    assert "registry-shared-registry.identity.type" in check.enums_checked
