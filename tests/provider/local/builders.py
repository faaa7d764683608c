"""Props as the dynamic providers hand them to the local backend, and tiny job scripts."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.provider.local.backend import LocalBackend

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE_JOBS = ROOT / "jobs"
# An environment without a conda file: its jobs run in the stack's own interpreter.
IMAGE_ONLY = {"image": "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest"}
STACK_PYTHON = "azureml:stack-python:1"
NewBackend = Callable[[dict[str, Any]], LocalBackend]


def workspace_props(root: Path, concurrency: int = 2) -> dict[str, Any]:
    return {"target": "local", "root": str(root), "concurrency": concurrency, "stack": "test"}


def environment_props(
    workspace: dict[str, Any], name: str, definition: dict[str, Any], base_dir: Path, version: str = "1"
) -> dict[str, Any]:
    return {
        "workspace": workspace,
        "name": name,
        "version": version,
        "definition": definition,
        "content_hash": "hash",
        "base_dir": str(base_dir),
    }


def job_props(workspace: dict[str, Any], definition: dict[str, Any], base_dir: Path, name: str = "job-1", **extra: Any) -> dict[str, Any]:
    return {
        "workspace": workspace,
        "key": "train",
        "name": name,
        "name_prefix": "test",
        "definition": definition,
        "base_dir": str(base_dir),
        "code_hash": "hash",
        "input_hashes": {},
        "experiment": None,
        "wait": True,
        "timeout_minutes": 5,
        "on_delete": "archive",
        **extra,
    }


def command_job(command: str, **fields: Any) -> dict[str, Any]:
    return {"type": "command", "code": "src", "command": command, "environment": STACK_PYTHON, "compute": "azureml:cpu", **fields}


def sweep_job(command: str, search_space: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "type": "sweep",
        "trial": {"code": "src", "command": command, "environment": STACK_PYTHON},
        "search_space": search_space,
        "sampling_algorithm": "random",
        "objective": {"goal": "maximize", "primary_metric": "accuracy"},
        "limits": {"max_total_trials": 2, "max_concurrent_trials": 2},
        "compute": "azureml:cpu",
        **fields,
    }


def write_script(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(body))
    return path


def add_stack_python(backend: LocalBackend, workspace: dict[str, Any], project: Path) -> str:
    """Register `azureml:stack-python:1`: image-only, so tiny scripts start fast in the stack's interpreter."""
    backend.put_environment(environment_props(workspace, "stack-python", IMAGE_ONLY, project))
    return STACK_PYTHON


@dataclass(frozen=True)
class ExampleRun:
    """The example sweep job, run once per session (see conftest.py)."""

    backend: LocalBackend
    workspace: dict[str, Any]
    sweep: dict[str, Any]
    """The sweep job's props and outputs."""


def example_environment(workspace: dict[str, Any]) -> dict[str, Any]:
    definition = yaml.safe_load((EXAMPLE_JOBS / "environment.yml").read_text())
    return environment_props(workspace, definition["name"], definition, EXAMPLE_JOBS)


def fresh_backend(workspace: dict[str, Any], pristine_db: Path) -> LocalBackend:
    """A backend on an empty workspace; copying a pristine MLflow database spares MLflow's schema migrations."""
    root = Path(workspace["root"])
    root.mkdir(parents=True)
    shutil.copy(pristine_db, root / "mlflow.db")
    return LocalBackend(workspace)
