"""Command and sweep jobs: submitted once per name, adopted when they already exist.

The provider derives a job's name from what it runs, so a create that is re-run after an
interrupted `pulumi up` finds its job and adopts it instead of starting a second run; one
archived when its resource was removed is restored as it is adopted. A job that failed or was
cancelled stays so under its name: the error says which `rerun` runs it again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from components.provider.advice import job_entry, next_rerun, rerun_advice, timeout_minutes
from components.provider.azure.errors import JobFailedError, JobStalledError, ignore_missing, or_none
from components.provider.azure.job_logs import failure_message
from components.provider.azure.loading import load_entity
from components.provider.azure.polling import STALLED, UNSUCCESSFUL, Polling, is_terminal, status_of, wait_for_job
from components.provider.azure.report import report
from components.provider.backend import Outs, Props

if TYPE_CHECKING:
    from azure.ai.ml import MLClient

# What can change on a submitted job; the rest of a job is fixed once it runs.
MUTABLE = ("display_name", "description", "tags")
ON_DELETE = ("archive", "delete", "keep")
# The service's own output for logs and artifacts, not one the job declared.
_DEFAULT_OUTPUT = "default"
# Already stopping: asking again to cancel would only be refused.
_STOPPING = frozenset({"CancelRequested", "Finalizing"})
# Why a stalled job needs someone (see polling.STALLED).
_STALLED_WHY = {
    "Paused": "it was paused and waits until it is resumed",
    "NotResponding": "Azure ML lost contact with it (its compute stopped reporting)",
}
BEST_TRIAL_PROPERTY = "best_child_run_id"


def submit_job(ml: MLClient, props: Props, polling: Polling) -> Outs:
    name = props["name"]
    job = or_none(lambda: ml.jobs.get(name))
    if job is None:
        job = _create(ml, props)
        report(f"job {name}: submitted, {job.studio_url or ''}".rstrip(", "))
    else:
        report(f"job {name}: already submitted ({status_of(job)}); adopting it, not submitting it again")
        if _is_archived(ml, name):
            # Archived when its resource was removed (a destroy, or the job left the stack file): the stack keeps it again.
            report(f"job {name}: restoring it from the archive")
            ml.jobs.restore(name)
    return _settle(ml, job, props, polling)


def update_job(ml: MLClient, olds: Props, news: Props, polling: Polling) -> Outs:
    """Only display name, description and tags change in place (tags are merged: removed keys stay)."""
    name = olds["name"]
    changes = _metadata_changes(olds.get("definition") or {}, news.get("definition") or {})
    if changes:
        report(f"job {name}: updating {', '.join(sorted(changes))}")
        job = ml.jobs.update(name, **changes)
    else:
        job = ml.jobs.get(name)
    return _settle(ml, job, {**news, "name": name}, polling)


def read_job(ml: MLClient, outs: Props) -> Outs | None:
    job = or_none(lambda: ml.jobs.get(outs["name"]))
    return None if job is None else job_outputs(job, outs.get("definition") or {})


def remove_job(ml: MLClient, outs: Props, on_delete: str, polling: Polling) -> None:
    """Cancel the job if it still runs (also a Paused or NotResponding one), then archive, delete or keep it."""
    if on_delete not in ON_DELETE:
        raise ValueError(f"on_delete must be one of {', '.join(ON_DELETE)}, not {on_delete!r}")
    name = outs["name"]
    job = or_none(lambda: ml.jobs.get(name))
    if job is None:
        return
    status = status_of(job)
    if not is_terminal(status) and status not in _STOPPING:
        report(f"job {name}: {status}; cancelling it")
        _cancel(ml, name, polling)
    if on_delete == "archive":
        ignore_missing(lambda: ml.jobs.archive(name))
    elif on_delete == "delete":
        ignore_missing(lambda: ml.jobs.begin_delete(name, polling_interval=polling.operation_interval).result())


def job_outputs(job: Any, definition: Mapping[str, Any]) -> Outs:
    declared = set(job.outputs or {}) | set(definition.get("outputs") or {})
    return {
        "name": job.name,
        "status": status_of(job),
        "url": job.studio_url,
        "outputs": {output: f"azureml://jobs/{job.name}/outputs/{output}" for output in sorted(declared - {_DEFAULT_OUTPUT})},
        "best_trial": best_trial(job),
    }


def best_trial(job: Any) -> str | None:
    """A sweep's best child run so far; None for other jobs."""
    if getattr(job, "type", None) != "sweep":
        return None
    return (job.properties or {}).get(BEST_TRIAL_PROPERTY) or None


