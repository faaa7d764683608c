"""Job lifecycle: submit (or adopt), update, read and remove, around a record per job folder.

`<root>/jobs/<name>/job.json` is the job's record. The name is derived from what runs, so
the same name means the same work: a job whose record says Completed is adopted, never run
again, and one that Failed stays failed (as on Azure ML) until what runs changes or the
job's `rerun` is bumped, which gives it a new name. A job refused before it ran (a wrong
reference, say) leaves nothing behind. One whose deployment was killed mid-run (a Running
record) is resumed, never restarted: each of its runs that still runs is waited for and each
that finished is adopted (see `runs.execute`), so no training run ever starts twice. A
provider process the killed deployment left behind may still be driving the job: the job's
lock makes the next submit wait for it.

Jobs run synchronously even with `wait: false`: the engine ends the provider process when
the deployment ends, and a job left to itself would finish with nobody to record it. Once
submit returns, a local job has finished.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Mapping
from typing import Any

from components.provider.advice import job_entry, next_rerun, rerun_advice, timeout_minutes
from components.provider.backend import Outs, Props
from components.provider.local.command_jobs import run_command_job
from components.provider.local.errors import JobFailedError, UnsupportedLocallyError
from components.provider.local.job import JobContext, JobResult
from components.provider.local.pipeline_jobs import run_pipeline_job
from components.provider.local.process import exclusive, settle
from components.provider.local.progress import report
from components.provider.local.records import read_record, write_record
from components.provider.local.runs import started_runs
from components.provider.local.sweep_jobs import run_sweep_job
from components.provider.local.workspace import LocalWorkspace

Runner = Callable[[JobContext, LocalWorkspace], JobResult]
_RUNNERS: dict[str, Runner] = {"command": run_command_job, "sweep": run_sweep_job, "pipeline": run_pipeline_job}
LOCAL_KINDS = "command, sweep and pipeline"
_OUTS = ("name", "status", "url", "outputs", "best_trial")


def submit_job(workspace: LocalWorkspace, props: Props) -> Outs:
    layout, name = workspace.layout, props["name"]
    kind = str(props["definition"].get("type", "command"))
    subject = f"{kind if kind in ('sweep', 'pipeline') else 'job'} {name}"
    # One provider process drives a job at a time: one left behind by a killed deployment may still be at it.
    with exclusive(layout.job_lock(name), lambda: report(subject, "an earlier deployment's provider process still runs it: waiting")):
        return _submit(workspace, props, kind, subject)


def _submit(workspace: LocalWorkspace, props: Props, kind: str, subject: str) -> Outs:
    layout, name = workspace.layout, props["name"]
    record = read_record(layout.job_record(name))
    if record is not None and record["status"] == "Completed":
        report(subject, "Completed earlier: adopting it")
        _restore_runs(workspace, record)
        return _outs(record)
    if record is not None and record["status"] == "Failed":
        raise JobFailedError(
            f"{subject} failed earlier, and a job runs once per name.\n{record['error']}\n"
            f"{_advice(props, record.get('timed_out', False), record.get('timeout_minutes'))}"
        )
    if kind not in _RUNNERS:
        raise UnsupportedLocallyError(
            f"{subject}: {kind} jobs run only on Azure ML (the local target runs command, sweep and pipeline jobs)"
        )
    if record is not None:
        report(subject, "its deployment was interrupted: resuming it (what finished or still runs is adopted, never started again)")
    job = _context(workspace, props, subject)
    started = record.get("started", time.time()) if record is not None else time.time()
    write_record(layout.job_record(name), {"name": name, "status": "Running", "started": started})
    try:
        result = _RUNNERS[kind](job, workspace)
    except JobFailedError as err:
        timed_out = job.seconds_left() <= 0
        # The limit it ran under is kept: a later `up` may already carry a raised timeoutMinutes.
        limit = timeout_minutes(props)
        failed = {"name": name, "status": "Failed", "started": started, "error": str(err), "timed_out": timed_out, "timeout_minutes": limit}
        write_record(layout.job_record(name), failed)
        # `from None`: the engine prints the traceback too, and the cause would repeat the log's tail.
        raise JobFailedError(f"{err}\n{_advice(props, timed_out)}") from None
    except BaseException:
        if not started_runs(layout.job_dir(name)):
            shutil.rmtree(layout.job_dir(name), ignore_errors=True)  # refused before it ran: nothing to keep
        raise
    record = _completed_record(workspace, job, result, started)
    write_record(layout.job_record(name), record)
    report(subject, f"Completed in {record['ended'] - started:.1f} s")
    return _outs(record)


def update_job(workspace: LocalWorkspace, olds: Props, news: Props) -> Outs:
    """Only metadata changed (anything else replaces the job): show it on the MLflow run, keep the outputs."""
    record = read_record(workspace.layout.job_record(olds["name"]))
    if record is not None and record.get("run_id"):
        workspace.tracking.set_tags(record["run_id"], _run_tags(news["definition"]))
    return {key: olds.get(key) for key in _OUTS}


def read_job(workspace: LocalWorkspace, outs: Props) -> Outs | None:
    record = read_record(workspace.layout.job_record(outs["name"]))
    return None if record is None else _outs(record)


def remove_job(workspace: LocalWorkspace, outs: Props, on_delete: str) -> None:
    """Stop the job if it still runs (a killed deployment left it running), then: "archive" soft-deletes its
    MLflow runs and keeps its folder, "delete" also removes the folder, "keep" leaves both."""
    layout, name = workspace.layout, outs["name"]
    if settle(layout.job_dir(name), [layout.job_lock(name)], f"job {name}"):
        record = read_record(layout.job_record(name))
        if record is not None and record["status"] == "Running":
            stopped = {**record, "status": "Failed", "error": f"job {name} was stopped by a destroy before it finished"}
            write_record(layout.job_record(name), stopped)
    record = read_record(layout.job_record(name))
    if record is None or on_delete == "keep":
        return
    _archive_runs(workspace, record)
    if on_delete == "delete":
        shutil.rmtree(layout.job_dir(name), ignore_errors=True)
        layout.job_lock(name).unlink(missing_ok=True)


def _context(workspace: LocalWorkspace, props: Props, subject: str) -> JobContext:
    definition, layout = props["definition"], workspace.layout
    experiment = str(props.get("experiment") or definition.get("experiment_name") or props["key"])
    return JobContext(
        name=props["name"],
        subject=subject,
        definition=definition,
        base_dir=layout.base / props.get("base_dir", "."),
        folder=layout.job_dir(props["name"]),
        experiment_name=experiment,
        experiment_id=workspace.tracking.experiment_id(experiment),
        deadline=time.monotonic() + 60 * timeout_minutes(props),
        tags={"azureml.job_name": props["name"], "azureml.job_key": str(props["key"]), **_run_tags(definition)},
    )


def _run_tags(definition: Mapping[str, Any]) -> dict[str, str]:
    tags = {str(k): str(v) for k, v in (definition.get("tags") or {}).items()}
    if definition.get("description"):
        tags["mlflow.note.content"] = str(definition["description"])
    if definition.get("display_name"):
        tags["azureml.display_name"] = str(definition["display_name"])
    return tags


def _completed_record(workspace: LocalWorkspace, job: JobContext, result: JobResult, started: float) -> dict[str, Any]:
    layout = workspace.layout
    return {
        "name": job.name,
        "status": "Completed",
        "url": job.folder.as_uri(),
        "outputs": {name: layout.shown(path) for name, path in result.outputs.items()},
        "best_trial": result.best_trial,
        "run_id": result.run_id,
        "experiment_id": job.experiment_id,
        "best_trial_run_id": result.best_trial_run_id,
        "started": started,
        "ended": time.time(),
    }


def _job_runs(workspace: LocalWorkspace, record: Mapping[str, Any]) -> list[str]:
    """The job's run and every run below it: a sweep's trials, a pipeline's steps and theirs."""
    found, unvisited = [], [record.get("run_id")] if record.get("run_id") else []
    while unvisited:
        run_id = unvisited.pop()
        found.append(run_id)
        unvisited += workspace.tracking.child_runs(record["experiment_id"], run_id)
    return found


