"""The Azure ML workspace and everything it stands on, secure by default.

`Workspace` creates (or reuses) the resource group, then Log Analytics with workspace-based
Application Insights, a Key Vault (RBAC, soft delete), a Storage account reachable only with
Entra ID (TLS 1.2, HTTPS, no public blobs, no shared keys unless asked), an optional Container
Registry without admin user, and the AML workspace with a system-assigned identity that reads
its system datastores by identity, its managed network's outbound rules and, when it is closed
to the internet, its private endpoint (components/infra/network.py). The deploying principal gets
Storage Blob Data Contributor, so uploads work with shared keys off.

Globally unique names (storage account, vault, registry) hash the subscription in
(components/infra/naming.py), so they are only known once the deployer's client config is. A stack
deployed before that scheme keeps the names it has: the derived name inputs are
`ignore_changes`, so Pulumi compares against the name in the state and never replaces the
account or vault for a new derived name; only a name set in `workspace.names` is applied to an
existing resource (and replacing it is then what the user asked for).

Purge on destroy (`workspace.purgeOnDestroy`): the workspace and the vault carry resource hooks
from `components.infra.teardown` that purge them when they are deleted, so a destroyed stack can be
re-created under the same names at once; that module says how and why.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import (
    applicationinsights,
    authorization,
    containerregistry,
    keyvault,
    machinelearningservices,
    operationalinsights,
    resources,
    storage,
)

from components.infra import rbac
from components.infra.naming import AzureNames, derive_names, private_endpoint_name
from components.infra.network import EndpointPlan, workspace_private_endpoint
from components.infra.teardown import PurgeHooks
from components.spec.settings import OutboundRule, WorkspaceSettings

TYPE = "azureml-training:index:Workspace"
STUDIO_URL = "https://ml.azure.com/?wsid={workspace_id}"
MLFLOW_TRACKING_URI = "azureml://{location}.api.azureml.ms/mlflow/v1.0{workspace_id}"
LOG_RETENTION_DAYS = 30


@dataclass(frozen=True)
class _Plan:
    """What every child needs to know: the component, its settings, names, place and tags."""

    component: pulumi.ComponentResource
    name: str
    settings: WorkspaceSettings
    names: pulumi.Output[AzureNames]
    location: str
    tags: dict[str, str]

    def child(
        self, protect: bool = False, hooks: pulumi.ResourceHookBinding | None = None, keep_name: str | None = None
    ) -> pulumi.ResourceOptions:
        """Options of a child; `keep_name` is a name input the state's value wins over (see the module docstring)."""
        ignore = [keep_name] if keep_name else None
        return pulumi.ResourceOptions(parent=self.component, protect=protect, hooks=hooks, ignore_changes=ignore)

    def name_of(self, field: str) -> pulumi.Output[str]:
        return self.names.apply(lambda names: getattr(names, field))


