"""Where a stack's assets go: this machine, an existing Azure ML workspace, or a new one."""

from __future__ import annotations

import pulumi

from components.assets import WorkspaceTarget
from components.provider import LocalWorkspace
from components.provider.hosts import ProviderHosts
from components.spec.settings import StackSettings


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
    return WorkspaceTarget(workspace=workspace, outputs=outputs)


def _provisioned(settings: StackSettings) -> WorkspaceTarget:
    from components.infra.compute import ComputeCluster
    from components.infra.workspace import Workspace

    ws = Workspace("aml", settings.workspace, project=pulumi.get_project(), stack=pulumi.get_stack())
    clusters = {c.name: ComputeCluster(c.name, c, workspace=ws, opts=pulumi.ResourceOptions(parent=ws)) for c in settings.compute}
    workspace = pulumi.Output.all(ws.subscription_id, ws.resource_group_name, ws.workspace_name).apply(
        lambda ids: {"target": "azure", "subscription_id": ids[0], "resource_group": ids[1], "workspace_name": ids[2]}
    )
    return WorkspaceTarget(workspace=workspace, depends_on=[ws], compute=clusters, outputs=ws.outputs)
