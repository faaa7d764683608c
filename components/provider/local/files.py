"""Copies that appear whole or not at all (data assets, code snapshots, registered models, reused step outputs),
and digests of what files hold."""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

Ignore = Callable[[str, list[str]], set[str]]


def copy_into(source: Path, folder: Path, ignore: Ignore | None = None) -> None:
    """Make `folder` hold a copy of `source` (a folder's contents, or the file itself), replacing what was there."""

    def fill(temp: Path) -> None:
        if source.is_dir():
            shutil.copytree(source, temp, ignore=ignore, symlinks=True)
        else:
            temp.mkdir()
            shutil.copy2(source, temp / source.name)

    _replace(folder, fill)


def linked_copy(source: Path, destination: Path) -> None:
    """Make `destination` a copy of `source` (a file, or a folder and all it holds) whose files are hard links to
    the source's, or copies where a link is impossible: it costs no space, and stays whole when the source is deleted."""

    def fill(temp: Path) -> None:
        if source.is_dir():
            shutil.copytree(source, temp, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(str(source), str(temp))

    _replace(destination, fill)


def _replace(destination: Path, fill: Callable[[Path], None]) -> None:
    """Fill a temporary sibling, then put it in `destination`'s place: a reader never sees half a copy."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    temp = destination.with_name(f".{destination.name}.{uuid.uuid4().hex}.partial")
    try:
        fill(temp)
        _remove(destination)
        temp.rename(destination)
    finally:
        _remove(temp)


def content_digest(source: Path, ignore: Ignore | None = None) -> str:
    """A digest of a file's bytes, or of a folder's file names and bytes (leaving out what `ignore` names)."""
    digest = hashlib.sha256()
    files = [(".", source)] if source.is_file() else _files(source, ignore)
    for relative, path in files:
        digest.update(f"{relative}\0{path.stat().st_size}\0".encode())
        with path.open("rb") as file:
            while chunk := file.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def _files(folder: Path, ignore: Ignore | None) -> list[tuple[str, Path]]:
    found = []
    for directory, folders, names in os.walk(folder):
        left_out = ignore(directory, folders + names) if ignore else set()
        folders[:] = sorted(name for name in folders if name not in left_out)
        found += [(str(Path(directory, name).relative_to(folder)), Path(directory, name)) for name in names if name not in left_out]
    return sorted(found)


def _link_or_copy(source: str, destination: str) -> None:
    try:
        os.link(source, destination)
    except OSError:  # another file system, or one without hard links
        shutil.copy2(source, destination)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
