"""A job's inputs and outputs as its process sees them: literal values and local paths.

Inputs: literals are passed as text; `{type, path}` inputs resolve a local path (relative to
the job YAML's folder), a data asset (`azureml:<name>:<version>` or `@latest`), a datastore
URI, or another job's output (`azureml://jobs/<job>/outputs/<output>`). An input with no
value is absent, which only an optional `$[[ ... ]]` segment may use. Outputs are folders
of the run (`uri_file`: a file path in one), created empty, as Azure ML mounts them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from components.provider.local.data import data_path, local_path
from components.provider.local.errors import NotFoundLocallyError
from components.provider.local.files import content_digest
from components.provider.local.layout import Layout
from components.provider.local.records import read_record
from components.provider.local.references import is_asset_reference, parse_asset_reference
from components.provider.local.web import is_web

_JOB_OUTPUT = re.compile(r"^azureml://jobs/(?P<job>[^/]+)/outputs/(?P<output>[^/]+)/?$")


def resolve_inputs(layout: Layout, inputs: Mapping[str, Any] | None, base_dir: Path, subject: str) -> dict[str, str | None]:
    return {name: _resolve(layout, value, base_dir, f"{subject}: input {name}") for name, value in (inputs or {}).items()}


def input_identity(layout: Layout, value: Any, base_dir: Path, subject: str) -> Any:
    """What an input amounts to when deciding whether a pipeline step may be reused: a literal is itself, local
    data (a path, data asset, datastore path or job output) the digest of what it holds, and a URL itself (the
    cache downloads it once)."""
    if not isinstance(value, Mapping) or not isinstance(value.get("path"), str) or is_web(value["path"]):
        return value
    return {**value, "path": content_digest(_path(layout, value["path"], base_dir, subject))}


def plan_outputs(outputs: Mapping[str, Any] | None, folder: Path) -> dict[str, Path]:
    planned = {}
    for name, definition in (outputs or {}).items():
        path = folder / name
        if (definition or {}).get("type") == "uri_file":
            path.parent.mkdir(parents=True, exist_ok=True)
        else:
            path.mkdir(parents=True, exist_ok=True)
        planned[name] = path
    return planned


def _resolve(layout: Layout, value: Any, base_dir: Path, subject: str) -> str | None:
    if isinstance(value, Mapping):
        if value.get("path") is not None:
            return str(_path(layout, str(value["path"]), base_dir, subject))
        value = value.get("value", value.get("default"))
    return None if value is None else str(value)


def _path(layout: Layout, reference: str, base_dir: Path, subject: str) -> Path:
    if is_asset_reference(reference):
        asset = parse_asset_reference(reference, subject)
        return data_path(layout, asset.name, asset.version, subject)
    if match := _JOB_OUTPUT.match(reference):
        record = read_record(layout.job_record(match["job"])) or {}
        if match["output"] not in record.get("outputs", {}):
            raise NotFoundLocallyError(f"{subject}: job {match['job']} has no completed output {match['output']!r} in this workspace")
        return layout.resolve(record["outputs"][match["output"]])
    return local_path(layout, reference, base_dir, subject).resolve()
