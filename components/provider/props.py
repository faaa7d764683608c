"""Pure helpers over resource properties: unknowns, diffs and deterministic names.

Everything here runs in `check` and `diff`, so it must stay pure: no I/O, no network,
no azure-ai-ml import.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

# The engine's sentinel for a value not known until an upstream resource is created.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
# Properties the engine adds to every dynamic resource; they never decide a diff.
ENGINE_KEYS = frozenset({"__provider"})


def contains_unknown(value: Any) -> bool:
    if value == UNKNOWN:
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(contains_unknown(v) for v in value)
    return False


def restore_integers(value: Any) -> Any:
    """Numbers cross the engine as doubles: give whole numbers back their integer type.

    A job's `max_iter: 200` would otherwise reach its command line as `200.0`.
    """
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: restore_integers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [restore_integers(v) for v in value]
    return value


def canonical(value: Any) -> str:
    """A stable text form of a JSON-like value: same meaning, same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def digest(value: Any, length: int = 12) -> str:
    return hashlib.sha256(canonical(value).encode()).hexdigest()[:length]


# Inside an asset's `definition`, the keys Azure ML changes in place; every other key makes another version.
MUTABLE_DEFINITION = frozenset({"description", "tags", "display_name"})


def definition_digest(definition: Mapping[str, Any] | None) -> str:
    """A definition's fields that a version (or an endpoint) cannot change: all but the mutable ones."""
    return digest({k: v for k, v in (definition or {}).items() if k not in MUTABLE_DEFINITION})


def changed_paths(olds: Mapping[str, Any], news: Mapping[str, Any], nested: Iterable[str] = ()) -> list[str]:
    """Property paths whose value differs; keys in `nested` are compared one level deeper."""
    nested = set(nested)
    paths: list[str] = []
    for key in sorted((set(olds) | set(news)) - ENGINE_KEYS):
        old, new = olds.get(key), news.get(key)
        if key in nested and isinstance(old, Mapping) and isinstance(new, Mapping):
            paths += [f"{key}.{sub}" for sub in changed_paths(old, new)]
        elif contains_unknown(new) or old != new:
            paths.append(key)
    return paths


def needs_replace(path: str, replace_on: Iterable[str]) -> bool:
    """A path triggers replacement when it, or a parent of it, is listed."""
    return any(path == rule or path.startswith(f"{rule}.") for rule in replace_on)


def azure_name(*parts: str, max_length: int = 255) -> str:
    """A job or asset name Azure ML accepts: letters, digits, '-' and '_'."""
    name = "-".join(re.sub(r"[^a-zA-Z0-9_-]+", "-", p).strip("-") for p in parts if p)
    return name[:max_length].lower()


# Workspace properties that tune how a backend runs, never which objects it holds.
_WORKSPACE_RUN_SETTINGS = frozenset({"concurrency"})


def workspace_identity(workspace: Any) -> Any:
    """Which workspace, without how it runs: a changed local `concurrency` is not another workspace."""
    if isinstance(workspace, Mapping):
        return {k: v for k, v in workspace.items() if k not in _WORKSPACE_RUN_SETTINGS}
    return workspace
