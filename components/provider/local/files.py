"""Copies that appear whole or not at all: data assets, code snapshots and registered models."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

Ignore = Callable[[str, list[str]], set[str]]


def copy_into(source: Path, folder: Path, ignore: Ignore | None = None) -> None:
    """Make `folder` hold a copy of `source` (a folder's contents, or the file itself), replacing what was there."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    temp = folder.with_name(f".{folder.name}.{uuid.uuid4().hex}.partial")
    try:
        if source.is_dir():
            shutil.copytree(source, temp, ignore=ignore, symlinks=True)
        else:
            temp.mkdir()
            shutil.copy2(source, temp / source.name)
        if folder.exists():
            shutil.rmtree(folder)
        temp.rename(folder)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
