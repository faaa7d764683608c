"""Data assets: a local file or folder copied into the workspace, once per content hash.

`<root>/data/<name>/<version>/` holds the copy and `<version>.json` its record; putting the
same content again reuses the copy. Archiving keeps both, as Azure ML keeps archived
versions usable by jobs that name them.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from components.provider.backend import Outs, Props
from components.provider.local.datastores import datastore_path
from components.provider.local.errors import InvalidDefinitionError, NotFoundLocallyError, UnsupportedLocallyError
from components.provider.local.files import copy_into
from components.provider.local.layout import Layout
from components.provider.local.progress import report
from components.provider.local.records import latest_record, read_record, write_record
from components.provider.local.web import download, is_web

_DATASTORE_URI = re.compile(r"^azureml://datastores/(?P<store>[^/]+)/paths/(?P<path>.*)$")
_REMOTE = re.compile(r"^(https?|wasbs?|abfss?|adl|s3|gs|azureml)://")


def put_data(layout: Layout, props: Props) -> Outs:
    name, version, definition = props["name"], str(props["version"]), props["definition"]
    subject = f"data {name}:{version}"
    record_path = layout.data_record(name, version)
    record = read_record(record_path)
    if record is None or record["content_hash"] != props["content_hash"] or not layout.resolve(record["path"]).exists():
        path = _materialize(layout, definition, layout.base / props.get("base_dir", "."), layout.data_dir(name, version), subject)
        record = {"name": name, "version": version, "content_hash": props["content_hash"], "path": path, "created": time.time()}
    write_record(record_path, {**record, "archived": False})
    return _outs(record)


def read_data(layout: Layout, outs: Props) -> Outs | None:
    record = read_record(layout.data_record(outs["name"], str(outs["version"])))
    return None if record is None else _outs(record)


def archive_data(layout: Layout, outs: Props) -> None:
    record_path = layout.data_record(outs["name"], str(outs["version"]))
    record = read_record(record_path)
    if record is not None:
        write_record(record_path, {**record, "archived": True})


def data_path(layout: Layout, name: str, version: str | None, subject: str) -> Path:
    """The local path of data asset `name` at `version` (None: the latest)."""
    record = latest_record(layout.data_versions(name)) if version is None else read_record(layout.data_record(name, version))
    if record is None:
        raise NotFoundLocallyError(f"{subject}: data asset azureml:{name}:{version or 'latest'} is not defined in this stack")
    return layout.resolve(record["path"])


def local_path(layout: Layout, reference: str, base_dir: Path, subject: str) -> Path:
    """A path as a YAML gives it: a datastore URI, or a local path relative to the YAML's folder."""
    if match := _DATASTORE_URI.match(reference):
        return datastore_path(layout, match["store"], match["path"], subject)
    if is_web(reference):
        return download(reference, subject)
    if _REMOTE.match(reference):
        raise UnsupportedLocallyError(
            f"{subject}: {reference} is remote; the local target reads local paths, datastore URIs and http(s) URLs"
        )
    path = base_dir / reference.removeprefix("file://")
    if not path.exists():
        raise NotFoundLocallyError(f"{subject}: {path} does not exist")
    return path


def _materialize(layout: Layout, definition: Props, base_dir: Path, folder: Path, subject: str) -> str:
    kind = definition.get("type", "uri_folder")
    source = local_path(layout, str(definition["path"]), base_dir, subject)
    _check_kind(kind, source, subject)
    if _DATASTORE_URI.match(str(definition["path"])):
        return layout.shown(source)  # already in the workspace: point at it
    report(subject, f"copying {source}")
    copy_into(source, folder)
    return layout.shown(folder / source.name if source.is_file() else folder)


def _check_kind(kind: str, source: Path, subject: str) -> None:
    if kind == "uri_file" and not source.is_file():
        raise InvalidDefinitionError(f"{subject}: a uri_file asset needs a file, {source} is not one")
    if kind in ("uri_folder", "mltable") and not source.is_dir():
        raise InvalidDefinitionError(f"{subject}: a {kind} asset needs a folder, {source} is not one")
    if kind == "mltable" and not (source / "MLTable").is_file():
        raise InvalidDefinitionError(f"{subject}: an mltable asset's folder needs an MLTable file, {source} has none")


def _outs(record: dict) -> Outs:
    return {"asset_id": f"azureml:{record['name']}:{record['version']}", "path": record["path"]}
