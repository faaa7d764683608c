"""JSON records on disk, written atomically so a reader never sees half a record."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def write_record(path: Path, record: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w") as file:
        json.dump(record, file, indent=2, sort_keys=True)
    Path(temp).replace(path)


def read_record(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None


def latest_record(folder: Path) -> dict[str, Any] | None:
    """The most recently created active record in a folder of `<version>.json` records (Azure ML's `@latest`).

    As on Azure ML, an archived version is never the latest: a job naming `@latest` gets the newest active one.
    """
    records = [record for path in folder.glob("*.json") if (record := read_record(path)) is not None and not record.get("archived")]
    return max(records, key=lambda record: record.get("created", 0), default=None)
