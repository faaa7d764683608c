"""Jobs on the double's clock: the statuses each job type goes through, as the recorded service reports them.

* command jobs: the PUT answers ``Starting``; then ``Preparing`` (recorded on the first GET), ``Queued``,
  ``Running``, ``Finalizing`` and the outcome;
* sweep jobs: ``Running`` from the PUT on (recorded: 201 Running, then GET Running), then the outcome;
* pipeline jobs: the PUT answers ``NotStarted``, then ``Running`` (17 recorded polls), then the outcome once
  every step has ended.

Each status lasts ``JobScript.ticks_in(status)`` ticks (one by default). The SDK's other statuses
(Provisioning, CancelRequested, NotResponding, Paused) are reached by script (``outcome="Paused"``) or by a cancel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Ended for good: the clock leaves these alone.
TERMINAL_STATUSES = ("Completed", "Failed", "Canceled")
# Stuck until someone acts (the SDK's stream() also stops on them): the clock leaves these alone too.
STALLED_STATUSES = ("NotResponding", "Paused")
OUTCOMES = TERMINAL_STATUSES + STALLED_STATUSES

_PHASES = {
    "command": ("Starting", "Preparing", "Queued", "Running", "Finalizing"),
    "sweep": ("Running",),
    "pipeline": ("NotStarted", "Running"),
}


def _now() -> datetime:
    return datetime.now(UTC)


def phases(job_type: str) -> tuple[str, ...]:
    """The statuses a job of ``job_type`` goes through before its outcome."""
    return _PHASES.get(job_type.lower(), _PHASES["command"])


@dataclass
class JobScript:
    """How a job behaves on the double's clock."""

    outcome: str = "Completed"  # or "Failed", "Canceled", "NotResponding", "Paused"
    queued_ticks: int = 1  # ticks spent in Queued
    running_ticks: int = 1  # ticks spent in Running before the outcome
    starting_ticks: int = 1
    preparing_ticks: int = 1
    finalizing_ticks: int = 1
    not_started_ticks: int = 1  # pipelines
    error_code: str = "UserError"
    error_message: str = "Execution failed. User process exited with a non-zero exit code."
    log: str | None = None  # user_logs/std_log.txt content; a default is generated when None
    metrics: list[float] | None = None  # sweep: primary-metric value per trial
    output_files: dict[str, dict[str, bytes | str]] | None = None  # output name -> {relative path: bytes}
    match: str | None = None  # for script_next_job: regex on name / display name / experiment name
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)  # pipeline: step name -> JobScript fields

    def ticks_in(self, status: str) -> int:
        return {
            "Starting": self.starting_ticks,
            "Preparing": self.preparing_ticks,
            "Queued": self.queued_ticks,
            "Running": self.running_ticks,
            "Finalizing": self.finalizing_ticks,
            "NotStarted": self.not_started_ticks,
        }.get(status, 1)

    def for_step(self, step: str) -> JobScript:
        return JobScript(**self.steps.get(step, {}))


@dataclass
class JobRecord:
    name: str
    resource: dict  # ARM JobBase resource as served (without status, added on read)
    script: JobScript
    status: str = "Starting"
    ticks: int = 0  # ticks spent in the current status
    parent: str | None = None
    children: list[str] = field(default_factory=list)
    created: datetime = field(default_factory=_now)
    started: datetime | None = None
    ended: datetime | None = None
    error: dict | None = None
    log_urls: dict[str, str] = field(default_factory=dict)
    metric: float | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    hidden: bool = False
    step: str | None = None  # pipeline step (node) name, for a pipeline's child
    depends_on: list[str] = field(default_factory=list)  # pipeline steps whose outputs this step reads
    cancel_polls: int = 0  # 202 answers left on the cancel operation

    @property
    def job_type(self) -> str:
        return self.resource["properties"].get("jobType", "Command")

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def idle(self) -> bool:
        """Nothing more happens on the clock: ended, or stalled until someone acts."""
        return self.status in OUTCOMES

    def next_status(self) -> str:
        """The status after the current one: the next phase, or the outcome after the last one."""
        path = phases(self.job_type)
        if self.status not in path:
            return path[0]
        i = path.index(self.status)
        return path[i + 1] if i + 1 < len(path) else self.script.outcome
