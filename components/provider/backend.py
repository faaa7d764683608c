"""The one small interface between the dynamic resources and where they run.

A backend is chosen by the resource's `workspace` property: `{"target": "local", ...}`
trains on this machine, `{"target": "azure", ...}` talks to an Azure ML workspace
through azure-ai-ml. Backends are built inside the provider process, on first use,
so nothing here captures clients, credentials or locks, and azure-ai-ml is only
imported when an Azure backend is actually opened.

Every method receives the resource's properties (plain JSON-like dicts) and returns
the outputs to store, or None from `read_*` when the object is gone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

Props = Mapping[str, Any]
Outs = dict[str, Any]


class Backend(Protocol):
    """What the dynamic resources need from a place that runs Azure ML assets."""

    def prepare_workspace(self, props: Props) -> Outs: ...
    def read_workspace(self, outs: Props) -> Outs | None: ...
    def remove_workspace(self, outs: Props) -> None: ...

    def put_environment(self, props: Props) -> Outs: ...
    def read_environment(self, outs: Props) -> Outs | None: ...
    def archive_environment(self, outs: Props) -> None: ...

    def put_datastore(self, props: Props) -> Outs: ...
    def read_datastore(self, outs: Props) -> Outs | None: ...
    def delete_datastore(self, outs: Props) -> None: ...

    def put_data(self, props: Props) -> Outs: ...
    def read_data(self, outs: Props) -> Outs | None: ...
    def archive_data(self, outs: Props) -> None: ...

    def submit_job(self, props: Props) -> Outs:
        """Submit the job named `props["name"]`, or adopt it when it already exists; wait if asked."""
        ...

    def update_job(self, outs: Props, props: Props) -> Outs: ...
    def read_job(self, outs: Props) -> Outs | None: ...
    def remove_job(self, outs: Props, on_delete: str) -> None:
        """Cancel the job if it still runs, then archive, delete or keep it."""
        ...

    def register_model(self, props: Props) -> Outs: ...
    def read_model(self, outs: Props) -> Outs | None: ...
    def archive_model(self, outs: Props) -> None: ...


def open_backend(workspace: Props) -> Backend:
    """The backend for a resource's `workspace` property, imported on first use."""
    target = workspace.get("target")
    if target == "local":
        from components.provider.local.backend import LocalBackend

        return LocalBackend(workspace)
    if target == "azure":
        from components.provider.azure.backend import AzureBackend

        return AzureBackend(workspace)
    raise ValueError(f"unknown workspace target {target!r}")
