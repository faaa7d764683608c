"""Which folders a stack's local workspace may use, decided before anything is written.

A workspace lives in `<local.root>/<stack>` and takes a folder only if it made it (its
`workspace.json` says so) or the folder does not exist yet (or is empty): never one that holds
someone's files, which a destroy would then remove. The root itself must be a folder of its
own: inside the repository, or an explicit absolute path elsewhere; never `/`, the repository
or a folder that holds it. Standard library only: the stack's settings check this at preview.
"""

from __future__ import annotations

from pathlib import Path

from components.provider.local.layout import OWNER_RECORD
from components.provider.local.records import read_record


def root_problem(root: str, project: Path) -> str | None:
    """What is wrong with `local.root` for a repository at `project`, or None."""
    if not root.strip():
        return "is empty"
    path, project = (project / root).resolve(), project.resolve()
    if path == Path(path.anchor):
        return f"{root!r} is the filesystem root"
    if project.is_relative_to(path):
        return f"{root!r} is {'the repository itself' if path == project else 'a folder that holds the repository'} ({path})"
    if not Path(root).is_absolute() and not path.is_relative_to(project):
        return f"{root!r} leaves the repository ({path}); write an absolute path to keep workspaces outside it"
    return None


def folder_problem(folder: Path, stack: str, project: Path) -> str | None:
    """Why the stack's workspace may not take `folder`, or None when it may."""
    resolved = folder.resolve()
    if project.resolve().is_relative_to(resolved):
        return f"{folder} holds the repository"
    if not folder.exists():
        return None
    if not folder.is_dir():
        return f"{folder} is a file"
    owner = read_record(folder / OWNER_RECORD) if (folder / OWNER_RECORD).is_file() else None
    if owner is None:
        if any(folder.iterdir()):
            return f"{folder} already exists and this stack's workspace did not make it (it has no {OWNER_RECORD})"
        return None
    if owner.get("stack") not in (None, stack):
        return f"{folder} is the workspace of stack {owner['stack']!r}"
    return None
