"""One job process: a shell command kept by a supervisor of its own, run exactly once per run folder.

Azure ML runs a job's command with bash; so does this. The command is started by
`supervisor.py`, in a session of its own, so it is not the provider's child in any way that
matters: a hard kill of the deployment (SIGKILL of `pulumi up`, of its provider host, or a
Ctrl-C's SIGINT to the whole terminal group) leaves the run going, bounded by its own time
limit, and the next `up` waits for it and adopts its result instead of running it again.
Stopping one is always deliberate (`stop_runs`, on destroy). A run's folder says what became
of it (see the supervisor's docstring): running while its lock is held, finished once
`exit.json` is written, and neither means that nothing runs it and it never finished.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from enum import Enum
from pathlib import Path
from typing import Any

from components.provider.local import supervisor
from components.provider.local.errors import JobFailedError, LocalTargetError
from components.provider.local.progress import report
from components.provider.local.records import read_record

LOG_TAIL_LINES = 20
# How long a deliberate stop waits for a run to let go (the supervisor's grace period, and then some).
_STOP_WAIT_SECONDS = supervisor.GRACE_SECONDS + 20
_ADOPTED_POLL_SECONDS = 0.5


class RunState(Enum):
    NEW = "new"
    """Nothing runs it and it never finished: it never started, or it was lost (a reboot)."""
    RUNNING = "running"
    FINISHED = "finished"


def run_state(folder: Path) -> RunState:
    if (folder / supervisor.EXIT_RECORD).is_file():
        return RunState.FINISHED
    if not (folder / supervisor.LOCK_FILE).exists():
        return RunState.NEW
    with held(folder / supervisor.LOCK_FILE) as taken:
        return RunState.NEW if taken else RunState.RUNNING


def start_process(
    command: str, cwd: Path, env: Mapping[str, str], log: Path, timeout: float | None, folder: Path
) -> subprocess.Popen[bytes]:
    """Start `command` under its supervisor; the run must be NEW (the lock makes sure no two start it)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    # From the moment the supervisor starts, it (and the command) alone hold the lock: ours goes with `_opened`.
    with _opened(folder / supervisor.LOCK_FILE) as fd:
        if not _try_lock(fd):
            raise RuntimeError(f"{folder} is already being run by another process")
        (folder / supervisor.EXIT_RECORD).unlink(missing_ok=True)
        arguments = [str(folder), str(cwd), str(log), "" if timeout is None else repr(timeout), str(fd), command]
        with log.open("ab") as errors:
            return subprocess.Popen(
                [sys.executable, "-I", supervisor.__file__, *arguments],
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=errors,
                stderr=subprocess.STDOUT,
                pass_fds=(fd,),
                start_new_session=True,
            )


def wait_for_exit(folder: Path, process: subprocess.Popen[bytes] | None) -> dict[str, Any] | None:
    """Wait until the run has finished (or nothing runs it any more); its exit record, None if it ended without one.

    `process` is the supervisor when this process started it; otherwise (adopting a run an earlier
    provider started) the run's folder is watched until its exit record appears or its lock is let go.
    """
    if process is not None:
        try:
            process.wait()
        except BaseException:
            stop_runs([folder])
            raise
    while (record := read_record(folder / supervisor.EXIT_RECORD)) is None and run_state(folder) is RunState.RUNNING:
        time.sleep(_ADOPTED_POLL_SECONDS)
    return record


def check_exit(exit_record: dict[str, Any] | None, log: Path, subject: str) -> None:
    """Raise JobFailedError (with the log's tail) unless the run exited 0."""
    if exit_record is None:
        raise JobFailedError(f"{subject} ended without an exit status: its supervisor was killed.\n{log_tail(log)}")
    if exit_record.get("timed_out"):
        limit = float(exit_record.get("timeout") or 0)
        raise JobFailedError(f"{subject} ran out of time after {limit:g} s and was stopped.\n{log_tail(log)}")
    if exit_record.get("stopped"):
        raise JobFailedError(f"{subject} was stopped before it finished (a destroy, or a deliberate stop).\n{log_tail(log)}")
    status = int(exit_record["status"])
    if status != 0:
        raise JobFailedError(f"{subject} failed with exit status {_describe(status)}.\n{log_tail(log)}")


def running_in(folder: Path) -> list[Path]:
    """Run folders at or below `folder` whose process still runs."""
    if not folder.is_dir():
        return []
    return [lock.parent for lock in folder.rglob(supervisor.LOCK_FILE) if run_state(lock.parent) is RunState.RUNNING]


def supervisor_pid(folder: Path) -> int | None:
    """The pid of the run's supervisor while it lives, as its record says; None once it is gone. Reads files only."""
    record = read_record(folder / supervisor.PROCESS_RECORD) or {}
    pid = record.get("pid")
    # The pid is this run's supervisor only if it started when the record says (pids are reused).
    if pid and record.get("start_time") == supervisor.process_start_time(pid):
        return int(pid)
    return None


def stop_runs(folders: list[Path]) -> None:
    """Stop these runs deliberately (their supervisors SIGTERM the commands) and wait until they have let go."""
    for folder in folders:
        pid = supervisor_pid(folder)
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + _STOP_WAIT_SECONDS
    for folder in folders:
        # Until the lock is let go, not only until the exit record appears: the supervisor writes that just before it
        # exits, and a run started again in this folder (a server, on its port) needs the lock.
        while _is_held(folder / supervisor.LOCK_FILE) and time.monotonic() < deadline:
            time.sleep(0.1)


def settle(folder: Path, drivers: list[Path], subject: str) -> list[Path]:
    """Stop every run at or below `folder` until none runs and no provider process drives one (holds a lock of
    `drivers`: one left behind by a killed deployment may start the next trial of a sweep); the runs stopped."""
    stopped: list[Path] = []
    deadline = time.monotonic() + _STOP_WAIT_SECONDS
    while True:
        running = running_in(folder)
        if running:
            report(subject, f"stopping {len(running)} run(s) still running from an interrupted deployment")
            stop_runs(running)
            stopped += running
        if not running and not any(_is_held(lock) for lock in drivers):
            return stopped
        if time.monotonic() > deadline:
            raise LocalTargetError(f"{subject}: runs under {folder} would not stop; stop them by hand (see {supervisor.PROCESS_RECORD})")
        time.sleep(0.2)


def _is_held(lock_file: Path) -> bool:
    if not lock_file.exists():
        return False
    with held(lock_file) as taken:
        return not taken


def log_tail(log: Path, lines: int = LOG_TAIL_LINES) -> str:
    text = log.read_text(errors="replace") if log.exists() else ""
    tail = "\n".join(text.rstrip().splitlines()[-lines:])
    return f"Last {lines} lines of {log}:\n{tail}"


def _describe(status: int) -> str:
    return f"{status} (killed by {signal.Signals(-status).name})" if status < 0 else str(status)


@contextlib.contextmanager
def held(lock_file: Path) -> Iterator[bool]:
    """Hold `lock_file`'s lock for the block (True), or learn that another process holds it (False)."""
    with _opened(lock_file) as fd:
        yield _try_lock(fd)


@contextlib.contextmanager
def exclusive(lock_file: Path, waiting: Callable[[], None]) -> Iterator[None]:
    """Hold `lock_file`'s lock for the block; if another process holds it, call `waiting()` and wait for it."""
    with _opened(lock_file) as fd:
        if not _try_lock(fd):
            waiting()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield


@contextlib.contextmanager
def _opened(lock_file: Path) -> Iterator[int]:
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        yield fd
    finally:
        os.close(fd)  # closing the descriptor is what lets the lock go


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
