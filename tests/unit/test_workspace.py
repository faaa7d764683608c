"""The Workspace component: secure defaults, links, network, protection and outputs."""

from __future__ import annotations

import pytest

from components.infra.naming import global_suffix
from components.spec.settings import SettingsError
from tests.unit.harness import (
    DEPLOYER,
    INSIGHTS,
    LOGS,
    REGISTRY,
    RG,
    STORAGE,
    SUBSCRIPTION,
    TENANT,
    VAULT,
    WORKSPACE,
    Run,
    components_program,
    run_stack,
)

COMPONENT = "azureml-training:index:Workspace"
SUBNET = "/subscriptions/s/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/endpoints"


def test_storage_account_takes_only_entra_id_over_tls12_and_https(dev: Run) -> None:
    account = dev.one(STORAGE).inputs
    assert account["kind"] == "StorageV2"
    assert account["minimumTlsVersion"] == "TLS1_2"
    assert account["enableHttpsTrafficOnly"] is True
    assert account["allowBlobPublicAccess"] is False
    assert account["allowCrossTenantReplication"] is False
    assert account["allowSharedKeyAccess"] is False
    assert account["defaultToOAuthAuthentication"] is True


def test_shared_key_access_is_on_only_when_the_stack_asks() -> None:
    run = run_stack("dev", {"workspace.storageSharedKeyAccess": True}, program=components_program)
    assert run.one(STORAGE).inputs["allowSharedKeyAccess"] is True


def test_key_vault_authorizes_with_rbac_and_keeps_soft_delete_in_the_deployers_tenant(dev: Run) -> None:
    properties = dev.one(VAULT).inputs["properties"]
    assert properties["enableRbacAuthorization"] is True
    assert properties["enableSoftDelete"] is True
    assert properties["tenantId"] == TENANT
    assert properties["sku"] == {"family": "A", "name": "standard"}


def test_purge_protection_is_switched_on_in_prod_and_left_unset_in_dev(dev: Run, prod: Run) -> None:
    assert "enablePurgeProtection" not in dev.one(VAULT).inputs["properties"]
    assert prod.one(VAULT).inputs["properties"]["enablePurgeProtection"] is True


def test_workspace_has_a_system_identity_and_reads_its_datastores_by_identity(dev: Run) -> None:
    workspace = dev.one(WORKSPACE).inputs
    assert workspace["kind"] == "Default"
    assert workspace["identity"] == {"type": "SystemAssigned"}
    assert workspace["systemDatastoresAuthMode"] == "Identity"


def test_workspace_links_the_storage_vault_and_application_insights_it_created(dev: Run) -> None:
    workspace = dev.one(WORKSPACE).inputs
    assert workspace["storageAccount"] == dev.one(STORAGE).id
    assert workspace["keyVault"] == dev.one(VAULT).id
    assert workspace["applicationInsights"] == dev.one(INSIGHTS).id
    assert "containerRegistry" not in workspace


def test_application_insights_is_workspace_based_on_the_log_analytics_workspace(dev: Run) -> None:
    insights = dev.one(INSIGHTS).inputs
    assert insights["workspaceResourceId"] == dev.one(LOGS).id
    assert insights["ingestionMode"] == "LogAnalytics"
    assert dev.one(LOGS).inputs["sku"] == {"name": "PerGB2018"}


def test_dev_workspace_is_public_without_a_managed_network(dev: Run) -> None:
    workspace = dev.one(WORKSPACE).inputs
    assert workspace["publicNetworkAccess"] == "Enabled"
    assert workspace["managedNetwork"]["isolationMode"] == "Disabled"


def test_prod_workspace_is_private_with_only_approved_outbound(prod: Run) -> None:
    workspace = prod.one(WORKSPACE).inputs
    assert workspace["publicNetworkAccess"] == "Disabled"
    assert workspace["managedNetwork"]["isolationMode"] == "AllowOnlyApprovedOutbound"


def test_public_network_access_defaults_to_disabled() -> None:
    run = run_stack("dev", {"workspace": {"location": "westeurope", "privateEndpoint": {"subnetId": SUBNET}}}, program=components_program)
    assert run.one(WORKSPACE).inputs["publicNetworkAccess"] == "Disabled"


def test_container_registry_is_created_only_when_asked(dev: Run, prod: Run) -> None:
    assert dev.of_type(REGISTRY) == []
    assert prod.one(WORKSPACE).inputs["containerRegistry"] == prod.one(REGISTRY).id


def test_container_registry_never_has_an_admin_user(prod: Run) -> None:
    assert prod.one(REGISTRY).inputs["adminUserEnabled"] is False


def test_registry_is_premium_in_a_managed_network_and_basic_without_one(prod: Run) -> None:
    assert prod.one(REGISTRY).inputs["sku"] == {"name": "Premium"}
    basic = run_stack("dev", {"workspace.containerRegistry": True}, program=components_program)
    assert basic.one(REGISTRY).inputs["sku"] == {"name": "Basic"}


def test_protect_guards_the_workspace_storage_and_vault_only(prod: Run) -> None:
    protected = {r.type for r in prod.resources if r.protect}
    assert protected == {WORKSPACE, STORAGE, VAULT}


def test_nothing_is_protected_without_protect(dev: Run) -> None:
    assert [r.name for r in dev.resources if r.protect] == []