def _create(ml: MLClient, props: Props) -> Any:
    from azure.ai.ml import load_job

    overrides = {"name": props["name"], "experiment_name": props.get("experiment")}
    job = load_entity(load_job, props["definition"], props.get("base_dir"), overrides)
    try:
        return ml.jobs.create_or_update(job)
    except Exception:
        # A PUT the service accepted but whose answer was lost: the job exists, so adopt it.
        existing = or_none(lambda: ml.jobs.get(props["name"]))
        if existing is None:
            raise
        return existing


def _is_archived(ml: MLClient, name: str) -> bool:
    # The SDK's Job entity drops the service's isArchived flag; its REST object keeps it
    # (`_get_job` is what `jobs.get` and `jobs.restore` call; pinned azure-ai-ml, like job_logs).
    return bool(getattr(ml.jobs._get_job(name).properties, "is_archived", False))


def _cancel(ml: MLClient, name: str, polling: Polling) -> None:
    """Ask for the cancel, and wait for it at most `polling.cancel_wait` seconds.

    The service answers 202 and takes about 30 s (its operation has no Retry-After); a removal need not wait
    for all of it: the job stops anyway, and archiving or deleting it meanwhile is allowed.
    """
    try:
        # polling=False: the job's own status says when the cancel is done; no operation poller thread is left behind.
        ml.jobs.begin_cancel(name, polling=False)
    except Exception:
        # The job may have ended (or gone) between the read and the cancel: then there is nothing to stop.
        job = or_none(lambda: ml.jobs.get(name))
        if job is not None and not is_terminal(status_of(job)):
            raise
        return
    deadline = polling.clock() + polling.cancel_wait
    for delay in polling.delays():
        job = or_none(lambda: ml.jobs.get(name))
        if job is None or is_terminal(status_of(job)):
            return
        remaining = deadline - polling.clock()
        if remaining <= 0:
            report(f"job {name}: cancel requested, still {status_of(job)} after {polling.cancel_wait:g}s; Azure ML finishes it")
            return
        polling.sleep(min(delay, remaining))


def _settle(ml: MLClient, job: Any, props: Props, polling: Polling) -> Outs:
    """Wait when asked, fail on an unsuccessful end, and say what the job produced."""
    if props.get("wait", True):
        job = wait_for_job(lambda: ml.jobs.get(job.name), job, timeout_minutes(props), polling, job_entry(props))
        if status_of(job) in UNSUCCESSFUL:
            raise JobFailedError(failure_message(ml, job, rerun_advice(props)))
        if status_of(job) in STALLED:
            raise JobStalledError(_stalled_message(job, props))
    return job_outputs(job, props.get("definition") or {})


def _stalled_message(job: Any, props: Props) -> str:
    status = status_of(job)
    return (
        f"job {job.name} is {status}: {_STALLED_WHY.get(status, 'it needs attention')}, so waiting longer would change "
        f"nothing. It is not cancelled: look at it in the studio ({job.studio_url or 'n/a'}) and resume it or fix its "
        f"compute, then run `pulumi up` again to keep waiting for it (it is adopted, not submitted again); or cancel it "
        f"there and set rerun: {next_rerun(props)} on {job_entry(props)} to run it anew."
    )


def _metadata_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    return {key: new[key] for key in MUTABLE if new.get(key) is not None and new.get(key) != old.get(key)}
