"""The machine's tracking service: one MLflow process for every provider process, found again, gone when idle."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mlflow import MlflowClient

from components.provider.local import tracking_service
from components.provider.local.layout import Layout
from components.provider.local.tracking_client import RemoteTracking, TrackingUnavailableError, discovery_file
from components.provider.local.venvs import CACHE_VARIABLE

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def module_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tracking-cache") / "envs"


@pytest.fixture
def shared_service(module_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tool cache of this module's, so its tests share one service (starting one costs seconds) but no other's."""
    monkeypatch.setenv(CACHE_VARIABLE, str(module_cache))
    return discovery_file()


@pytest.fixture
def own_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tool cache of the test's own, for tests that start, stop or fake the service themselves."""
    monkeypatch.setenv(CACHE_VARIABLE, str(tmp_path / "cache" / "envs"))
    return discovery_file()


def published(discovery: Path) -> dict:
    return json.loads(discovery.read_text())


def test_runs_of_two_workspaces_land_in_their_own_stores_through_one_service(tmp_path: Path, shared_service: Path) -> None:
    first, second = Layout(str(tmp_path / "first")), Layout(str(tmp_path / "second"))
    runs = {}
    for layout in (first, second):
        tracking = RemoteTracking(layout)
        runs[layout.root] = tracking.start_run(tracking.experiment_id("exp"), "run", {"kind": layout.root})
        tracking.set_tags(runs[layout.root], {"more": "yes"})
        tracking.finish_run(runs[layout.root], "FINISHED")
    service_pid = published(shared_service)["pid"]
    assert service_pid != os.getpid()
    for layout in (first, second):
        run = MlflowClient(tracking_uri=layout.tracking_uri).get_run(runs[layout.root])
        assert (run.data.tags["kind"], run.data.tags["more"], run.info.status) == (layout.root, "yes", "FINISHED")
    assert published(shared_service)["pid"] == service_pid


def test_a_provider_process_that_drives_runs_never_imports_mlflow(tmp_path: Path, shared_service: Path) -> None:
    script = f"""
import sys
from components.provider.local.backend import LocalBackend
backend = LocalBackend({{"target": "local", "root": {str(tmp_path / "ws")!r}, "concurrency": 1}})
tracking = backend._workspace.tracking
run = tracking.start_run(tracking.experiment_id("exp"), "run", {{}})
tracking.finish_run(run, "FINISHED")
print(run, sorted(name for name in sys.modules if name.split(".")[0] in ("mlflow", "sqlalchemy")))
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True, env=dict(os.environ))
    run_id, imported = done.stdout.split(" ", 1)
    assert imported.strip() == "[]"
    assert MlflowClient(tracking_uri=Layout(str(tmp_path / "ws")).tracking_uri).get_run(run_id).info.status == "FINISHED"


def test_a_record_left_by_a_dead_service_is_not_trusted(tmp_path: Path, own_service: Path) -> None:
    own_service.parent.mkdir(parents=True, exist_ok=True)
    own_service.write_text(json.dumps({"port": 9, "pid": 2**22 - 1, "started": "0", "token": "stale"}))
    tracking = RemoteTracking(Layout(str(tmp_path / "ws")))
    assert tracking.experiment_id("exp")
    assert published(own_service)["token"] != "stale"


def test_errors_come_back_as_one_message_naming_the_call(tmp_path: Path, shared_service: Path) -> None:
    tracking = RemoteTracking(Layout(str(tmp_path / "ws")))
    with pytest.raises(TrackingUnavailableError, match=r"finish_run failed: .*no-such-run"):
        tracking.finish_run("no-such-run", "FINISHED")


def test_a_request_without_the_token_is_refused(tmp_path: Path, shared_service: Path) -> None:
    RemoteTracking(Layout(str(tmp_path / "ws"))).open()
    with socket.create_connection(("127.0.0.1", published(shared_service)["port"])) as connection:
        connection.sendall(json.dumps({"root": str(tmp_path / "ws"), "method": "experiment_id", "args": ["x"]}).encode() + b"\n")
        answer = json.loads(connection.makefile("rb").readline())
    assert answer == {"error": "PermissionError: wrong token"}


def test_the_service_exits_once_idle_and_a_second_one_yields_to_the_first(tmp_path: Path, own_service: Path) -> None:
    own_service.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", tracking_service.__name__, str(own_service), "1"]
    first = subprocess.Popen(command, cwd=ROOT)
    deadline = time.monotonic() + 60
    while not own_service.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    with socket.create_connection(("127.0.0.1", published(own_service)["port"])):  # a client: not idle
        assert subprocess.run(command, cwd=ROOT, timeout=60).returncode == 0  # the lock is taken: it leaves at once
        time.sleep(1.5)
        assert first.poll() is None
        assert published(own_service)["pid"] == first.pid
    assert first.wait(timeout=30) == 0
    assert not own_service.exists()


def test_a_service_started_from_a_deleted_project_copy_still_opens_new_stores(tmp_path: Path, own_service: Path) -> None:
    """A copy of the project reaching the venv through a symlink (as the e2e tests' copies do) starts the service, then is gone."""
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / ".venv").symlink_to(Path(sys.prefix).resolve())
    script = "from components.provider.local.tracking_client import RemoteTracking; from components.provider.local.layout import Layout; "
    script += f"RemoteTracking(Layout({str(tmp_path / 'first')!r})).experiment_id('exp')"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([str(copy / ".venv" / "bin" / "python"), "-c", script], cwd=copy, env=env, check=True, timeout=240)
    (copy / ".venv").unlink()
    copy.rmdir()

    assert RemoteTracking(Layout(str(tmp_path / "second"))).experiment_id("exp")  # a new store: MLflow runs its migrations
