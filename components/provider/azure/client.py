"""The one MLClient of an Azure backend, built from the resource's `workspace` property."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from azure.ai.ml import MLClient

_REQUIRED = ("subscription_id", "resource_group", "workspace_name")


@dataclass(frozen=True)
class WorkspaceRef:
    subscription_id: str
    resource_group: str
    workspace_name: str

    @classmethod
    def from_props(cls, workspace: Mapping[str, Any]) -> WorkspaceRef:
        missing = [key for key in _REQUIRED if not workspace.get(key)]
        if missing:
            raise ValueError(f"an azure workspace needs {', '.join(_REQUIRED)}; missing: {', '.join(missing)}")
        return cls(*(str(workspace[key]) for key in _REQUIRED))


def open_client(ref: WorkspaceRef, options: Mapping[str, Any]) -> MLClient:
    """An MLClient with the default credential chain (CLI login, managed identity, env, ...)."""
    from azure.ai.ml import MLClient
    from azure.identity import DefaultAzureCredential

    # The SDK warns about its own experimental schema classes on every load; users can't act on it.
    logging.getLogger("azure.ai.ml._utils._experimental").setLevel(logging.ERROR)
    # Upload progress bars would garble the engine's output; `report` says what happens instead.
    return MLClient(
        DefaultAzureCredential(),
        ref.subscription_id,
        ref.resource_group,
        ref.workspace_name,
        **{"show_progress": False, **options},
    )
