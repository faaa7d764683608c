"""The whole program (`__main__.py`) per stack: what reaches Azure, and what stops before anything does."""

from __future__ import annotations

from typing import Any

import pytest

from components.spec.settings import SettingsError
from tests.unit.harness import SUBSCRIPTION, last_run, run_stack

EXISTING = {
    "target": "azure",
    "workspace": {"existing": True, "subscriptionId": SUBSCRIPTION, "resourceGroup": "team-rg", "name": "team-ws"},
}
SUBNET = "/subscriptions/s/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/training"


def test_dev_stack_creates_one_workspace_with_its_dependencies_and_one_cluster_with_its_identity() -> None:
    run = run_stack("dev")
    assert sorted(r.type.split(":", 1)[1] for r in run.azure) == [
        "applicationinsights:Component",
        "authorization:RoleAssignment",
        "authorization:RoleAssignment",
        "keyvault:Vault",
        "machinelearningservices:Compute",
        "machinelearningservices:Workspace",
        "managedidentity:UserAssignedIdentity",
        "operationalinsights:Workspace",
        "resources:ResourceGroup",
        "storage:StorageAccount",
    ]


def test_prod_stack_adds_a_registry_and_the_clusters_pull_grant() -> None:
    run = run_stack("prod")
    assert len(run.of_type("azure-native:containerregistry:Registry")) == 1
    assert len(run.of_type("azure-native:authorization:RoleAssignment")) == 3


def test_dev_purges_on_destroy_and_protects_nothing() -> None:
    run = run_stack("dev")
    assert {r.type: (r.before_delete, r.after_delete) for r in run.azure if r.before_delete or r.after_delete} == {
        "azure-native:machinelearningservices:Workspace": (("aml-purge-workspace",), ()),
        "azure-native:keyvault:Vault": ((), ("aml-purge-key-vault",)),
    }
    assert not any(r.protect for r in run.resources)


def test_prod_protects_and_never_purges() -> None:
    run = run_stack("prod")
    assert {r.type for r in run.resources if r.protect} == {
        "azure-native:machinelearningservices:Workspace",
        "azure-native:storage:StorageAccount",
        "azure-native:keyvault:Vault",
    }
    assert not any(r.before_delete or r.after_delete for r in run.resources)
    assert run.one("azure-native:keyvault:Vault").inputs["properties"]["enablePurgeProtection"] is True


def test_program_exports_the_workspace_outputs() -> None:
    exported = run_stack("dev").exports["workspace"]
    assert exported["workspaceName"] == "mlw-azureml-training-dev"
    assert exported["studioUrl"].startswith("https://ml.azure.com/?wsid=/subscriptions/")
    assert exported["mlflowTrackingUri"].startswith("azureml://westeurope.api.azureml.ms/mlflow/v1.0/subscriptions/")


def test_local_stack_registers_no_azure_resource_and_asks_azure_nothing() -> None:
    run = run_stack("local")
    assert run.azure == []
    assert run.calls == []


def test_existing_workspace_stack_registers_no_azure_resource_and_asks_azure_nothing() -> None:
    run = run_stack("dev", config=EXISTING)
    assert run.azure == []
    assert run.calls == []
    assert not any(r.type.startswith("azureml-training:index:") and r.type != "azureml-training:index:MlAssets" for r in run.resources)


BAD_VALUES: list[tuple[str, dict[str, Any], str]] = [
    ("minNodes above maxNodes", {"compute.0.minNodes": 3}, "compute[0]: minNodes (3) is greater than maxNodes (2)"),
    ("no nodes at all", {"compute.0.maxNodes": 0}, "compute[0].maxNodes: Input should be greater than or equal to 1 (got 0)"),
    (
        "unknown priority",
        {"compute.0.lowPriority": "sometimes"},
        "compute[0].lowPriority: Input should be a valid boolean, unable to interpret input (got 'sometimes')",
    ),
    (
        "negative idle time",
        {"compute.0.idleSecondsBeforeScaleDown": -1},
        "compute[0].idleSecondsBeforeScaleDown: Input should be greater than or equal to 0 (got -1)",
    ),
    (
        "unknown storage role",
        {"compute.0.storageRole": "Owner"},
        "compute[0].storageRole: Input should be 'Reader' or 'Contributor' (got 'Owner')",
    ),
    (
        "cluster name Azure rejects",
        {"compute.0.name": "9-lives"},
        "compute[0].name: '9-lives' is not a valid name: 2-16 letters, digits and hyphens, starting with a letter",
    ),
    (
        "vm size that is no vm size",
        {"compute.0.vmSize": "DS3_v2"},
        "compute[0].vmSize: 'DS3_v2' is not a valid name: an Azure VM size such as Standard_DS3_v2",
    ),
    (
        "subnet id of a virtual network",
        {"compute.0.subnetId": SUBNET.rsplit("/subnets/", 1)[0]},
        f"compute[0].subnetId: {SUBNET.rsplit('/subnets/', 1)[0]!r} is not a subnet resource id",
    ),
    (
        "storage account name with capitals",
        {"workspace.names.storageAccount": "MyStorage"},
        "workspace.names.storageAccount: 'MyStorage' is not a valid name: 3-24 lowercase letters and digits",
    ),
    (
        "key vault name with a double hyphen",
        {"workspace.names.keyVault": "kv--x"},
        "workspace.names.keyVault: 'kv--x' is not a valid name: 3-24 letters, digits and single hyphens, starting with a letter",
    ),
    (
        "registry name with a hyphen",
        {"workspace.names.containerRegistry": "cr-x1"},
        "workspace.names.containerRegistry: 'cr-x1' is not a valid name: 5-50 letters and digits",
    ),
    (
        "workspace name too long",
        {"workspace.name": "w" * 34},
        f"workspace.name: {'w' * 34!r} is not a valid name: 3-33 letters, digits, '-' or '_', starting with a letter or digit",
    ),
    (
        "unknown isolation mode",
        {"workspace.isolationMode": "Open"},
        "workspace.isolationMode: Input should be 'Disabled', 'AllowInternetOutbound' or 'AllowOnlyApprovedOutbound' (got 'Open')",
    ),
    (
        "purge protection with purge on destroy",
        {"workspace.purgeProtection": True},
        "workspace: purgeOnDestroy and purgeProtection exclude each other: a purge-protected vault cannot be purged",
    ),
    (
        "existing resource group without its name",
        {"workspace.existingResourceGroup": True},
        "workspace: existingResourceGroup: true needs resourceGroup (the group to deploy into)",
    ),
    (
        "two different resource group names",
        {"workspace.resourceGroup": "rg-a", "workspace.names.resourceGroup": "rg-b"},
        "workspace: resourceGroup ('rg-a') and names.resourceGroup ('rg-b') disagree: set one",
    ),
    (
        "no location for a new workspace",
        {"workspace.location": None},
        "workspace.location is required to create a workspace (or set workspace.existing: true)",
    ),
]


@pytest.mark.parametrize(("overrides", "message"), [case[1:] for case in BAD_VALUES], ids=[case[0] for case in BAD_VALUES])
def test_a_bad_value_stops_the_program_with_one_line_before_anything_is_registered(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingsError) as raised:
        run_stack("dev", overrides)
    assert str(raised.value) == f"stacks/Pulumi.dev.yaml: azureml-training:{message}"
    assert last_run[0].resources == []
    assert last_run[0].calls == []
