"""A job being run: what command and sweep jobs share, and what they hand back."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.provider.local.errors import UnsupportedLocallyError


@dataclass(frozen=True)
class JobContext:
    name: str
    subject: str
    """How messages name the job: `job <name>` or `sweep <name>`."""
    definition: Mapping[str, Any]
    base_dir: Path
    """The job YAML's folder: relative paths in the definition start there."""
    folder: Path
    experiment_name: str
    experiment_id: str
    deadline: float
    """time.monotonic() by which the whole job must have finished."""
    tags: Mapping[str, str]

    def seconds_left(self) -> float:
        return max(0.0, self.deadline - time.monotonic())


@dataclass(frozen=True)
class JobResult:
    run_id: str
    outputs: Mapping[str, Path]
    best_trial: str | None = None
    best_trial_run_id: str | None = None


def code_path(code: Any, base_dir: Path, subject: str) -> Path | None:
    """The local folder (or file) a job's `code` names, relative to the job YAML's folder."""
    if code is None:
        return None
    if str(code).startswith(("azureml:", "http://", "https://", "git+")):
        raise UnsupportedLocallyError(f"{subject}: code {code!r} is not a local path; the local target runs local code only")
    path = (base_dir / str(code)).resolve()
    if not path.exists():
        raise UnsupportedLocallyError(f"{subject}: code {str(code)!r} does not exist ({path})")
    return path
