"""A stack's local workspace: its folder, MLflow store and compute pools, shared by the backend's threads.

Runs are tracked through the machine's tracking service (tracking_client.py), so a provider
process that only drives jobs never imports MLflow; the model registry, used by the process
that registers models, opens the store in process.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from components.provider.backend import Outs, Props
from components.provider.local.compute import ComputePools
from components.provider.local.errors import FolderNotOursError
from components.provider.local.layout import OWNER_RECORD, WRITTEN, Layout
from components.provider.local.ownership import folder_problem
from components.provider.local.process import settle
from components.provider.local.progress import report
from components.provider.local.records import read_record, write_record
from components.provider.local.tracking_client import RemoteTracking

if TYPE_CHECKING:
    from mlflow import MlflowClient


class LocalWorkspace:
    def __init__(self, workspace: Props) -> None:
        self.layout = Layout(str(workspace["root"]))
        self.stack = str(workspace.get("stack") or "")
        self.pools = ComputePools(self.layout.compute, int(workspace.get("concurrency") or os.cpu_count() or 1))
        self.tracking = RemoteTracking(self.layout)
        self._registry: MlflowClient | None = None
        self._registries: dict[str, MlflowClient] = {}
        self._lock = threading.Lock()

    @property
    def registry(self) -> MlflowClient:
        """The model registry, opened in this process on first use."""
        with self._lock:
            if self._registry is None:
                from components.provider.local.tracking import Tracking

                self._registry = Tracking(self.layout).client
            return self._registry

    def shared_registry(self, name: str) -> MlflowClient:
        """The local registry `name` (beside the stacks' folders: `Layout.registry`), opened in this process on first use."""
        with self._lock:
            if name not in self._registries:
                from components.provider.local.tracking import Tracking

                self._registries[name] = Tracking(self.layout.registry(name)).client
            return self._registries[name]

    def close(self) -> None:
        """Let go of the store before its folder is removed: the service's connections, and this process's."""
        self.tracking.close()
        with self._lock:
            if self._registry is not None:
                from components.provider.local.tracking import release_store

                self._registry = None
                release_store(self.layout)


def prepare_workspace(workspace: LocalWorkspace, props: Props) -> Outs:
    """Create the folder (or take over the one this stack's workspace made); a token of this creation marks it as ours."""
    layout = workspace.layout
    problem = folder_problem(layout.path, workspace.stack, layout.base)
    if problem is not None:
        raise FolderNotOursError(f"workspace {props['name']}: {problem}; move it away or choose another local.root")
    workspace.tracking.open()
    owner = uuid.uuid4().hex
    write_record(layout.path / OWNER_RECORD, {"owner": owner, "stack": workspace.stack})
    return {**_outs(layout), "owner": owner}


def read_workspace(workspace: LocalWorkspace) -> Outs | None:
    return _outs(workspace.layout) if workspace.layout.db.is_file() else None


def remove_workspace(workspace: LocalWorkspace, outs: Props) -> None:
    """Stop what still runs in it, then delete what the workspace wrote, and its folder if nothing else is left there;
    unless a replacement (`pulumi up --replace`, say) has since taken the folder over."""
    layout, subject = workspace.layout, f"workspace {outs['name']}"
    record = read_record(layout.path / OWNER_RECORD)
    if record is not None and outs.get("owner") and record["owner"] != outs["owner"]:
        report(subject, f"{layout.root} now belongs to its replacement: kept")
        return
    # A killed deployment may have left runs going (and its provider process driving them): stop them first.
    settle(layout.jobs, sorted(layout.jobs.glob("*.lock")), subject)
    settle(layout.endpoints, [], subject)  # an endpoint server whose resource a killed deployment never recorded
    workspace.close()
    for name in sorted(WRITTEN, key=lambda name: name == OWNER_RECORD):  # the token last: a half-done removal stays ours
        _remove(layout.path / name)
    left = sorted(path.name for path in layout.path.iterdir()) if layout.path.is_dir() else []
    if left:
        report(subject, f"kept {layout.root}: it holds files the stack did not write ({', '.join(left)})")
    else:
        with contextlib.suppress(FileNotFoundError):
            layout.path.rmdir()


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _outs(layout: Layout) -> Outs:
    return {"root": layout.root, "tracking_uri": layout.tracking_uri}