def _archive_runs(workspace: LocalWorkspace, record: Mapping[str, Any]) -> None:
    for run_id in _job_runs(workspace, record):
        workspace.tracking.archive_run(run_id)


def _restore_runs(workspace: LocalWorkspace, record: Mapping[str, Any]) -> None:
    """Adopting a job whose resource alone was removed (its runs archived) brings its runs back.

    For example: the job left the stack file, then came back unchanged, or `pulumi destroy --target`
    removed it. A full `pulumi destroy` removes the whole workspace folder, so nothing is left to adopt.
    """
    for run_id in _job_runs(workspace, record):
        workspace.tracking.restore_run(run_id)


def _advice(props: Props, timed_out: bool, ran_under: float | None = None) -> str:
    if timed_out:
        current = timeout_minutes(props)
        limit = ran_under if ran_under is not None else current
        now = "" if limit == current else f"; it is {current} now"
        advice = f"raise timeoutMinutes and set rerun: {next_rerun(props)} on {job_entry(props)}"
        return f"It ran out of its timeoutMinutes ({limit}{now}): {advice}."
    return rerun_advice(props)


def _outs(record: Mapping[str, Any]) -> Outs:
    return {
        "name": record["name"],
        "status": record["status"],
        "url": record.get("url"),
        "outputs": record.get("outputs", {}),
        "best_trial": record.get("best_trial"),
    }
