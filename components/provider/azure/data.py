"""Data asset versions: local files are uploaded by the SDK, remote paths registered as they are."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from components.provider.azure.loading import load_entity
from components.provider.azure.report import report
from components.provider.azure.versions import active_version, archive_version
from components.provider.backend import Outs, Props

if TYPE_CHECKING:
    from azure.ai.ml import MLClient


def put_data(ml: MLClient, props: Props) -> Outs:
    from azure.ai.ml import load_data

    overrides = {"name": props["name"], "version": str(props["version"])}
    data = load_entity(load_data, props["definition"], props.get("base_dir"), overrides)
    report(f"data {props['name']}:{props['version']}: registering {props['definition'].get('path')}")
    created = ml.data.create_or_update(data)
    return _outputs(created)


def read_data(ml: MLClient, outs: Props) -> Outs | None:
    found = active_version(ml.data, outs["name"], outs["version"])
    return None if found is None else _outputs(found)


def archive_data(ml: MLClient, outs: Props) -> None:
    archive_version(ml.data, outs["name"], outs["version"])


def _outputs(data: Any) -> Outs:
    return {"asset_id": f"azureml:{data.name}:{data.version}", "path": data.path}
