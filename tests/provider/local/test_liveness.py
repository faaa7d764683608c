"""Whether a local server still runs, as `diff` asks: from its supervisor's record and the process table."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from components.provider.local.liveness import server_stopped
from components.provider.local.supervisor import PROCESS_RECORD, process_start_time


def test_a_supervisor_that_exited_but_is_not_reaped_yet_is_stopped(tmp_path: Path) -> None:
    """Its lock is let go before its parent reaps it: a zombie must not pass for a live server."""
    child = subprocess.Popen(["sleep", "0.2"])
    started = process_start_time(child.pid)
    folder = tmp_path / "endpoints" / "scorer"
    folder.mkdir(parents=True)
    (folder / PROCESS_RECORD).write_text(json.dumps({"pid": child.pid, "start_time": started}))
    workspace = {"target": "local", "root": str(tmp_path)}
    assert not server_stopped(workspace, "scorer", None)
    while Path(f"/proc/{child.pid}/stat").read_text().split(")")[1].split()[0] != "Z":
        time.sleep(0.05)
    try:
        assert server_stopped(workspace, "scorer", None)
    finally:
        child.wait()
