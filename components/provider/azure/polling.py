"""Waiting for a job: poll its status with backoff, report each change, give up at the deadline.

The SDK retries each request (429 honouring Retry-After, 5xx, dropped connections) a few
times; a wait of hours must also survive a blip longer than that, so the loop treats a
transient failure as "no news" and asks again later.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from components.provider.azure.errors import JobTimeoutError, is_transient
from components.provider.azure.report import report

# Every status azure-ai-ml knows (JobStatus), each handled on purpose:
# - ended for good: the wait is over;
TERMINAL = frozenset({"Completed", "Failed", "Canceled"})
UNSUCCESSFUL = TERMINAL - {"Completed"}
# - stuck until someone acts (the SDK's stream() stops on them too): waiting would only run into the timeout, so the
#   wait ends and the job is reported as needing attention; it is neither cancelled nor resubmitted;
STALLED = frozenset({"Paused", "NotResponding"})
# - on their way (CancelRequested ends Canceled, Finalizing ends Completed or Failed): keep waiting.
IN_PROGRESS = frozenset({"NotStarted", "Starting", "Provisioning", "Preparing", "Queued", "Running", "Finalizing", "CancelRequested"})


@dataclass(frozen=True)
class Polling:
    """How often to ask. The defaults suit real jobs; tests pass tiny delays."""

    first_delay: float = 5.0
    max_delay: float = 30.0
    factor: float = 1.5
    # Interval for the service's long-running operations (cancel, delete).
    operation_interval: float = 5.0
    # How long a removal waits for a cancel to take effect before it archives or deletes the job anyway
    # (the service takes about 30 s; the cancel goes on without us).
    cancel_wait: float = 60.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    def delays(self) -> Iterator[float]:
        delay = self.first_delay
        while True:
            yield delay
            delay = min(delay * self.factor, self.max_delay)


def status_of(job: Any) -> str:
    """The job's status as plain text (the SDK hands out its own str enum)."""
    status = job.status
    return str(getattr(status, "value", status))


def is_terminal(status: str | None) -> bool:
    return status in TERMINAL


def stops_waiting(status: str | None) -> bool:
    """Ended, or stalled until someone acts: either way, polling longer changes nothing."""
    return status in TERMINAL or status in STALLED


def wait_for_job(fetch: Callable[[], Any], job: Any, timeout_minutes: float, polling: Polling, entry: str = "this job") -> Any:
    """Poll `fetch()` until the job has ended or stalled (see STALLED); the last job seen.

    A status the SDK does not know yet is reported once and waited on, like the ones in progress.

    Raises JobTimeoutError at the deadline; `entry` says where the job's timeoutMinutes is set (see `advice.job_entry`).
    """
    start = polling.clock()
    deadline = start + float(timeout_minutes) * 60
    status = status_of(job)
    report(f"job {job.name}: {status}")
    for delay in polling.delays():
        if stops_waiting(status_of(job)):
            return job
        remaining = deadline - polling.clock()
        if remaining <= 0:
            raise _timeout(job, timeout_minutes, entry)
        polling.sleep(min(delay, remaining))
        job, pause = _poll(fetch, job)
        if status_of(job) != status:
            status = status_of(job)
            unknown = "" if status in TERMINAL | STALLED | IN_PROGRESS else " (a status this provider does not know; waiting on)"
            report(f"job {job.name}: {status} after {elapsed(polling.clock() - start)}{unknown}")
        if pause:
            polling.sleep(min(pause, max(0.0, deadline - polling.clock())))
    raise AssertionError("unreachable: delays() never ends")


def _poll(fetch: Callable[[], Any], last: Any) -> tuple[Any, float]:
    """The fresh job and no extra pause, or the last one seen and the service's Retry-After."""
    try:
        return fetch(), 0.0
    except Exception as err:
        if not is_transient(err):
            raise
        report(f"job {last.name}: status check failed ({_brief(err)}); will ask again")
        return last, _retry_after(err)


def _retry_after(err: BaseException) -> float:
    response = getattr(err, "response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    try:
        return max(0.0, float(value)) if value else 0.0
    except ValueError:
        return 0.0  # an HTTP date: the backoff is long enough


def _timeout(job: Any, timeout_minutes: float, entry: str) -> JobTimeoutError:
    return JobTimeoutError(
        f"job {job.name} is still {status_of(job)} after {timeout_minutes} minutes. It keeps running in Azure ML "
        f"({job.studio_url or 'see the studio'}): run `pulumi up` again to keep waiting for it (it is adopted, "
        f"not submitted again), or raise timeoutMinutes or set wait: false on {entry}."
    )


def elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{seconds:.0f}s" if seconds >= 1 else f"{seconds:.2f}s"


def _brief(err: BaseException) -> str:
    return str(err).splitlines()[0][:200] if str(err) else type(err).__name__