class Workspace(pulumi.ComponentResource):
    """An Azure ML workspace with its storage, vault, monitoring, optional registry and private endpoint.

    Outputs: subscription_id, resource_group_name, workspace_name, workspace_id, studio_url,
    mlflow_tracking_uri, storage_account_name, and `outputs` (the same, to export). Compute
    clusters also read location, tags, storage_account_id and container_registry_id (None without
    one). The endpoint and its DNS are children, so whatever depends on this component (the
    assets) waits until the workspace resolves privately.
    """

    def __init__(
        self,
        name: str,
        settings: WorkspaceSettings,
        project: str,
        stack: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if settings.location is None:
            raise ValueError("a new workspace needs a location")
        super().__init__(TYPE, name, None, opts)
        tags = {"project": project, "stack": stack, "managed-by": "pulumi", **settings.tags}
        client = authorization.get_client_config_output(opts=pulumi.InvokeOutputOptions(parent=self))
        names = client.subscription_id.apply(lambda subscription: derive_names(project, stack, subscription, settings))
        plan = _Plan(self, name, settings, names, settings.location, tags)
        hooks = PurgeHooks(name, enabled=settings.purge_on_destroy)

        group = _resource_group(plan)
        insights = _application_insights(plan, group, _log_analytics(plan, group))
        vault = _key_vault(plan, group, client.tenant_id, hooks.key_vault_binding())
        account = _storage_account(plan, group)
        registry = _container_registry(plan, group)
        workspace = _workspace(plan, group, insights, vault, account, registry, hooks.workspace_binding())
        _grant_deployer(plan, client, account)
        if settings.private_endpoint:
            endpoint = EndpointPlan(name, group, plan.location, tags, parent=self)
            endpoint_name = workspace.name.apply(private_endpoint_name)
            workspace_private_endpoint(endpoint, settings.private_endpoint, workspace.id, endpoint_name)

        self.location: pulumi.Output[str] = pulumi.Output.from_input(plan.location)
        self.tags: dict[str, str] = tags
        self.subscription_id: pulumi.Output[str] = client.subscription_id
        self.resource_group_name: pulumi.Output[str] = group
        self.storage_account_id: pulumi.Output[str] = account.id
        self.storage_account_name: pulumi.Output[str] = account.name
        self.key_vault_name: pulumi.Output[str] = vault.name
        self.container_registry_id: pulumi.Output[str] | None = registry.id if registry else None
        self.workspace_name: pulumi.Output[str] = workspace.name
        self.workspace_id: pulumi.Output[str] = workspace.id
        self.studio_url: pulumi.Output[str] = workspace.id.apply(lambda wid: STUDIO_URL.format(workspace_id=wid))
        self.mlflow_tracking_uri: pulumi.Output[str] = pulumi.Output.all(workspace.ml_flow_tracking_uri, workspace.id).apply(
            # Azure reports the URI; the documented form stands in should a response lack it.
            lambda uri_id: uri_id[0] or MLFLOW_TRACKING_URI.format(location=plan.location, workspace_id=uri_id[1])
        )
        self.outputs: dict[str, pulumi.Output[str]] = {
            "subscriptionId": self.subscription_id,
            "resourceGroup": self.resource_group_name,
            "location": self.location,
            "workspaceName": self.workspace_name,
            "workspaceId": self.workspace_id,
            "studioUrl": self.studio_url,
            "mlflowTrackingUri": self.mlflow_tracking_uri,
            "storageAccountName": self.storage_account_name,
            "keyVaultName": self.key_vault_name,
        }
        if registry:
            self.outputs["containerRegistryName"] = registry.name
        self.register_outputs(self.outputs)


def _resource_group(plan: _Plan) -> pulumi.Output[str]:
    """The name of the group to deploy into: an existing one as named, or a new one."""
    if plan.settings.existing_resource_group:
        return plan.name_of("resource_group")
    group = resources.ResourceGroup(
        f"{plan.name}-rg", resource_group_name=plan.name_of("resource_group"), location=plan.location, tags=plan.tags, opts=plan.child()
    )
    return group.name


def _log_analytics(plan: _Plan, group: pulumi.Output[str]) -> operationalinsights.Workspace:
    return operationalinsights.Workspace(
        f"{plan.name}-log",
        workspace_name=plan.name_of("log_analytics"),
        resource_group_name=group,
        location=plan.location,
        sku=operationalinsights.WorkspaceSkuArgs(name=operationalinsights.WorkspaceSkuNameEnum.PER_GB2018),
        retention_in_days=LOG_RETENTION_DAYS,
        tags=plan.tags,
        opts=plan.child(),
    )


def _application_insights(plan: _Plan, group: pulumi.Output[str], logs: operationalinsights.Workspace) -> applicationinsights.Component:
    return applicationinsights.Component(
        f"{plan.name}-appi",
        resource_name_=plan.name_of("application_insights"),
        resource_group_name=group,
        location=plan.location,
        kind="web",
        application_type=applicationinsights.ApplicationType.WEB,
        ingestion_mode=applicationinsights.IngestionMode.LOG_ANALYTICS,
        workspace_resource_id=logs.id,
        tags=plan.tags,
        opts=plan.child(),
    )


def _key_vault(
    plan: _Plan, group: pulumi.Output[str], tenant_id: pulumi.Output[str], hooks: pulumi.ResourceHookBinding | None
) -> keyvault.Vault:
    return keyvault.Vault(
        f"{plan.name}-kv",
        vault_name=plan.name_of("key_vault"),
        resource_group_name=group,
        location=plan.location,
        properties=keyvault.VaultPropertiesArgs(
            tenant_id=tenant_id,
            sku=keyvault.SkuArgs(family=keyvault.SkuFamily.A, name=keyvault.SkuName.STANDARD),
            enable_rbac_authorization=True,
            enable_soft_delete=True,
            # ARM rejects an explicit false: purge protection can only ever be switched on.
            enable_purge_protection=True if plan.settings.purge_protection else None,
        ),
        tags=plan.tags,
        opts=plan.child(protect=plan.settings.protect, hooks=hooks, keep_name=_derived(plan, "key_vault", "vaultName")),
    )


def _derived(plan: _Plan, field: str, name_input: str) -> str | None:
    """`name_input` when the name is derived (the state's name then wins), None when the stack file sets it."""
    return None if getattr(plan.settings.names, field) else name_input


def _storage_account(plan: _Plan, group: pulumi.Output[str]) -> storage.StorageAccount:
    return storage.StorageAccount(
        f"{plan.name}-st",
        account_name=plan.name_of("storage_account"),
        resource_group_name=group,
        location=plan.location,
        kind=storage.Kind.STORAGE_V2,
        sku=storage.SkuArgs(name=storage.SkuName.STANDARD_LRS),
        minimum_tls_version=storage.MinimumTlsVersion.TLS1_2,
        enable_https_traffic_only=True,
        allow_blob_public_access=False,
        allow_cross_tenant_replication=False,
        allow_shared_key_access=plan.settings.storage_shared_key_access,
        # The portal and tools sign in with Entra ID rather than asking for keys.
        default_to_o_auth_authentication=True,
        tags=plan.tags,
        opts=plan.child(protect=plan.settings.protect, keep_name=_derived(plan, "storage_account", "accountName")),
    )


def _container_registry(plan: _Plan, group: pulumi.Output[str]) -> containerregistry.Registry | None:
    if not plan.settings.container_registry:
        return None
    # A managed network reaches the registry through a private endpoint, which needs Premium.
    sku = containerregistry.SkuName.BASIC if plan.settings.isolation_mode == "Disabled" else containerregistry.SkuName.PREMIUM
    return containerregistry.Registry(
        f"{plan.name}-cr",
        registry_name=plan.name_of("container_registry"),
        resource_group_name=group,
        location=plan.location,
        sku=containerregistry.SkuArgs(name=sku),
        admin_user_enabled=False,
        tags=plan.tags,
        opts=plan.child(keep_name=_derived(plan, "container_registry", "registryName")),
    )


def _workspace(
    plan: _Plan,
    group: pulumi.Output[str],
    insights: applicationinsights.Component,
    vault: keyvault.Vault,
    account: storage.StorageAccount,
    registry: containerregistry.Registry | None,
    hooks: pulumi.ResourceHookBinding | None,
) -> machinelearningservices.Workspace:
    settings = plan.settings
    return machinelearningservices.Workspace(
        f"{plan.name}-mlw",
        workspace_name=plan.name_of("workspace"),
        resource_group_name=group,
        location=plan.location,
        kind="Default",
        sku=machinelearningservices.SkuArgs(name="Basic", tier=machinelearningservices.SkuTier.BASIC),
        identity=machinelearningservices.ManagedServiceIdentityArgs(
            type=machinelearningservices.ManagedServiceIdentityType.SYSTEM_ASSIGNED
        ),
        friendly_name=settings.friendly_name or plan.name_of("workspace"),
        application_insights=insights.id,
        key_vault=vault.id,
        storage_account=account.id,
        container_registry=registry.id if registry else None,
        # Shared keys are off on the storage account, so the workspace reaches its datastores as itself.
        system_datastores_auth_mode=machinelearningservices.SystemDatastoresAuthMode.IDENTITY,
        public_network_access=settings.public_network_access,
        image_build_compute=settings.image_build_compute,
        managed_network=machinelearningservices.ManagedNetworkSettingsArgs(
            isolation_mode=settings.isolation_mode, outbound_rules=_outbound_rules(settings.approved_outbound()) or None
        ),
        hbi_workspace=settings.hbi,
        tags=plan.tags,
        opts=plan.child(protect=settings.protect, hooks=hooks),
    )


def _outbound_rules(rules: dict[str, OutboundRule]) -> dict[str, pulumi.Input[object]]:
    """The stack's outbound rules as the managed network takes them, all user-defined."""
    user_defined = machinelearningservices.RuleCategory.USER_DEFINED
    converted: dict[str, pulumi.Input[object]] = {}
    for name, rule in rules.items():
        if rule.type == "FQDN":
            converted[name] = machinelearningservices.FqdnOutboundRuleArgs(type="FQDN", category=user_defined, destination=rule.destination)
        elif rule.type == "ServiceTag":
            tag = rule.destination
            converted[name] = machinelearningservices.ServiceTagOutboundRuleArgs(
                type="ServiceTag",
                category=user_defined,
                destination=machinelearningservices.ServiceTagDestinationArgs(
                    service_tag=tag.service_tag, protocol=tag.protocol, port_ranges=tag.port_ranges, action=tag.action
                ),
            )
        else:
            target = rule.destination
            converted[name] = machinelearningservices.PrivateEndpointOutboundRuleArgs(
                type="PrivateEndpoint",
                category=user_defined,
                destination=machinelearningservices.PrivateEndpointDestinationArgs(
                    service_resource_id=target.service_resource_id,
                    subresource_target=target.subresource_target,
                    spark_enabled=target.spark_enabled,
                ),
            )
    return converted


def _grant_deployer(plan: _Plan, client: pulumi.Output[authorization.GetClientConfigResult], account: storage.StorageAccount) -> None:
    """Whoever deploys uploads code and data with Entra ID, shared keys being off."""
    rbac.grant(
        f"{plan.name}-deployer-blob-contributor",
        role=rbac.STORAGE_BLOB_DATA_CONTRIBUTOR,
        scope=account.id,
        principal_id=client.object_id,
        subscription_id=client.subscription_id,
        principal_type=None,
        opts=plan.child(),
    )
