"""The Backend protocol on this machine: one instance per stack workspace and provider process."""

from __future__ import annotations

from types import ModuleType

from components.provider.backend import Outs, Props
from components.provider.local import components, data, datastores, endpoints, environments, jobs, schedules
from components.provider.local import workspace as workspaces
from components.provider.local.workspace import LocalWorkspace


class LocalBackend:
    def __init__(self, workspace: Props) -> None:
        self._workspace = LocalWorkspace(workspace)
        self._layout = self._workspace.layout

    def prepare_workspace(self, props: Props) -> Outs:
        return workspaces.prepare_workspace(self._workspace, props)

    def read_workspace(self, outs: Props) -> Outs | None:
        return workspaces.read_workspace(self._workspace)

    def remove_workspace(self, outs: Props) -> None:
        workspaces.remove_workspace(self._workspace, outs)

    def put_environment(self, props: Props) -> Outs:
        return environments.put_environment(self._layout, props)

    def read_environment(self, outs: Props) -> Outs | None:
        return environments.read_environment(self._layout, outs)

    def archive_environment(self, outs: Props) -> None:
        environments.archive_environment(self._layout, outs)

    def put_datastore(self, props: Props) -> Outs:
        return datastores.put_datastore(self._layout, props)

    def read_datastore(self, outs: Props) -> Outs | None:
        return datastores.read_datastore(self._layout, outs)

    def delete_datastore(self, outs: Props) -> None:
        datastores.delete_datastore(self._layout, outs)

    def put_data(self, props: Props) -> Outs:
        return data.put_data(self._layout, props)

    def read_data(self, outs: Props) -> Outs | None:
        return data.read_data(self._layout, outs)

    def archive_data(self, outs: Props) -> None:
        data.archive_data(self._layout, outs)

    def put_component(self, props: Props) -> Outs:
        return components.put_component(self._layout, props)

    def read_component(self, outs: Props) -> Outs | None:
        return components.read_component(self._layout, outs)

    def archive_component(self, outs: Props) -> None:
        components.archive_component(self._layout, outs)

    def submit_job(self, props: Props) -> Outs:
        """Run the job to its end, or adopt it if it already completed (see `jobs` for why even `wait: false` waits)."""
        return jobs.submit_job(self._workspace, props)

    def update_job(self, outs: Props, props: Props) -> Outs:
        return jobs.update_job(self._workspace, outs, props)

    def read_job(self, outs: Props) -> Outs | None:
        return jobs.read_job(self._workspace, outs)

    def remove_job(self, outs: Props, on_delete: str) -> None:
        jobs.remove_job(self._workspace, outs, on_delete)

    def register_model(self, props: Props) -> Outs:
        return _models().register_model(self._workspace, props)

    def read_model(self, outs: Props) -> Outs | None:
        return _models().read_model(self._workspace, outs)

    def archive_model(self, outs: Props) -> None:
        _models().archive_model(self._workspace, outs)

    def share_model(self, props: Props) -> Outs:
        return _registries().share_model(self._workspace, props)

    def read_shared_model(self, outs: Props) -> Outs | None:
        return _registries().read_shared_model(self._workspace, outs)

    def keep_shared_model(self, outs: Props) -> None:
        _registries().keep_shared_model(self._workspace, outs)

    def resolve_registry_model(self, props: Props) -> Outs:
        return _registries().resolve_registry_model(self._workspace, props)

    def read_registry_model(self, outs: Props) -> Outs | None:
        return _registries().read_registry_model(self._workspace, outs)

    def forget_registry_model(self, outs: Props) -> None:
        """Taking a model changed nothing in the registry: nothing to undo."""

    def put_endpoint(self, props: Props) -> Outs:
        return endpoints.put_endpoint(self._workspace, props)

    def read_endpoint(self, outs: Props) -> Outs | None:
        return endpoints.read_endpoint(self._workspace, outs)

    def delete_endpoint(self, outs: Props) -> None:
        endpoints.delete_endpoint(self._workspace, outs)

    def put_deployment(self, props: Props) -> Outs:
        return endpoints.put_deployment(self._workspace, props)

    def read_deployment(self, outs: Props) -> Outs | None:
        return endpoints.read_deployment(self._workspace, outs)

    def delete_deployment(self, outs: Props) -> None:
        endpoints.delete_deployment(self._workspace, outs)

    def put_traffic(self, props: Props) -> Outs:
        return endpoints.put_traffic(self._workspace, props)

    def read_traffic(self, outs: Props) -> Outs | None:
        return endpoints.read_traffic(self._workspace, outs)

    def delete_traffic(self, outs: Props) -> None:
        endpoints.delete_traffic(self._workspace, outs)

    def put_schedule(self, props: Props) -> Outs:
        return schedules.put_schedule(self._layout, props)

    def read_schedule(self, outs: Props) -> Outs | None:
        return schedules.read_schedule(self._layout, outs)

    def delete_schedule(self, outs: Props) -> None:
        schedules.delete_schedule(self._layout, outs)


def _models() -> ModuleType:
    """The model registry imports MLflow (seconds of CPU): only a process that handles models pays for it."""
    from components.provider.local import models

    return models


def _registries() -> ModuleType:
    """Registries are MLflow model registries too (see `_models`)."""
    from components.provider.local import registries

    return registries
