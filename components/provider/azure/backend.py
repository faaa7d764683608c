"""AzureBackend: the Backend protocol on an Azure ML workspace, through azure-ai-ml.

One instance per workspace and provider process (the provider caches it), shared by the
calls the process serves at once. The MLClient is built on first use, once, on the
process's credential (client.py), and never pickled: the engine pickles resources'
providers, not backends.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from components.provider.azure import (
    components,
    data,
    datastores,
    deployments,
    endpoints,
    environments,
    jobs,
    models,
    registries,
    schedules,
)
from components.provider.azure.client import WorkspaceRef, open_client
from components.provider.azure.errors import explains_unreachable_workspace
from components.provider.azure.polling import Polling
from components.provider.azure.retry import retries_transient_failures
from components.provider.backend import Outs, Props

if TYPE_CHECKING:
    from azure.ai.ml import MLClient

_NO_WORKSPACE = (
    "the azure target has no LocalWorkspace resource: its workspace is created by the Workspace component "
    "(pulumi-azure-native), and assets name it through their `workspace` property"
)


@explains_unreachable_workspace
@retries_transient_failures
class AzureBackend:
    """Environments, datastores, data, components, jobs, models, online endpoints and schedules in one Azure ML
    workspace, and the models it shares to registries or takes from them."""

    def __init__(self, workspace: Props, *, polling: Polling | None = None, client_options: Mapping[str, Any] | None = None) -> None:
        """`polling` and `client_options` (MLClient keyword arguments, e.g. retry settings) exist for tests."""
        self._workspace = WorkspaceRef.from_props(workspace)
        self._polling = polling or Polling()
        self._client_options = dict(client_options or {})
        self._client: MLClient | None = None
        self._client_lock = threading.Lock()

    @property
    def ml(self) -> MLClient:
        """Built by the first call that needs it; the calls waiting with it use the same one."""
        with self._client_lock:
            if self._client is None:
                self._client = open_client(self._workspace, self._client_options)
            return self._client

    @property
    def workspace_name(self) -> str:
        return self._workspace.workspace_name

    def prepare_workspace(self, props: Props) -> Outs:
        raise NotImplementedError(_NO_WORKSPACE)

    def read_workspace(self, outs: Props) -> Outs | None:
        raise NotImplementedError(_NO_WORKSPACE)

    def remove_workspace(self, outs: Props) -> None:
        raise NotImplementedError(_NO_WORKSPACE)

    def put_environment(self, props: Props) -> Outs:
        return environments.put_environment(self.ml, props)

    def read_environment(self, outs: Props) -> Outs | None:
        return environments.read_environment(self.ml, outs)

    def archive_environment(self, outs: Props) -> None:
        environments.archive_environment(self.ml, outs)

    def put_datastore(self, props: Props) -> Outs:
        return datastores.put_datastore(self.ml, props)

    def read_datastore(self, outs: Props) -> Outs | None:
        return datastores.read_datastore(self.ml, outs)

    def delete_datastore(self, outs: Props) -> None:
        datastores.delete_datastore(self.ml, outs)

    def put_data(self, props: Props) -> Outs:
        return data.put_data(self.ml, props)

    def read_data(self, outs: Props) -> Outs | None:
        return data.read_data(self.ml, outs)

    def archive_data(self, outs: Props) -> None:
        data.archive_data(self.ml, outs)

    def put_component(self, props: Props) -> Outs:
        return components.put_component(self.ml, props)

    def read_component(self, outs: Props) -> Outs | None:
        return components.read_component(self.ml, outs)

    def archive_component(self, outs: Props) -> None:
        components.archive_component(self.ml, outs)

    def submit_job(self, props: Props) -> Outs:
        return jobs.submit_job(self.ml, props, self._polling)

    def update_job(self, outs: Props, props: Props) -> Outs:
        return jobs.update_job(self.ml, outs, props, self._polling)

    def read_job(self, outs: Props) -> Outs | None:
        return jobs.read_job(self.ml, outs)

    def remove_job(self, outs: Props, on_delete: str) -> None:
        jobs.remove_job(self.ml, outs, on_delete, self._polling)

    def register_model(self, props: Props) -> Outs:
        return models.register_model(self.ml, props)

    def read_model(self, outs: Props) -> Outs | None:
        return models.read_model(self.ml, outs)

    def archive_model(self, outs: Props) -> None:
        models.archive_model(self.ml, outs)

    def share_model(self, props: Props) -> Outs:
        return registries.share_model(self.ml, props, self._client_options)

    def read_shared_model(self, outs: Props) -> Outs | None:
        return registries.read_shared_model(outs, self._client_options)

    def keep_shared_model(self, outs: Props) -> None:
        registries.keep_shared_model(outs)

    def resolve_registry_model(self, props: Props) -> Outs:
        return registries.resolve_registry_model(props, self._client_options)

    def read_registry_model(self, outs: Props) -> Outs | None:
        return registries.read_registry_model(outs, self._client_options)

    def forget_registry_model(self, outs: Props) -> None:
        """Taking a model changed nothing in the registry: nothing to undo."""

    def put_endpoint(self, props: Props) -> Outs:
        return endpoints.put_endpoint(self.ml, props, self._polling)

    def read_endpoint(self, outs: Props) -> Outs | None:
        return endpoints.read_endpoint(self.ml, outs)

    def delete_endpoint(self, outs: Props) -> None:
        endpoints.delete_endpoint(self.ml, outs, self._polling)

    def put_deployment(self, props: Props) -> Outs:
        return deployments.put_deployment(self.ml, props, self._polling)

    def read_deployment(self, outs: Props) -> Outs | None:
        return deployments.read_deployment(self.ml, outs)

    def delete_deployment(self, outs: Props) -> None:
        deployments.delete_deployment(self.ml, outs, self._polling)

    def put_traffic(self, props: Props) -> Outs:
        return endpoints.put_traffic(self.ml, props, self._polling)

    def read_traffic(self, outs: Props) -> Outs | None:
        return endpoints.read_traffic(self.ml, outs)

    def delete_traffic(self, outs: Props) -> None:
        endpoints.delete_traffic(self.ml, outs, self._polling)

    def put_schedule(self, props: Props) -> Outs:
        return schedules.put_schedule(self.ml, props, self._polling)

    def read_schedule(self, outs: Props) -> Outs | None:
        return schedules.read_schedule(self.ml, outs)

    def delete_schedule(self, outs: Props) -> None:
        schedules.delete_schedule(self.ml, outs, self._polling)
