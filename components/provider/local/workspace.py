"""A stack's local workspace: its folder, MLflow store and compute pools, shared by the backend's threads."""

from __future__ import annotations

import os
import shutil
import threading
import uuid

from components.provider.backend import Outs, Props
from components.provider.local.compute import ComputePools
from components.provider.local.layout import Layout
from components.provider.local.progress import report
from components.provider.local.records import read_record, write_record
from components.provider.local.tracking import Tracking, create_store, release_store

_OWNER = "workspace.json"


class LocalWorkspace:
    def __init__(self, workspace: Props) -> None:
        self.layout = Layout(str(workspace["root"]))
        self.pools = ComputePools(self.layout.compute, int(workspace.get("concurrency") or os.cpu_count() or 1))
        self._tracking: Tracking | None = None
        self._lock = threading.Lock()

    @property
    def tracking(self) -> Tracking:
        """The MLflow store, opened on first use (reads of records never need it)."""
        with self._lock:
            if self._tracking is None:
                self._tracking = Tracking(self.layout)
            return self._tracking

    def close(self) -> None:
        with self._lock:
            self._tracking = None
            release_store(self.layout)


def prepare_workspace(workspace: LocalWorkspace, props: Props) -> Outs:
    """Create (or take over) the folder; a token of this creation marks it as ours."""
    create_store(workspace.layout)
    owner = uuid.uuid4().hex
    write_record(workspace.layout.path / _OWNER, {"owner": owner})
    return {**_outs(workspace.layout), "owner": owner}


def read_workspace(workspace: LocalWorkspace) -> Outs | None:
    return _outs(workspace.layout) if workspace.layout.db.is_file() else None


def remove_workspace(workspace: LocalWorkspace, outs: Props) -> None:
    """Delete the folder, unless a replacement (`pulumi up --replace`, say) has since taken it over."""
    record = read_record(workspace.layout.path / _OWNER)
    if record is not None and outs.get("owner") and record["owner"] != outs["owner"]:
        report(f"workspace {outs['name']}", f"{workspace.layout.root} now belongs to its replacement: kept")
        return
    workspace.close()
    shutil.rmtree(workspace.layout.path, ignore_errors=True)


def _outs(layout: Layout) -> Outs:
    return {"root": layout.root, "tracking_uri": layout.tracking_uri}
