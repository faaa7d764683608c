"""Azure ML registries: one a stack creates from its YAML, and the roles its users get on every registry it names.

A registry holds models (and environments, components) that several workspaces, in several regions, use without
copying them (https://learn.microsoft.com/azure/machine-learning/concept-machine-learning-registries-mlops). The
stack creates it from its Azure ML registry YAML (https://learn.microsoft.com/azure/machine-learning/reference-yaml-registry)
as `az ml registry create` would, secure by default like the workspace:

- public network access off unless the YAML says `public_network_access: enabled` (then it answers the internet,
  with Entra ID; closed, it answers only through private endpoints your network team makes:
  https://learn.microsoft.com/azure/machine-learning/how-to-registry-network-isolation);
- in each `replication_locations` entry, a storage account and a container registry the service creates and owns,
  without public blob access (`allowBlobPublicAccess: false`), the container registry Premium as geo-replication needs;
- a system-assigned identity, which the service uses to reach them;
- the stack's tags beside the YAML's.

A registry's name is global and immutable ("Must be globally unique and is immutable", azure-ai-ml's `Registry`):
it is the YAML's, since `azureml://registries/<name>/...` references carry it. `pulumi destroy` deletes the registry,
which frees the name (registries have no soft delete), together with every model shared to it: give the registry a
stack of its own (a platform stack) when several stacks share it, and name it `existing: true` in the others.

Every stack that uses a registry, the one that creates it too, gives AzureML Registry User on it (built-in role
1823dd4f-9b8c-4ab6-ab4e-7397a3684615: "Can perform all actions on Machine Learning Services Registry assets as well
as get Registry resources", https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/ai-machine-learning#azureml-registry-user)
to the deploying principal (it shares models to it and reads their versions) and to each cluster's identity (jobs that
use the registry's assets). Once each: assignments are keyed by scope, principal and role (components/infra/rbac.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
from pulumi_azure_native import authorization
from pulumi_azure_native import machinelearningservices as ml

from components.infra import rbac
from components.spec.registry_specs import RegistrySpec

TYPE = "azureml-training:index:Registry"
# azure-ai-ml's defaults for the resources the service creates per region (`SystemCreatedAcrAccount`,
# `SystemCreatedStorageAccount`): Premium, as replication needs, and locally redundant storage.
_ACR_SKU = "Premium"
_STORAGE_TYPE = "Standard_LRS"


def public_network_access(definition: Mapping[str, Any]) -> str:
    """`Enabled` only when the YAML says so: closed is the default."""
    return "Enabled" if str(definition.get("public_network_access") or "").lower() == "enabled" else "Disabled"


def replication_locations(definition: Mapping[str, Any]) -> list[str]:
    """The regions the registry replicates to, its own location first (the YAML must list it; the service requires it)."""
    listed = [str(entry.get("location")) for entry in definition.get("replication_locations") or [] if isinstance(entry, Mapping)]
    primary = str(definition["location"])
    return [primary, *(location for location in listed if location != primary)]


def registry_id(subscription_id: str, resource_group: str, name: str) -> str:
    return f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.MachineLearningServices/registries/{name}"


class Registry(pulumi.ComponentResource):
    """A registry the stack creates: `registry_id` for the roles on it."""

    def __init__(
        self,
        name: str,
        spec: RegistrySpec,
        *,
        resource_group: pulumi.Input[str],
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        definition = spec.definition or {}
        registry = ml.Registry(
            f"{name}-registry",
            registry_name=spec.name,
            resource_group_name=resource_group,
            location=str(definition["location"]),
            identity=ml.ManagedServiceIdentityArgs(type=ml.ManagedServiceIdentityType.SYSTEM_ASSIGNED),
            public_network_access=public_network_access(definition),
            region_details=[_region(location) for location in replication_locations(definition)],
            tags={**tags, **spec.tags},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.registry_id: pulumi.Output[str] = registry.id
        self.register_outputs({"registry_id": self.registry_id})


def _region(location: str) -> ml.RegistryRegionArmDetailsArgs:
    return ml.RegistryRegionArmDetailsArgs(
        location=location,
        acr_details=[ml.AcrDetailsArgs(system_created_acr_account=ml.SystemCreatedAcrAccountArgs(acr_account_sku=_ACR_SKU))],
        storage_account_details=[
            ml.StorageAccountDetailsArgs(
                system_created_storage_account=ml.SystemCreatedStorageAccountArgs(
                    storage_account_type=_STORAGE_TYPE, storage_account_hns_enabled=False, allow_blob_public_access=False
                )
            )
        ],
    )


def registry_users(
    name: str,
    registry_id: pulumi.Input[str],
    *,
    client: pulumi.Output[authorization.GetClientConfigResult],
    cluster_principals: Mapping[str, pulumi.Input[str]],
    opts: pulumi.ResourceOptions,
) -> list[pulumi.Resource]:
    """AzureML Registry User on the registry for the deploying principal and each cluster's identity, once each."""
    grants = [
        rbac.grant(
            f"{name}-deployer-registry-user",
            role=rbac.AZUREML_REGISTRY_USER,
            scope=registry_id,
            principal_id=client.object_id,
            subscription_id=client.subscription_id,
            principal_type=None,
            opts=opts,
        )
    ]
    for cluster, principal in cluster_principals.items():
        grants.append(
            rbac.grant(
                f"{name}-{cluster}-registry-user",
                role=rbac.AZUREML_REGISTRY_USER,
                scope=registry_id,
                principal_id=principal,
                subscription_id=client.subscription_id,
                principal_type="ServicePrincipal",
                opts=opts,
            )
        )
    return grants


def provision_registries(
    specs: Sequence[RegistrySpec],
    *,
    resource_group: pulumi.Input[str],
    tags: Mapping[str, str],
    cluster_principals: Mapping[str, pulumi.Input[str]],
) -> dict[str, list[pulumi.Resource]]:
    """Each registry of the stack (created, or existing) and this stack's roles on it, by registry name: what the
    assets that share to it or take from it wait for."""
    client = authorization.get_client_config_output()
    provisioned: dict[str, list[pulumi.Resource]] = {}
    for spec in specs:
        name = f"registry-{spec.name}"
        if spec.existing:
            subscription = pulumi.Output.from_input(spec.subscription_id) if spec.subscription_id else client.subscription_id
            scope = subscription.apply(lambda sub, group=spec.resource_group, registry=spec.name: registry_id(sub, str(group), registry))
            made: list[pulumi.Resource] = []
            opts = pulumi.ResourceOptions()
        else:
            registry = Registry(name, spec, resource_group=resource_group, tags=tags)
            scope, made, opts = registry.registry_id, [registry], pulumi.ResourceOptions(parent=registry)
        provisioned[spec.name] = made + registry_users(name, scope, client=client, cluster_principals=cluster_principals, opts=opts)
    return provisioned
