"""The keeper of one run's process; started as a script, it outlives the provider process on purpose.

A training run must not die with the deployment that started it, nor run twice: a hard kill
of `pulumi up` (or of its provider host) leaves this keeper running the command to its end, and
the next `up` adopts the result instead of starting it again. So this keeper, not the
provider, owns what only it can know once the provider is gone:

- `process.json`: its pid and start time, so a later provider (or destroy) can find it and
  stop it deliberately, never a recycled pid;
- the run's lock: the launcher hands it an flock'd descriptor that it and the command
  inherit, so "may this run still be running?" is "is the lock held?", with no race and
  no stale pid files (the kernel drops the lock when the last holder exits);
- `exit.json`: the command's exit status, whether it ran out of time, whether it was stopped;
- the time limit, enforced here so an orphaned run still stops when it should.

Only the standard library: it runs in the stack's interpreter, by path, before anything else is imported.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PROCESS_RECORD = "process.json"
EXIT_RECORD = "exit.json"
LOCK_FILE = "process.lock"
# Seconds a stopped command gets between SIGTERM and SIGKILL.
GRACE_SECONDS = 10.0


def process_start_time(pid: int) -> str | None:
    """When the process started, as the kernel tells it (None once it has exited): with the pid, names one process for good."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:  # no /proc (macOS): ps prints the start time
        found = subprocess.run(["ps", "-o", "lstart=", "-p", str(pid)], capture_output=True, text=True, check=False)
        return found.stdout.strip() or None
    # Fields 3 (state) and 22 (starttime); the command name in parentheses may hold spaces, so count from its end.
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] == "Z":  # it has exited and only waits for its parent to reap it: it names no running process
        return None
    return fields[19]


def write_json(path: Path, record: dict) -> None:
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w") as file:
        json.dump(record, file, indent=2, sort_keys=True)
    Path(temp).replace(path)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the whole group has exited already
        os.killpg(pgid, sig)


def _stop(command: subprocess.Popen[bytes]) -> None:
    """SIGTERM the command's process group, then SIGKILL whatever is left of it after the grace period."""
    _signal_group(command.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        command.wait(timeout=GRACE_SECONDS)
    _signal_group(command.pid, signal.SIGKILL)
    command.wait()


def supervise(folder: Path, cwd: Path, log: Path, timeout: float | None, command: str, lock_fd: int) -> dict:
    """Run `command` to its end, its time limit or a stop request (SIGTERM, SIGINT, SIGHUP); return its exit record."""
    stop_requested = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop_requested.set())
    write_json(folder / PROCESS_RECORD, {"pid": os.getpid(), "start_time": process_start_time(os.getpid())})
    deadline = None if timeout is None else time.monotonic() + timeout
    shell = "/bin/bash" if Path("/bin/bash").exists() else "/bin/sh"
    with log.open("ab") as output:
        process = subprocess.Popen(
            [shell, "-c", command],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            # The command holds the run's lock too: while anything of it lives, the run "may still run".
            pass_fds=(lock_fd,),
            # Its own process group, so a stop reaches everything it started, and only that.
            start_new_session=True,
        )
    timed_out = False
    while process.poll() is None:
        if stop_requested.wait(0.1):
            _stop(process)
        elif deadline is not None and time.monotonic() >= deadline:
            timed_out = True
            _stop(process)
    # Whatever the command left behind in its group goes with it, as on Azure ML, where the node is released.
    _signal_group(process.pid, signal.SIGKILL)
    return {"status": process.returncode, "timed_out": timed_out, "stopped": stop_requested.is_set() and not timed_out, "timeout": timeout}


def main(argv: list[str]) -> int:
    folder, cwd, log, timeout, lock_fd, command = argv
    record = supervise(Path(folder), Path(cwd), Path(log), float(timeout) if timeout else None, command, int(lock_fd))
    write_json(Path(folder) / EXIT_RECORD, {**record, "ended": time.time()})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