def test_resources_are_named_by_the_naming_rules(dev: Run) -> None:
    assert dev.one(RG).inputs["resourceGroupName"] == "rg-azureml-training-dev"
    assert dev.one(WORKSPACE).inputs["workspaceName"] == "mlw-azureml-training-dev"
    tag = global_suffix(SUBSCRIPTION, "rg-azureml-training-dev", "azureml-training", "dev")
    assert dev.one(STORAGE).inputs["accountName"] == f"stazuremltraidev{tag}"
    assert dev.one(VAULT).inputs["vaultName"] == f"kv-azureml-dev-{tag}"
    assert dev.one(LOGS).inputs["workspaceName"] == "log-azureml-training-dev"
    assert dev.one(INSIGHTS).inputs["resourceName"] == "appi-azureml-training-dev"


def test_long_project_and_stack_names_still_give_names_azure_accepts() -> None:
    run = run_stack("dev", program=components_program, project="a-rather-long-project-name-for-azure-machine-learning")
    assert len(run.one(STORAGE).inputs["accountName"]) == 24
    assert len(run.one(VAULT).inputs["vaultName"]) == 24
    assert len(run.one(WORKSPACE).inputs["workspaceName"]) <= 33


def test_every_resource_goes_into_the_resource_group_in_the_stack_location(dev: Run) -> None:
    for resource in dev.azure:
        if resource.type == RG:
            assert resource.inputs["location"] == "westeurope"
        elif "location" in resource.inputs:
            assert resource.inputs["resourceGroupName"] == "rg-azureml-training-dev", resource.name
            assert resource.inputs["location"] == "westeurope", resource.name


def test_an_existing_resource_group_is_used_not_created() -> None:
    run = run_stack("dev", {"workspace.existingResourceGroup": True, "workspace.resourceGroup": "team-rg"}, program=components_program)
    assert run.of_type(RG) == []
    assert run.one(WORKSPACE).inputs["resourceGroupName"] == "team-rg"
    assert run.result["outputs"]["resourceGroup"] == "team-rg"


def test_every_child_belongs_to_the_component(dev: Run) -> None:
    component = dev.one(COMPONENT)
    children = [r for r in dev.resources if r.parent == component.urn]
    assert {r.type for r in children} >= {RG, LOGS, INSIGHTS, VAULT, STORAGE, WORKSPACE}
    assert all(r.parent for r in dev.azure)


def test_tags_name_project_and_stack_and_add_the_stacks_own() -> None:
    run = run_stack("dev", {"workspace.tags": {"owner": "ml-team"}}, program=components_program)
    expected = {"project": "azureml-training", "stack": "dev", "managed-by": "pulumi", "owner": "ml-team"}
    assert run.one(WORKSPACE).inputs["tags"] == expected
    assert run.one(STORAGE).inputs["tags"] == expected


def test_friendly_name_and_hbi_follow_the_settings(dev: Run) -> None:
    assert dev.one(WORKSPACE).inputs["friendlyName"] == "mlw-azureml-training-dev"
    assert dev.one(WORKSPACE).inputs["hbiWorkspace"] is False
    run = run_stack("dev", {"workspace.friendlyName": "Team ML", "workspace.hbi": True}, program=components_program)
    assert (run.one(WORKSPACE).inputs["friendlyName"], run.one(WORKSPACE).inputs["hbiWorkspace"]) == ("Team ML", True)


def test_attributes_give_the_ids_names_and_urls_callers_need(dev: Run) -> None:
    workspace_id = dev.one(WORKSPACE).id
    assert dev.result["attributes"] == {
        "subscription_id": SUBSCRIPTION,
        "resource_group_name": "rg-azureml-training-dev",
        "workspace_name": "mlw-azureml-training-dev",
        "workspace_id": workspace_id,
        "studio_url": f"https://ml.azure.com/?wsid={workspace_id}",
        "mlflow_tracking_uri": f"azureml://westeurope.api.azureml.ms/mlflow/v1.0{workspace_id}",
        "storage_account_name": dev.one(STORAGE).inputs["accountName"],
    }


def test_outputs_to_export_hold_names_ids_and_urls_but_no_keys(dev: Run, prod: Run) -> None:
    assert set(dev.result["outputs"]) == {
        "subscriptionId",
        "resourceGroup",
        "location",
        "workspaceName",
        "workspaceId",
        "studioUrl",
        "mlflowTrackingUri",
        "storageAccountName",
        "keyVaultName",
    }
    assert prod.result["outputs"]["containerRegistryName"] == prod.one(REGISTRY).inputs["registryName"]


def test_mlflow_uri_is_the_one_azure_reports_when_there_is_one() -> None:
    reported = "azureml://westeurope.api.azureml.ms/mlflow/v2.0/reported"
    run = run_stack("dev", program=components_program, extra_state={WORKSPACE: {"mlFlowTrackingUri": reported}})
    assert run.result["attributes"]["mlflow_tracking_uri"] == reported


def test_deployer_is_looked_up_once_from_the_client_config(dev: Run) -> None:
    assert dev.calls == ["azure-native:authorization:getClientConfig"]
    assert any(r.inputs.get("principalId") == DEPLOYER for r in dev.azure)


def test_prod_builds_environment_images_on_its_cluster_inside_the_managed_network(dev: Run, prod: Run) -> None:
    """A registry behind the managed network's private endpoint can't build images (how-to-managed-network, "Configure image builds")."""
    assert prod.one(WORKSPACE).inputs["imageBuildCompute"] == "cpu-cluster"
    assert "imageBuildCompute" not in dev.one(WORKSPACE).inputs


def test_image_build_compute_must_be_a_cluster_of_the_stack() -> None:
    with pytest.raises(SettingsError) as refused:
        run_stack("prod", {"workspace.imageBuildCompute": "builder"}, program=components_program)
    assert str(refused.value) == (
        "stacks/Pulumi.prod.yaml: azureml-training:workspace.imageBuildCompute: "
        "'builder' is not a cluster of this stack (compute: cpu-cluster)"
    )
