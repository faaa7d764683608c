"""Role assignments: built-in roles, exact scopes and principals, deterministic names."""

from __future__ import annotations

import uuid

from components.infra import rbac
from tests.unit.harness import ASSIGNMENT, COMPUTE, DEPLOYER, IDENTITY, REGISTRY, STORAGE, SUBSCRIPTION, Run, components_program, run_stack


def role_id(role: str) -> str:
    return f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{role}"


def grants(run: Run) -> set[tuple[str, str, str, str | None]]:
    """(role, scope, principal, principal type) of every assignment."""
    return {
        (r.inputs["roleDefinitionId"], r.inputs["scope"], r.inputs["principalId"], r.inputs.get("principalType"))
        for r in run.of_type(ASSIGNMENT)
    }


def cluster_identity(run: Run) -> str:
    """The principal of the one cluster's user-assigned identity (the identity attached to the compute)."""
    (attached,) = run.one(COMPUTE).inputs["identity"]["userAssignedIdentities"]
    (identity,) = [r for r in run.of_type(IDENTITY) if r.id == attached]
    return identity.state["principalId"]


def test_role_constants_are_the_azure_built_in_role_ids() -> None:
    assert rbac.STORAGE_BLOB_DATA_READER == "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
    assert rbac.STORAGE_BLOB_DATA_CONTRIBUTOR == "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
    assert rbac.ACR_PULL == "7f951dda-4ed3-4680-a7ca-43fe172d538d"


def test_dev_grants_exactly_the_cluster_and_the_deployer_blob_access(dev: Run) -> None:
    storage = dev.one(STORAGE).id
    assert grants(dev) == {
        (role_id(rbac.STORAGE_BLOB_DATA_CONTRIBUTOR), storage, cluster_identity(dev), "ServicePrincipal"),
        (role_id(rbac.STORAGE_BLOB_DATA_CONTRIBUTOR), storage, DEPLOYER, None),
    }


def test_prod_cluster_also_pulls_from_the_registry(prod: Run) -> None:
    assert (role_id(rbac.ACR_PULL), prod.one(REGISTRY).id, cluster_identity(prod), "ServicePrincipal") in grants(prod)
    assert len(grants(prod)) == 3


def test_storage_role_reader_grants_blob_data_reader() -> None:
    run = run_stack("dev", {"compute.0.storageRole": "Reader"}, program=components_program)
    assert (role_id(rbac.STORAGE_BLOB_DATA_READER), run.one(STORAGE).id, cluster_identity(run), "ServicePrincipal") in grants(run)


def test_each_cluster_gets_its_own_grants() -> None:
    run = run_stack("prod", {"compute": [{"name": "cpu-cluster"}, {"name": "gpu", "storageRole": "Reader"}]}, program=components_program)
    principals = {r.state["principalId"] for r in run.of_type(IDENTITY)}
    granted = {principal for _, _, principal, kind in grants(run) if kind == "ServicePrincipal"}
    assert granted == principals
    assert len(run.of_type(ASSIGNMENT)) == 5  # two per cluster, one for the deployer


def test_assignment_names_are_uuid5_of_scope_principal_and_role(dev: Run) -> None:
    for assignment in dev.of_type(ASSIGNMENT):
        inputs = assignment.inputs
        role = inputs["roleDefinitionId"].rsplit("/", 1)[-1]
        assert inputs["roleAssignmentName"] == rbac.assignment_name(inputs["scope"], inputs["principalId"], role)
        assert uuid.UUID(inputs["roleAssignmentName"]).version == 5


def test_assignment_names_are_stable_across_runs(dev: Run) -> None:
    again = run_stack("dev", program=components_program)
    names = [{r.inputs["roleAssignmentName"] for r in run.of_type(ASSIGNMENT)} for run in (dev, again)]
    assert names[0] == names[1]


def test_assignment_names_differ_by_scope_principal_and_role() -> None:
    base = rbac.assignment_name("/scope", "principal", rbac.ACR_PULL)
    assert base == rbac.assignment_name("/SCOPE", "PRINCIPAL", rbac.ACR_PULL), "ARM ids and GUIDs compare case-insensitively"
    assert len({base, rbac.assignment_name("/other", "principal", rbac.ACR_PULL)}) == 2
    assert len({base, rbac.assignment_name("/scope", "other", rbac.ACR_PULL)}) == 2
    assert len({base, rbac.assignment_name("/scope", "principal", rbac.STORAGE_BLOB_DATA_READER)}) == 2


def test_assignments_belong_to_the_component_that_needs_them(prod: Run) -> None:
    parents = {r.name: r.parent.rsplit("::", 1)[-1] for r in prod.of_type(ASSIGNMENT)}
    assert parents == {
        "aml-deployer-blob-contributor": "aml",
        "cpu-cluster-storage-blob-contributor": "cpu-cluster",
        "cpu-cluster-acr-pull": "cpu-cluster",
    }
