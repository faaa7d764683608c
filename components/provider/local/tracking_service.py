"""One process that holds MLflow for every provider process of this machine: started on first use, gone when idle.

Importing MLflow and its SQLAlchemy store costs about 5 s of CPU. Every `pulumi` command
starts its provider processes anew (one per stack, or one per job where the host cannot serve
them all: see components/provider/hosts.py), and each would pay that before a run could start.
Instead, the job's MLflow calls (experiment, run, tags, metrics, artifacts) go to this service
over a loopback socket, and provider processes stay light: MLflow is imported once, by the
first stack operation that needs it, the service outlives the command by `IDLE_SECONDS` for
the next one, and every call costs a round trip.

The service is keyed by the Python environment, the code it runs and the tool cache: a
service started from another environment, or by other code, is never asked. One request per line, JSON:
`{"token", "root", "method", "args"}` to `{"result"}` or `{"error"}`; `root` is a workspace
folder (one MLflow store each). The token, readable only by this user, keeps other users
of the machine out. With no connection left for `IDLE_SECONDS`, the service exits.

Run as `python -m components.provider.local.tracking_service <discovery file> [idle seconds]` (see tracking_client.py).
"""

from __future__ import annotations

import fcntl
import json
import os
import socketserver
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from components.provider.local.supervisor import process_start_time

if TYPE_CHECKING:
    from components.provider.local.tracking import Tracking

# The Tracking methods provider processes may call, with what they return.
METHODS = frozenset(
    {
        "experiment_id",
        "start_run",
        "finish_run",
        "metric",
        "log_metric",
        "child_runs",
        "attach",
        "attach_folder",
        "set_tags",
        "archive_run",
        "restore_run",
    }
)
# Long enough to bridge the gaps between one deployment's steps; short enough not to linger after it.
IDLE_SECONDS = 20.0


class _Stores:
    """One Tracking per workspace folder, opened on first use; `close` lets a destroyed workspace's database go."""

    def __init__(self) -> None:
        # Imported once the lock is ours (a service that loses the race leaves before paying for MLflow), and all at
        # once: the code's folder may go away later (a temporary copy of the project), so nothing is imported after.
        from components.provider.local.layout import Layout
        from components.provider.local.tracking import Tracking, release_store

        self._layout, self._new_tracking, self._release = Layout, Tracking, release_store
        self._lock = threading.Lock()
        self._open: dict[str, Tracking] = {}

    def call(self, root: str, method: str, args: list[Any]) -> Any:
        if method == "close":
            self.close(root)
            return None
        if method == "open":
            self._tracking(root)
            return None
        if method not in METHODS:
            raise ValueError(f"unknown tracking method {method!r}")
        return getattr(self._tracking(root), method)(*args)

    def _tracking(self, root: str) -> Tracking:
        with self._lock:
            if root not in self._open:
                self._open[root] = self._new_tracking(self._layout(root))
            return self._open[root]

    def close(self, root: str) -> None:
        with self._lock:
            self._open.pop(root, None)
            self._release(self._layout(root))


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, token: str, idle_seconds: float) -> None:
        super().__init__(("127.0.0.1", 0), _Connection)
        self.token = token
        self._idle_seconds = idle_seconds
        self.stores = _Stores()
        self._connections = 0
        self._idle_since = time.monotonic()
        self._count = threading.Lock()

    def opened(self) -> None:
        with self._count:
            self._connections += 1

    def closed(self) -> None:
        with self._count:
            self._connections -= 1
            self._idle_since = time.monotonic()

    def idle(self) -> bool:
        with self._count:
            return self._connections == 0 and time.monotonic() - self._idle_since > self._idle_seconds


class _Connection(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        self.server.opened()
        try:
            for line in self.rfile:
                self.wfile.write(json.dumps(self._answer(line)).encode() + b"\n")
                self.wfile.flush()
        finally:
            self.server.closed()

    def _answer(self, line: bytes) -> dict[str, Any]:
        try:
            request = json.loads(line)
            if request.get("token") != self.server.token:
                return {"error": "PermissionError: wrong token"}
            return {"result": self.server.stores.call(str(request["root"]), str(request["method"]), list(request.get("args") or []))}
        except Exception as err:  # noqa: BLE001 - every failure goes back to the caller, who raises it
            return {"error": f"{type(err).__name__}: {err}"}


def serve(discovery: Path, idle_seconds: float = IDLE_SECONDS) -> None:
    """Serve until idle, unless another service already holds this key (then exit at once)."""
    lock = os.open(discovery.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return
    token = os.urandom(16).hex()
    with _Server(token, idle_seconds) as server:
        pid = os.getpid()
        _publish(discovery, {"port": server.server_address[1], "pid": pid, "started": process_start_time(pid), "token": token})
        threading.Thread(target=_stop_when_idle, args=(server,), daemon=True).start()
        server.serve_forever(poll_interval=0.5)
    discovery.unlink(missing_ok=True)


def _publish(discovery: Path, record: dict[str, Any]) -> None:
    temp = discovery.with_suffix(".tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        json.dump(record, file)
    temp.replace(discovery)


def _stop_when_idle(server: _Server) -> None:
    while not server.idle():
        time.sleep(1.0)
    server.shutdown()


if __name__ == "__main__":
    serve(Path(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else IDLE_SECONDS)
