"""Versioned assets (environments, data, models): find an active version, archive one.

Azure ML never deletes a version; archiving hides it. The SDK's entities do not say
whether a version is archived, so "active" is decided by listing active versions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from components.provider.azure.errors import ignore_missing, is_not_found


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
