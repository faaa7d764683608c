"""Component versions: recorded in the workspace, so pipeline steps naming them resolve here.

`<root>/components/<name>/<version>.json` keeps the component's fields and the folder its
relative paths (code, conda file) start at; a step's `azureml:<name>:<version>` or
`azureml:<name>@latest` reads it. Archiving keeps the record, marked, as Azure ML keeps an
archived version usable by name but never as `@latest`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.provider.backend import Outs, Props
from components.provider.local.errors import NotFoundLocallyError
from components.provider.local.layout import Layout
from components.provider.local.progress import report
from components.provider.local.records import latest_record, read_record, write_record
from components.provider.local.references import parse_asset_reference


@dataclass(frozen=True)
class RegisteredComponent:
    definition: Mapping[str, Any]
    base_dir: Path


def put_component(layout: Layout, props: Props) -> Outs:
    name, version = props["name"], str(props["version"])
    record = {"name": name, "version": version, "definition": props["definition"], "base_dir": props.get("base_dir", ".")}
    write_record(layout.component_record(name, version), {**record, "created": time.time(), "archived": False})
    report(f"component {name}", f"version {version} registered")
    return _outs(record)


def read_component(layout: Layout, outs: Props) -> Outs | None:
    record = read_record(layout.component_record(outs["name"], str(outs["version"])))
    return None if record is None or record.get("archived") else _outs(record)


def archive_component(layout: Layout, outs: Props) -> None:
    path = layout.component_record(outs["name"], str(outs["version"]))
    record = read_record(path)
    if record is not None:
        write_record(path, {**record, "archived": True})


def registered_component(layout: Layout, reference: str, subject: str) -> RegisteredComponent:
    """The component `azureml:<name>:<version>` (or `@latest`) names in this workspace."""
    asset = parse_asset_reference(reference, subject)
    folder = layout.components(asset.name)
    record = latest_record(folder) if asset.version is None else read_record(folder / f"{asset.version}.json")
    if record is None:
        raise NotFoundLocallyError(
            f"{subject}: component {reference} is not registered in this stack (list it under the stack's `components`)"
        )
    return RegisteredComponent(record["definition"], layout.base / record["base_dir"])


def _outs(record: Mapping[str, Any]) -> Outs:
    return {"asset_id": f"azureml:{record['name']}:{record['version']}"}
