"""One job process: a shell command in its own session, its output in one log file, bounded in time.

Azure ML runs a job's command with bash; so does this. The process gets a session of its own
so that a timeout stops everything it started, not just the shell.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from collections.abc import Mapping
from pathlib import Path

from components.provider.local.errors import JobFailedError

LOG_TAIL_LINES = 20
_GRACE_SECONDS = 10


def run_process(command: str, cwd: Path, env: Mapping[str, str], log: Path, timeout: float | None, subject: str) -> None:
    """Run `command`; raise JobFailedError with the log's tail if it exits non-zero or outlives `timeout` seconds."""
    log.parent.mkdir(parents=True, exist_ok=True)
    shell = shutil.which("bash") or "/bin/sh"
    with log.open("ab") as output:
        process = subprocess.Popen(
            [shell, "-c", command],
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            status = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(process)
            raise JobFailedError(f"{subject} ran out of time after {timeout:.0f} s and was stopped.\n{log_tail(log)}") from None
        except BaseException:
            _stop(process)
            raise
    if status != 0:
        raise JobFailedError(f"{subject} failed with exit status {_describe(status)}.\n{log_tail(log)}")


def log_tail(log: Path, lines: int = LOG_TAIL_LINES) -> str:
    text = log.read_text(errors="replace") if log.exists() else ""
    tail = "\n".join(text.rstrip().splitlines()[-lines:])
    return f"Last {lines} lines of {log}:\n{tail}"


def _describe(status: int) -> str:
    return f"{status} (killed by {signal.Signals(-status).name})" if status < 0 else str(status)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left of it after a grace period."""
    _signal_group(process, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=_GRACE_SECONDS)
    _signal_group(process, signal.SIGKILL)
    process.wait()


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # the whole group has exited already
        os.killpg(process.pid, sig)
