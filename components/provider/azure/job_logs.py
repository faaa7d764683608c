"""What went wrong with a job: the service's error and the tail of the user's log.

Best effort: if the logs cannot be fetched the failure is still reported, with a note.
The SDK's public surface has no "error of a job" call; `jobs.stream` reads it from the
run history's run details, and so does this module (pinned azure-ai-ml).

A failed pipeline's own error only names its failed nodes ("Failed nodes: /train"): the
message leads with the failed step's error and shows that step's log, found among the
pipeline's child runs in run history (the first step to fail; the others are listed).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from components.provider.azure.polling import status_of

if TYPE_CHECKING:
    from azure.ai.ml import MLClient

TAIL_LINES = 30
_NO_ERROR = "the service reported no error message"
# The user's stdout/stderr; distributed jobs write one per process, rank 0 first.
_USER_LOG = "user_logs/std_log"


def failure_message(ml: MLClient, job: Any, advice: str) -> str:
    """The service's error, the log's tail, and `advice`: how to run the job again (see `advice.rerun_advice`).

    For a pipeline whose step failed: that step's error first, then the pipeline's, then the step's log."""
    details = _run_details(ml, job.name)
    error = _service_error(details) or _NO_ERROR
    failed_steps = _failed_steps(ml, job)
    if failed_steps:
        first = failed_steps[0]
        log_run, log_details = first.run_id, _run_details(ml, first.run_id)
        lines = [f"job {job.name} ended {status_of(job)}: step {first.display_name} failed: {_step_error(first, log_details)}"]
        lines += [f"  studio: {job.studio_url or 'n/a'}", f"  the pipeline reported: {error}"]
        lines += [f"  step {step.display_name} also failed: {_step_error(step, None)}" for step in failed_steps[1:]]
    else:
        log_run, log_details = job.name, details
        lines = [f"job {job.name} ended {status_of(job)}: {error}", f"  studio: {job.studio_url or 'n/a'}"]
    try:
        lines += _tail_lines(*_log_tail(ml, log_run, log_details))
    except Exception as err:  # noqa: BLE001 - a missing log must not hide the failure itself
        lines.append(f"  (the job's log could not be fetched: {type(err).__name__}: {str(err)[:200]})")
    lines.append(f"A job is never submitted twice under one name. {advice}")
    lines.append("Changing what it runs (definition, code or inputs) also runs it anew.")
    return "\n".join(lines)


def _tail_lines(log_name: str | None, tail: list[str]) -> list[str]:
    if not tail:
        return ["  (the job wrote no user log)"]
    return [f"  last {len(tail)} lines of {log_name}:", *(f"    {line}" for line in tail)]


def _failed_steps(ml: MLClient, job: Any) -> list[Any]:
    """A pipeline's failed child runs (run history `Run`s), the first to end first; [] for other jobs."""
    if getattr(job, "type", None) != "pipeline":
        return []
    runs = ml.jobs._runs_operations
    try:
        children = list(runs._operation.get_child(runs._subscription_id, runs._resource_group_name, runs._workspace_name, job.name))
    except Exception:  # noqa: BLE001 - without its steps the pipeline's own error is still reported
        return []
    failed = [child for child in children if child.status == "Failed"]
    return sorted(failed, key=lambda child: (child.end_time_utc is None, child.end_time_utc or 0))


def _step_error(step: Any, details: Any | None) -> str:
    return _service_error(step) or _service_error(details) or _NO_ERROR


def _run_details(ml: MLClient, name: str) -> Any | None:
    try:
        return ml.jobs._runs_operations.get_run_details(name)
    except Exception:  # noqa: BLE001 - details only enrich the message
        return None


def _service_error(details: Any | None) -> str | None:
    root = getattr(getattr(details, "error", None), "error", None)
    if root is None:
        return None
    code, message = getattr(root, "code", None), getattr(root, "message", None)
    return f"{code}: {message}" if code and message else message or code


def _log_tail(ml: MLClient, name: str, details: Any | None) -> tuple[str | None, list[str]]:
    log_files: dict[str, str] = dict(getattr(details, "log_files", None) or {})
    user_logs = sorted(key for key in log_files if key.startswith(_USER_LOG))
    if user_logs:
        return user_logs[0], _tail(_download_text(ml, log_files[user_logs[0]]))
    return _downloaded_tail(ml, name)


def _download_text(ml: MLClient, url: str) -> str:
    from azure.ai.ml._utils.utils import download_text_from_url

    return download_text_from_url(url, ml.jobs._requests_pipeline, timeout=(5, 60))


def _downloaded_tail(ml: MLClient, name: str) -> tuple[str | None, list[str]]:
    """Through `jobs.download`: the job's default artifacts (logs) into a scratch folder."""
    with tempfile.TemporaryDirectory(prefix="azureml-logs-") as scratch:
        ml.jobs.download(name, download_path=scratch, all=False)
        found = sorted(Path(scratch).rglob("std_log*.txt"))
        if not found:
            return None, []
        return _USER_LOG + found[0].name.removeprefix("std_log"), _tail(found[0].read_text(errors="replace"))


def _tail(text: str) -> list[str]:
    return text.rstrip("\n").splitlines()[-TAIL_LINES:] if text.strip() else []
