"""Datastores: a folder of the workspace stands in for the storage behind each one.

Credentials are accepted (the same stack file serves Azure) but never written anywhere:
the record keeps only the datastore's name and type.
"""

from __future__ import annotations

from pathlib import Path

from components.provider.backend import Outs, Props
from components.provider.local.errors import NotFoundLocallyError
from components.provider.local.layout import Layout
from components.provider.local.records import read_record, write_record


def put_datastore(layout: Layout, props: Props) -> Outs:
    name = props["name"]
    folder = layout.datastore_dir(name)
    folder.mkdir(parents=True, exist_ok=True)
    record = {"name": name, "type": props["definition"].get("type"), "path": layout.shown(folder)}
    write_record(layout.datastore_record(name), record)
    return _outs(record)


def read_datastore(layout: Layout, outs: Props) -> Outs | None:
    record = read_record(layout.datastore_record(outs["name"]))
    return None if record is None else _outs(record)


def delete_datastore(layout: Layout, outs: Props) -> None:
    """Unregister it; like deleting an Azure ML datastore, this leaves the data in place."""
    layout.datastore_record(outs["name"]).unlink(missing_ok=True)


def datastore_path(layout: Layout, name: str, path: str, subject: str) -> Path:
    """The local place of `azureml://datastores/<name>/paths/<path>`."""
    if read_record(layout.datastore_record(name)) is None:
        raise NotFoundLocallyError(f"{subject}: datastore {name!r} is not defined in this stack")
    return layout.datastore_dir(name) / path.strip("/")


def _outs(record: dict) -> Outs:
    return {"asset_id": f"azureml://datastores/{record['name']}", "path": record["path"]}
