"""YAML definitions (already parsed into dicts) back into azure-ai-ml entities.

The SDK's own loaders build the entities, so the provider accepts exactly what `az ml`
accepts. They resolve relative paths (code, conda files, data) against the folder of
`relative_origin`, which must therefore name a file *inside* `base_dir`.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

# Never read: only its folder matters to the loaders.
_ORIGIN_FILE = "definition.yml"


def load_entity(
    loader: Callable[..., Any],
    definition: Mapping[str, Any],
    base_dir: str | None,
    overrides: Mapping[str, Any] | None = None,
) -> Any:
    """The entity `loader` builds from `definition`, with `overrides` applied and paths relative to `base_dir`."""
    source = io.StringIO(yaml.safe_dump(dict(definition), sort_keys=False))
    origin = Path(base_dir or ".") / _ORIGIN_FILE
    params = [{key: value} for key, value in (overrides or {}).items() if value is not None]
    return loader(source=source, relative_origin=str(origin), params_override=params)
