"""Versioned assets (environments, components, data, models): create one from YAML, find an active version, archive one.

Azure ML never deletes a version; archiving hides it. The SDK's entities do not say
whether a version is archived, so "active" is decided by listing active versions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from components.provider.azure.errors import ignore_missing, is_not_found
from components.provider.azure.loading import load_entity


def active_versions(operations: Any, name: str) -> Iterator[Any]:
    """Every active version of `name` (none when the asset does not exist)."""
    from azure.ai.ml.constants import ListViewType

    try:
        yield from operations.list(name=name, list_view_type=ListViewType.ACTIVE_ONLY)
    except Exception as err:
        if not is_not_found(err):
            raise


def active_version(operations: Any, name: str, version: str) -> Any | None:
    return first(active_versions(operations, name), lambda asset: str(asset.version) == str(version))


def archive_version(operations: Any, name: str, version: str) -> None:
    ignore_missing(lambda: operations.archive(name=name, version=str(version)))


def first(items: Iterator[Any], matches: Callable[[Any], bool]) -> Any | None:
    return next((item for item in items if matches(item)), None)


def put_from_yaml(operations: Any, loader: Callable[..., Any], props: dict[str, Any]) -> dict[str, Any]:
    """Create the version a YAML definition describes, under the resource's name and version.

    Same name and version, same content: a re-run create puts the same version again, harmlessly.
    """
    overrides = {"name": props["name"], "version": str(props["version"])}
    created = operations.create_or_update(load_entity(loader, props["definition"], props.get("base_dir"), overrides))
    return {"asset_id": f"azureml:{created.name}:{created.version}"}


def read_active(operations: Any, outs: dict[str, Any]) -> dict[str, Any] | None:
    found = active_version(operations, outs["name"], outs["version"])
    return None if found is None else {"asset_id": f"azureml:{found.name}:{found.version}"}
