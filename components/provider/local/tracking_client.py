"""A workspace's MLflow runs, through the machine's tracking service (see tracking_service.py).

Provider processes never import MLflow for their runs: each call is one line to the service,
which this client starts when none answers. The service is found by a discovery file named
after what it runs, holding its port, token, pid and the pid's start time: a file left by a
service that died (a recycled pid included) is never trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from components.provider.local.errors import LocalTargetError
from components.provider.local.layout import Layout
from components.provider.local.records import read_record
from components.provider.local.supervisor import process_start_time
from components.provider.local.venvs import cache_root

PARENT_RUN_TAG = "mlflow.parentRunId"
# Under load, importing MLflow alone can take most of this; the service's log says why if it never answers.
_START_SECONDS = 180.0
_LOST_RACE_WAIT_SECONDS = 15.0
_CODE_ROOT = Path(__file__).resolve().parents[3]


class TrackingUnavailableError(LocalTargetError):
    """The tracking service did not start or stopped answering."""


def discovery_file() -> Path:
    """Where the service for this environment and this code publishes its port and token."""
    here = Path(__file__).parent
    sources = [here / name for name in ("tracking_service.py", "tracking.py", "layout.py")]
    # The environment resolved: a project reached through a symlinked .venv shares the service of the one it links to.
    environment = str(Path(sys.prefix).resolve())
    key = hashlib.sha256("\0".join([environment, *(path.read_text() for path in sources)]).encode()).hexdigest()[:16]
    return cache_root().parent / "tracking" / f"{key}.json"


class RemoteTracking:
    """The runs of one workspace's MLflow store, as `tracking.Tracking` serves them; safe to share between threads."""

    def __init__(self, layout: Layout) -> None:
        self._root = str(layout.path.resolve())
        self._lock = threading.Lock()
        self._connection: tuple[socket.socket, Any, str] | None = None

    def experiment_id(self, name: str) -> str:
        return self._call("experiment_id", name)

    def start_run(self, experiment_id: str, name: str, tags: Mapping[str, str]) -> str:
        return self._call("start_run", experiment_id, name, dict(tags))

    def finish_run(self, run_id: str, status: str) -> None:
        self._call("finish_run", run_id, status)

    def metric(self, run_id: str, key: str) -> float | None:
        return self._call("metric", run_id, key)

    def log_metric(self, run_id: str, key: str, value: float) -> None:
        self._call("log_metric", run_id, key, value)

    def child_runs(self, experiment_id: str, parent_run_id: str) -> list[str]:
        return self._call("child_runs", experiment_id, parent_run_id)

    def attach(self, run_id: str, path: Path, folder: str) -> None:
        self._call("attach", run_id, str(path), folder)

    def attach_folder(self, run_id: str, folder: Path, artifact_path: str) -> None:
        self._call("attach_folder", run_id, str(folder), artifact_path)

    def set_tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        self._call("set_tags", run_id, dict(tags))

    def archive_run(self, run_id: str) -> None:
        self._call("archive_run", run_id)

    def restore_run(self, run_id: str) -> None:
        self._call("restore_run", run_id)

    def open(self) -> None:
        """Create (or check) the workspace's database, as the first use of its runs would."""
        self._call("open")

    def close(self) -> None:
        """Let the service drop the store (a destroy is about to delete it), and this connection."""
        with self._lock:
            if self._connection is None and _live(discovery_file()) is None:
                return  # no service holds it open
        self._call("close")
        with self._lock:
            self._disconnect()

    def _call(self, method: str, *args: Any) -> Any:
        request = {"root": self._root, "method": method, "args": list(args)}
        with self._lock:
            answer = self._exchange(request)
        if "error" in answer:
            raise TrackingUnavailableError(f"MLflow tracking of workspace {self._root}: {method} failed: {answer['error']}")
        return answer["result"]

    def _exchange(self, request: dict[str, Any]) -> dict[str, Any]:
        """One request and its answer; a connection the service closed (it went idle) is made again once."""
        for _ in range(2):
            connection, reader, token = self._connected()
            try:
                connection.sendall(json.dumps({**request, "token": token}).encode() + b"\n")
                line = reader.readline()
            except OSError:
                line = b""
            if line:
                return json.loads(line)
            self._disconnect()
        raise TrackingUnavailableError(f"the MLflow tracking service stopped answering; see {discovery_file().with_suffix('.log')}")

    def _connected(self) -> tuple[socket.socket, Any, str]:
        if self._connection is None:
            connection, token = _connect(discovery_file())
            self._connection = (connection, connection.makefile("rb"), token)
        return self._connection

    def _disconnect(self) -> None:
        if self._connection is not None:
            self._connection[1].close()
            self._connection[0].close()
            self._connection = None


def _connect(discovery: Path) -> tuple[socket.socket, str]:
    """A connection to the running service, starting one if none runs."""
    deadline = time.monotonic() + _START_SECONDS
    started: subprocess.Popen[bytes] | None = None
    start_again_at = 0.0
    while time.monotonic() < deadline:
        found = _live(discovery)
        if found is not None:
            try:
                return socket.create_connection(("127.0.0.1", int(found["port"])), timeout=None), str(found["token"])
            except OSError:
                pass  # it is shutting down: the next round starts another
        elif started is None or (started.poll() is not None and time.monotonic() >= start_again_at):
            started = _start(discovery)
            # One that exits at once found another service starting (holding the lock): give that one time to publish.
            start_again_at = time.monotonic() + _LOST_RACE_WAIT_SECONDS
        time.sleep(0.05)
    raise TrackingUnavailableError(
        f"the MLflow tracking service did not start within {_START_SECONDS:.0f} s; see {discovery.with_suffix('.log')}"
    )


def _live(discovery: Path) -> dict[str, Any] | None:
    """The published record of a service that still runs, if any."""
    found = read_record(discovery)
    if found is None or process_start_time(int(found["pid"])) != found["started"]:
        return None
    return found


def _interpreter() -> str:
    """This environment's Python by its resolved path: MLflow finds its migrations through the path it was imported
    from, and a project copy that reaches the venv through a symlink may be deleted while the service serves."""
    executable, prefix = Path(sys.executable), Path(sys.prefix)
    if not executable.is_relative_to(prefix):
        return sys.executable
    return str(prefix.resolve() / executable.relative_to(prefix))


def _start(discovery: Path) -> subprocess.Popen[bytes]:
    discovery.parent.mkdir(parents=True, exist_ok=True)
    with discovery.with_suffix(".log").open("ab") as log:
        # Its own session: a Ctrl-C of the deployment must not cut a write short; it ends by itself when idle.
        # Not in the code's folder: it may be a temporary copy of the project, gone while the service still serves.
        path = os.pathsep.join(filter(None, [str(_CODE_ROOT), os.environ.get("PYTHONPATH")]))
        return subprocess.Popen(
            [_interpreter(), "-m", "components.provider.local.tracking_service", str(discovery)],
            cwd=discovery.parent,
            env={**os.environ, "PYTHONPATH": path},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
