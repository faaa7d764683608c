"""An AmlCompute cluster in the workspace, with its identity's data-plane roles.

The cluster runs as a user-assigned identity of its own (`id-<workspace>-<cluster>`, see
components/infra/identity.py for why not its system-assigned one); that identity gets Storage Blob
Data Reader or Contributor (`storageRole`) on the workspace's storage account and AcrPull on
its container registry when there is one (see components/infra/rbac.py). The public SSH port is
closed explicitly: the API's default, NotSpecified, leaves it open on clusters outside a VNet.
"""

from __future__ import annotations

import pulumi
from pulumi_azure_native import machinelearningservices as ml

from components.infra import rbac
from components.infra.identity import user_assigned_identity
from components.infra.naming import cluster_identity_name
from components.infra.workspace import Workspace
from components.spec.settings import ComputeSettings

TYPE = "azureml-training:index:ComputeCluster"


def idle_duration(seconds: int) -> str:
    """Seconds as the ISO-8601 duration AmlCompute expects, e.g. 1800 -> PT30M, 90 -> PT1M30S."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}H" if hours else "", f"{minutes}M" if minutes else "", f"{secs}S" if secs else ""]
    return "PT" + ("".join(parts) or "0S")


def _properties(settings: ComputeSettings) -> ml.AmlComputeArgs:
    return ml.AmlComputeArgs(
        compute_type=ml.ComputeType.AML_COMPUTE.value,
        properties=ml.AmlComputePropertiesArgs(
            os_type=ml.OsType.LINUX,
            vm_size=settings.vm_size,
            vm_priority=ml.VmPriority.LOW_PRIORITY if settings.low_priority else ml.VmPriority.DEDICATED,
            scale_settings=ml.ScaleSettingsArgs(
                min_node_count=settings.min_nodes,
                max_node_count=settings.max_nodes,
                node_idle_time_before_scale_down=idle_duration(settings.idle_seconds_before_scale_down),
            ),
            remote_login_port_public_access=ml.RemoteLoginPortPublicAccess.DISABLED,
            enable_node_public_ip=settings.node_public_ip,
            subnet=ml.ResourceIdArgs(id=settings.subnet_id) if settings.subnet_id else None,
        ),
    )


class ComputeCluster(pulumi.ComponentResource):
    """An AmlCompute cluster named `settings.name`: `compute_name` in the workspace, its identity's id and principal."""

    def __init__(self, name: str, settings: ComputeSettings, workspace: Workspace, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        identity = user_assigned_identity(
            f"{name}-identity",
            identity_name=workspace.workspace_name.apply(lambda ws: cluster_identity_name(ws, settings.name)),
            resource_group=workspace.resource_group_name,
            location=workspace.location,
            tags=workspace.tags,
            opts=child,
        )
        compute = ml.Compute(
            f"{name}-compute",
            compute_name=settings.name,
            resource_group_name=workspace.resource_group_name,
            workspace_name=workspace.workspace_name,
            location=workspace.location,
            identity=ml.ManagedServiceIdentityArgs(
                type=ml.ManagedServiceIdentityType.USER_ASSIGNED, user_assigned_identities=[identity.id]
            ),
            properties=_properties(settings),
            tags=workspace.tags,
            opts=child,
        )
        self.compute_name: pulumi.Output[str] = compute.name
        self.identity_id: pulumi.Output[str] = identity.id
        self.principal_id: pulumi.Output[str] = identity.principal_id
        self._grant_roles(name, settings, workspace)
        self.register_outputs({"compute_name": self.compute_name, "identity_id": self.identity_id, "principal_id": self.principal_id})

    def _grant_roles(self, name: str, settings: ComputeSettings, workspace: Workspace) -> None:
        opts = pulumi.ResourceOptions(parent=self)
        rbac.grant(
            f"{name}-storage-blob-{settings.storage_role.lower()}",
            role=rbac.STORAGE_ROLES[settings.storage_role],
            scope=workspace.storage_account_id,
            principal_id=self.principal_id,
            subscription_id=workspace.subscription_id,
            principal_type="ServicePrincipal",
            opts=opts,
        )
        if workspace.container_registry_id is not None:
            rbac.grant(
                f"{name}-acr-pull",
                role=rbac.ACR_PULL,
                scope=workspace.container_registry_id,
                principal_id=self.principal_id,
                subscription_id=workspace.subscription_id,
                principal_type="ServicePrincipal",
                opts=opts,
            )
