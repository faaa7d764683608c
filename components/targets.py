"""Where a stack's assets go: this machine, an existing Azure ML workspace, or a new one; and, on Azure, the
registries the stack names (components/infra/registry.py)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pulumi

from components.assets import WorkspaceTarget
from components.provider import LocalWorkspace
from components.provider.hosts import ProviderHosts
from components.spec.registry_specs import RegistrySpec
from components.spec.settings import StackSettings, stack_file
from components.spec.specs import SpecLoader


def workspace_target(settings: StackSettings) -> WorkspaceTarget:
    if settings.target == "local":
        return _local(settings)
    if settings.workspace.existing:
        return _existing(settings)
    return _provisioned(settings)


def _local(settings: StackSettings) -> WorkspaceTarget:
    stack = pulumi.get_stack()
    workspace = {"target": "local", "root": f"{settings.local.root}/{stack}", "concurrency": settings.local.concurrency, "stack": stack}
    hosts = ProviderHosts()
    folder = LocalWorkspace("local-workspace", workspace, opts=pulumi.ResourceOptions(provider=hosts.shared()))
    outputs = {"target": "local", "root": folder.root, "mlflowTrackingUri": folder.tracking_uri}
    return WorkspaceTarget(workspace=workspace, depends_on=[folder], outputs=outputs, hosts=hosts)


def _existing(settings: StackSettings) -> WorkspaceTarget:
    ws = settings.workspace
    workspace = {"target": "azure", "subscription_id": ws.subscription_id, "resource_group": ws.resource_group, "workspace_name": ws.name}
    outputs = {"target": "azure", "subscriptionId": ws.subscription_id, "resourceGroup": ws.resource_group, "workspaceName": ws.name}
    tags = {"project": pulumi.get_project(), "stack": pulumi.get_stack(), "managed-by": "pulumi", **ws.tags}
    registries = _registries(settings, str(ws.resource_group), tags, {})
    return WorkspaceTarget(workspace=workspace, outputs=outputs, registries=registries)


def _provisioned(settings: StackSettings) -> WorkspaceTarget:
    from components.infra.compute import ComputeCluster
    from components.infra.workspace import Workspace

    ws = Workspace("aml", settings.workspace, project=pulumi.get_project(), stack=pulumi.get_stack())
    clusters = {c.name: ComputeCluster(c.name, c, workspace=ws, opts=pulumi.ResourceOptions(parent=ws)) for c in settings.compute}
    workspace = pulumi.Output.all(ws.subscription_id, ws.resource_group_name, ws.workspace_name).apply(
        lambda ids: {"target": "azure", "subscription_id": ids[0], "resource_group": ids[1], "workspace_name": ids[2]}
    )
    registries = _registries(settings, ws.resource_group_name, ws.tags, {name: cluster.principal_id for name, cluster in clusters.items()})
    return WorkspaceTarget(workspace=workspace, depends_on=[ws], compute=clusters, outputs=ws.outputs, registries=registries)


def _registries(
    settings: StackSettings, resource_group: pulumi.Input[str], tags: Mapping[str, str], cluster_principals: Mapping[str, pulumi.Input[str]]
) -> dict[str, list[pulumi.Resource]]:
    if not settings.registries:
        return {}
    from components.infra.registry import provision_registries

    specs = _registry_specs(settings)
    return provision_registries(specs, resource_group=resource_group, tags=tags, cluster_principals=cluster_principals)


def _registry_specs(settings: StackSettings) -> list[RegistrySpec]:
    loader = SpecLoader(Path.cwd(), stack_file(pulumi.get_stack()), external_paths=settings.external_paths)
    return [loader.registry(i, entry) for i, entry in enumerate(settings.registries)]
