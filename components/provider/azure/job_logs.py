"""What went wrong with a job: the service's error and the tail of the user's log.

Best effort: if the logs cannot be fetched the failure is still reported, with a note.
The SDK's public surface has no "error of a job" call; `jobs.stream` reads it from the
run history's run details, and so does this module (pinned azure-ai-ml).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from components.provider.azure.polling import status_of

if TYPE_CHECKING:
    from azure.ai.ml import MLClient

TAIL_LINES = 30
# The user's stdout/stderr; distributed jobs write one per process, rank 0 first.
_USER_LOG = "user_logs/std_log"


def failure_message(ml: MLClient, job: Any, advice: str) -> str:
    """The service's error, the log's tail, and `advice`: how to run the job again (see `advice.rerun_advice`)."""
    details = _run_details(ml, job.name)
    error = _service_error(details) or "the service reported no error message"
    lines = [f"job {job.name} ended {status_of(job)}: {error}", f"  studio: {job.studio_url or 'n/a'}"]
    try:
        lines += _tail_lines(*_log_tail(ml, job.name, details))
    except Exception as err:  # noqa: BLE001 - a missing log must not hide the failure itself
        lines.append(f"  (the job's log could not be fetched: {type(err).__name__}: {str(err)[:200]})")
    lines.append(f"A job is never submitted twice under one name. {advice}")
    lines.append("Changing what it runs (definition, code or inputs) also runs it anew.")
    return "\n".join(lines)


def _tail_lines(log_name: str | None, tail: list[str]) -> list[str]:
    if not tail:
        return ["  (the job wrote no user log)"]
    return [f"  last {len(tail)} lines of {log_name}:", *(f"    {line}" for line in tail)]


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
