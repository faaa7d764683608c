"""The dev, prod and a private stack's Azure graph, read with ARM's rules the mocks don't enforce.

- Global names: storage accounts, vaults and registries share one namespace across Azure
  (https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules).
- Role assignments: ARM refuses a second assignment of one role to one principal at one scope
  under another name, `RoleAssignmentExists`
  (https://learn.microsoft.com/azure/role-based-access-control/troubleshooting).
- Tags: every resource type that takes tags gets the stack's.
- Enums: every enum-typed input holds one of the SDK's values, case-sensitively (tests/unit/arm_rules.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from tests.unit.arm_rules import Check, check_inputs, is_taggable
from tests.unit.harness import ASSIGNMENT, IDENTITY, REGISTRY, STORAGE, VAULT, Run, components_program, run_stack

CLUSTER = "azureml-training:index:ComputeCluster"
OTHER_SUBSCRIPTION = "11111111-1111-4111-8111-111111111111"
STACK_TAGS = {"project": "azureml-training", "managed-by": "pulumi"}


@pytest.fixture(scope="module")
def graphs(dev: Run, prod: Run) -> dict[str, Run]:
    """dev (public), prod (private, approved outbound, registry) and prod with two clusters and its own rules."""
    rules = {"opendatasets": {"type": "ServiceTag", "destination": {"serviceTag": "AzureOpenDatasets"}}}
    many = run_stack(
        "prod",
        {"compute": [{"name": "cpu-cluster"}, {"name": "gpu", "storageRole": "Reader"}], "workspace.outboundRules": rules},
        program=components_program,
    )
    return {"dev": dev, "prod": prod, "prod-two-clusters": many}


STACKS = ["dev", "prod", "prod-two-clusters"]


def run_stack_name(stack: str) -> str:
    """The stack file a graph was run from (`prod-two-clusters` is prod with overrides)."""
    return stack.split("-", 1)[0]


@pytest.mark.parametrize("stack", STACKS)
def test_every_taggable_resource_carries_the_stack_tags(graphs: dict[str, Run], stack: str) -> None:
    run = graphs[stack]
    taggable = [r for r in run.azure if is_taggable(r.type)]
    assert {r.type.rsplit(":", 1)[-1] for r in taggable} >= {"Compute", "UserAssignedIdentity", "Workspace", "StorageAccount", "Vault"}
    for resource in taggable:
        tags = resource.inputs.get("tags") or {}
        assert tags.items() >= {**STACK_TAGS, "stack": run_stack_name(stack)}.items(), resource.name


@pytest.mark.parametrize("stack", STACKS)
def test_no_two_role_assignments_share_principal_role_and_scope(graphs: dict[str, Run], stack: str) -> None:
    assignments = graphs[stack].of_type(ASSIGNMENT)
    # ARM ids and GUIDs compare case-insensitively.
    keys = Counter(
        (r.inputs["principalId"].lower(), r.inputs["roleDefinitionId"].rsplit("/", 1)[-1].lower(), r.inputs["scope"].lower())
        for r in assignments
    )
    assert [key for key, count in keys.items() if count > 1] == []
    assert len({r.inputs["roleAssignmentName"] for r in assignments}) == len(assignments)


@pytest.mark.parametrize("stack", STACKS)
def test_every_cluster_role_targets_the_clusters_user_assigned_identity(graphs: dict[str, Run], stack: str) -> None:
    run = graphs[stack]
    for cluster in run.of_type(CLUSTER):
        (identity,) = [r for r in run.of_type(IDENTITY) if r.parent == cluster.urn]
        grants = [r for r in run.of_type(ASSIGNMENT) if r.parent == cluster.urn]
        assert grants, cluster.name
        assert {r.inputs["principalId"] for r in grants} == {identity.state["principalId"]}, cluster.name
        assert {r.inputs["principalType"] for r in grants} == {"ServicePrincipal"}


@pytest.mark.parametrize("stack", STACKS)
def test_no_role_assignment_targets_a_system_assigned_identity(graphs: dict[str, Run], stack: str) -> None:
    """Azure ML grants a system identity (the workspace's, a cluster's) what it needs itself; a grant of ours would duplicate it."""
    run = graphs[stack]
    system = {
        r.state["identity"]["principalId"]
        for r in run.azure
        if isinstance(r.state.get("identity"), dict) and "SystemAssigned" in str(r.state["identity"].get("type"))
    }
    assert system, "the workspace keeps its system-assigned identity"
    assert not system & {r.inputs["principalId"] for r in run.of_type(ASSIGNMENT)}


@pytest.mark.parametrize("stack", STACKS)
def test_every_input_is_one_the_sdk_defines_and_every_enum_value_a_member(graphs: dict[str, Run], stack: str) -> None:
    check = Check()
    for resource in graphs[stack].azure:
        check_inputs(resource, check)
    assert check.violations == []
    # The walk reaches nested enums (a cluster's VM priority, an outbound rule's category), not only top-level ones.
    assert {"aml-mlw.identity.type", "aml-st.kind"} <= set(check.enums_checked)
    assert any(path.endswith(".properties.properties.vmPriority") for path in check.enums_checked)


def test_prod_outbound_rules_are_walked_through_their_discriminated_types(graphs: dict[str, Run]) -> None:
    check = Check()
    for resource in graphs["prod-two-clusters"].azure:
        check_inputs(resource, check)
    assert "aml-mlw.managedNetwork.outboundRules.opendatasets.destination.action" in check.enums_checked
    assert "aml-mlw.managedNetwork.outboundRules.pypi.category" in check.enums_checked


def test_the_walk_refuses_an_enum_value_in_the_wrong_case(dev: Run) -> None:
    workspace = next(r for r in dev.azure if r.type.endswith("machinelearningservices:Workspace"))
    wrong = replace(workspace, inputs={**workspace.inputs, "identity": {"type": "systemAssigned"}})
    assert check_inputs(wrong).violations == [
        "aml-mlw.identity.type: 'systemAssigned' is not one of ['None', 'SystemAssigned', 'SystemAssigned,UserAssigned', 'UserAssigned']"
    ]


def test_the_walk_refuses_an_input_the_resource_does_not_have(dev: Run) -> None:
    account = dev.one(STORAGE)
    wrong = replace(account, inputs={**account.inputs, "allowSharedKeyAcess": False})
    assert check_inputs(wrong).violations == ["aml-st.allowSharedKeyAcess: not an input of StorageAccountArgs"]


def test_the_walk_refuses_a_compute_of_no_known_type(dev: Run) -> None:
    compute = next(r for r in dev.azure if r.type.endswith(":Compute"))
    properties = {**compute.inputs["properties"], "computeType": "AmlCluster"}
    wrong = replace(compute, inputs={**compute.inputs, "properties": properties})
    (violation,) = check_inputs(wrong).violations
    assert violation.startswith("cpu-cluster-compute.properties: matches no single one of")


def global_names(run: Run) -> tuple[str, str, str]:
    return (run.one(STORAGE).inputs["accountName"], run.one(VAULT).inputs["vaultName"], run.one(REGISTRY).inputs["registryName"])


def test_two_subscriptions_deploying_the_same_stack_register_different_global_names(prod: Run) -> None:
    elsewhere = run_stack("prod", program=components_program, subscription=OTHER_SUBSCRIPTION)
    assert all(a != b for a, b in zip(global_names(prod), global_names(elsewhere), strict=True))


def test_the_same_subscription_registers_the_same_global_names_every_run(prod: Run) -> None:
    assert global_names(run_stack("prod", program=components_program)) == global_names(prod)


def test_derived_global_names_defer_to_the_state_so_a_deployed_stack_keeps_its_account_and_vault(prod: Run) -> None:
    """An existing stack's storage account, vault and registry were named by the old scheme: the engine keeps those."""
    assert prod.one(STORAGE).ignore_changes == ("accountName",)
    assert prod.one(VAULT).ignore_changes == ("vaultName",)
    assert prod.one(REGISTRY).ignore_changes == ("registryName",)


def test_names_set_in_the_stack_file_are_applied_even_to_an_existing_resource() -> None:
    names = {"storageAccount": "stmine0001", "keyVault": "kv-mine-0001", "containerRegistry": "crmine0001"}
    run = run_stack("prod", {"workspace.names": names}, program=components_program)
    assert global_names(run) == ("stmine0001", "kv-mine-0001", "crmine0001")
    assert [run.one(t).ignore_changes for t in (STORAGE, VAULT, REGISTRY)] == [(), (), ()]
