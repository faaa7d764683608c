"""Whether the engine leaves room for every waiting job of a stack to run at once, warned about at preview.

The Pulumi CLI runs at most `--parallel` resource operations at once (by default 4 per CPU, or
the PULUMI_PARALLEL environment variable), on every target. A job that waits for its run holds
one of those operations until the run ends, so a stack with more waiting jobs than the limit
runs them in waves: the rest start only as earlier ones end. That is slower, never wrong, so it
is a warning, not an error. The Makefile's targets set a higher limit unless the user set one.
"""

from __future__ import annotations

import pulumi
import pulumi.runtime.settings

from components.spec.settings import StackSettings

# What the Makefile exports as PULUMI_PARALLEL when the user set none (a unit test keeps the two equal).
MAKE_PARALLEL = 64


def waiting_jobs(settings: StackSettings) -> int:
    """Jobs whose create lasts as long as their run."""
    # Locally even a `wait: false` job runs to its end inside its create (components/provider/local/jobs.py).
    if settings.target == "local":
        return len(settings.jobs)
    return sum(1 for job in settings.jobs if job.wait)


def engine_parallelism() -> int | None:
    """The CLI's `--parallel` as its language host passed it to this program; None if the SDK keeps it nowhere known.

    Not a public API: Pulumi's Python SDK (3.x) keeps the host's `--parallel` argument in
    `pulumi.runtime.settings.SETTINGS.parallel` (set on preview, up, refresh and destroy; None
    under mocks). Should a release drop or rename it, the warning just goes quiet.
    """
    value = getattr(getattr(pulumi.runtime.settings, "SETTINGS", None), "parallel", None)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def queued_jobs_warning(settings: StackSettings, parallel: int | None, stack_file: str) -> str | None:
    """One line when more jobs wait than the engine runs operations at once; None when all fit (or the limit is unknown)."""
    waiting = waiting_jobs(settings)
    if parallel is None or waiting <= parallel:
        return None
    # Room for every job and every other asset of the stack at once.
    room = waiting + len(settings.environments) + len(settings.datastores) + len(settings.data)
    room += len(settings.components) + len(settings.models)
    make = f", or `make up`, which sets PULUMI_PARALLEL={MAKE_PARALLEL} unless it is set" if room <= MAKE_PARALLEL else ""
    return (
        f"{stack_file}: {waiting} jobs wait for their runs but the engine runs at most {parallel} operations at once, "
        f"so at least {waiting - parallel} start only as others end (slower, not wrong); "
        f"run `pulumi up --parallel {room}` or set PULUMI_PARALLEL={room}{make}"
    )


def warn_if_jobs_queue(settings: StackSettings, stack_file: str) -> None:
    """Warn once per program run (so `pulumi preview` shows it) if the stack's jobs cannot all wait at once."""
    message = queued_jobs_warning(settings, engine_parallelism(), stack_file)
    if message:
        pulumi.log.warn(message)
