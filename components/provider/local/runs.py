"""One run of a job's command, as Azure ML runs a command job or one trial of a sweep.

The code is copied into the run's folder first, so later edits never change a job that ran;
outputs are empty folders of the run; the interpolated command runs in bash with the
environment's interpreter as `python`; and the MLflow run exists before the process starts,
so the process's own `mlflow` calls (MLFLOW_RUN_ID) land in it. The log is kept as
`user_logs/std_log.txt`, Azure ML's name, and attached to the MLflow run.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from components.provider.local.environments import PythonEnv
from components.provider.local.errors import JobFailedError
from components.provider.local.files import Ignore, content_digest, copy_into
from components.provider.local.inputs import plan_outputs
from components.provider.local.interpolation import interpolate
from components.provider.local.layout import Layout
from components.provider.local.process import RunState, check_exit, run_state, start_process, wait_for_exit
from components.provider.local.progress import report
from components.provider.local.records import read_record, write_record
from components.provider.local.supervisor import PROCESS_RECORD
from components.provider.local.workdir import azureml_variables, keep, prepare
from components.provider.local.workspace import LocalWorkspace

# The attempt at a run: its MLflow run and when it started, written before its process starts.
_ATTEMPT = "run.json"
_OWN_RUN = "own_run.json"
_ALWAYS_IGNORED = (".git", "__pycache__", "*.pyc")
_IGNORE_FILES = (".amlignore", ".gitignore")
# The stack's own interpreter settings must not leak into the job's environment.
_NOT_INHERITED = frozenset({"VIRTUAL_ENV", "PYTHONHOME", "PYTHONPATH", "CONDA_PREFIX"})
# Nor may the deployer's credentials: a script's `print(os.environ)` lands in std_log.txt and
# MLflow, as a job on Azure ML never sees them either. A job that needs one names it in its
# YAML's `environment_variables`. Pulumi's own variables (access token, config passphrase) and
# Terraform-style ARM_* go by prefix; MLFLOW_* are set for the job below.
_NOT_INHERITED_PREFIXES = ("PULUMI_", "ARM_", "MLFLOW_", "AZURE_CLIENT_CERTIFICATE_")
_CREDENTIALS = frozenset(
    {
        # azure-identity's environment and workload-identity credentials
        "AZURE_CLIENT_SECRET",
        "AZURE_PASSWORD",
        "AZURE_USERNAME",
        "AZURE_FEDERATED_TOKEN_FILE",
        # managed identity endpoints' secrets
        "IDENTITY_HEADER",
        "MSI_SECRET",
        # storage keys (the Azure CLI's, and Pulumi's azblob state backend's)
        "AZURE_STORAGE_KEY",
        "AZURE_STORAGE_CONNECTION_STRING",
        "AZURE_STORAGE_SAS_TOKEN",
        # CI tokens that mint cloud credentials (GitHub Actions OIDC, Azure Pipelines)
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "ACTIONS_RUNTIME_TOKEN",
        "GITHUB_TOKEN",
        "SYSTEM_ACCESSTOKEN",
        # other clouds' state backends
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "GOOGLE_CREDENTIALS",
        "GOOGLE_APPLICATION_CREDENTIALS",
    }
)


@dataclass(frozen=True)
class RunSpec:
    subject: str
    name: str
    folder: Path
    code: Path | None
    command: str
    inputs: Mapping[str, str | None]
    outputs: Mapping[str, Any]
    python: PythonEnv
    compute: str | None
    experiment_name: str
    experiment_id: str
    deadline: float
    """time.monotonic() by which the run must have finished, waiting for a compute slot included."""
    timeout: float | None = None
    """Seconds the process may run."""
    search_space: Mapping[str, str] | None = None
    environment_variables: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RunResult:
    run_id: str
    outputs: dict[str, Path]
    started: float
    ended: float


def execute(spec: RunSpec, workspace: LocalWorkspace) -> RunResult:
    """Run the command to completion, exactly once per run folder; raise JobFailedError (with the log's tail) if it
    fails or runs out of time.

    A run an earlier provider process started (the deployment was killed) is never started again while it may
    still run: if it still runs it is waited for, if it finished its result is adopted. Only a run that nothing
    runs any more and that never finished (the machine rebooted, say) runs afresh.
    """
    attempt = read_record(spec.folder / _ATTEMPT)
    state = run_state(spec.folder)
    if attempt is not None and state is not RunState.NEW:
        return _adopt(spec, workspace, attempt, state)
    reuse = None
    if attempt is not None:
        if (spec.folder / PROCESS_RECORD).is_file():
            report(spec.subject, "its earlier attempt was interrupted and nothing runs it any more: running it afresh")
            workspace.tracking.finish_run(attempt["run_id"], "KILLED")
        else:
            reuse = attempt["run_id"]  # interrupted before its process started: the same MLflow run, still empty
    return _start(spec, workspace, reuse)


def _start(spec: RunSpec, workspace: LocalWorkspace, run_id: str | None) -> RunResult:
    workdir = spec.folder / "code"
    snapshot(spec.code, workdir, workspace.layout.path)
    prepare(workdir)
    outputs = plan_outputs(spec.outputs, spec.folder / "outputs")
    values = {"inputs": spec.inputs, "outputs": {name: str(path) for name, path in outputs.items()}}
    if spec.search_space is not None:
        values["search_space"] = spec.search_space
    command = interpolate(spec.command, values, spec.subject)
    run_id = run_id or workspace.tracking.start_run(spec.experiment_id, spec.name, spec.tags)
    env = _process_env(spec, run_id, workspace.layout, outputs, _python_shim(spec))
    with _concluding(spec, workspace, run_id), workspace.pools.slot(spec.compute):
        timeout = _seconds(spec)
        started = time.time()
        (spec.folder / PROCESS_RECORD).unlink(missing_ok=True)
        write_record(spec.folder / _ATTEMPT, {"run_id": run_id, "started": started})
        report(spec.subject, "Running")
        process = start_process(command, workdir, env, _log(spec), timeout, spec.folder)
        ended = _exited(spec, wait_for_exit(spec.folder, process))
    return RunResult(run_id, outputs, started, ended)


def _adopt(spec: RunSpec, workspace: LocalWorkspace, attempt: Mapping[str, Any], state: RunState) -> RunResult:
    """Take over a run an earlier provider process started: wait for it if it still runs, then take its result."""
    if state is RunState.RUNNING:
        report(spec.subject, "still running, started by an earlier deployment: waiting for it, not starting it again")
    else:
        report(spec.subject, "finished after its deployment was interrupted: adopting its result")
    run_id = attempt["run_id"]
    with _concluding(spec, workspace, run_id), workspace.pools.slot(spec.compute):
        ended = _exited(spec, wait_for_exit(spec.folder, None))
    return RunResult(run_id, plan_outputs(spec.outputs, spec.folder / "outputs"), attempt["started"], ended)


def _exited(spec: RunSpec, exit_record: Mapping[str, Any] | None) -> float:
    check_exit(exit_record, _log(spec), spec.subject)
    return float(exit_record["ended"])


@contextlib.contextmanager
def _concluding(spec: RunSpec, workspace: LocalWorkspace, run_id: str) -> Iterator[None]:
    """The MLflow run ends FINISHED if the block completes, FAILED if not, with the log attached either way."""
    status = "FAILED"
    try:
        yield
        status = "FINISHED"
    finally:
        if _log(spec).exists():
            workspace.tracking.attach(run_id, _log(spec), "user_logs")
        keep(spec.folder / "code", workspace.tracking, run_id)
        workspace.tracking.finish_run(run_id, status)


def _log(spec: RunSpec) -> Path:
    return spec.folder / "user_logs" / "std_log.txt"


def own_run(folder: Path, workspace: LocalWorkspace, experiment_id: str, name: str, tags: Mapping[str, str]) -> str:
    """The MLflow run of a job that runs others (a sweep's trials, a pipeline's steps), made once per folder:
    one resumed after its deployment was killed keeps the run it had."""
    record = read_record(folder / _OWN_RUN)
    if record is not None:
        return str(record["run_id"])
    run_id = workspace.tracking.start_run(experiment_id, name, tags)
    write_record(folder / _OWN_RUN, {"run_id": run_id})
    return run_id


def started_runs(folder: Path) -> bool:
    """Whether any run at or below `folder` was ever started (so it may still run, or hold results)."""
    return folder.is_dir() and any(folder.rglob(_ATTEMPT))


def snapshot(code: Path | None, destination: Path, workspace_root: Path) -> None:
    """Copy the code, leaving out what its .amlignore (or .gitignore) names and the workspace itself."""
    if code is None:
        destination.mkdir(parents=True, exist_ok=True)
        return
    copy_into(code, destination, ignore=_ignore(code, workspace_root) if code.is_dir() else None)


def code_digest(code: Path | None, workspace_root: Path) -> str | None:
    """A digest of what `snapshot` copies: code that digests the same is the same code to run."""
    if code is None:
        return None
    return content_digest(code, _ignore(code, workspace_root) if code.is_dir() else None)


def _ignore(code: Path, workspace_root: Path) -> Ignore:
    patterns = _ALWAYS_IGNORED + _ignore_file_patterns(code)
    root = workspace_root.resolve()

    def ignored(directory: str, names: list[str]) -> set[str]:
        here = Path(directory)
        return {name for name in names if any(fnmatch(name, p) for p in patterns) or root.is_relative_to(here / name)}

    return ignored


def _ignore_file_patterns(code: Path) -> tuple[str, ...]:
    """Name patterns of the first ignore file found (patterns with a path inside are not applied)."""
    for name in _IGNORE_FILES:
        if (code / name).is_file():
            lines = (line.strip().strip("/") for line in (code / name).read_text().splitlines())
            return tuple(line for line in lines if line and not line.startswith(("#", "!")) and "/" not in line)
    return ()


def _seconds(spec: RunSpec) -> float:
    left = spec.deadline - time.monotonic()
    if left <= 0:
        raise JobFailedError(f"{spec.subject} ran out of time waiting for a free slot on compute {spec.compute or 'serverless'}")
    return min(left, spec.timeout) if spec.timeout else left


def _python_shim(spec: RunSpec) -> Path:
    """A `python` (and `python3`) that is the environment's interpreter, whatever else PATH holds."""
    shim = spec.folder / ".bin"
    shim.mkdir(parents=True, exist_ok=True)
    for name in ("python", "python3"):
        (shim / name).write_text(f'#!/bin/sh\nexec {shlex.quote(spec.python.python)} "$@"\n')
        (shim / name).chmod(0o755)
    return shim


def _process_env(spec: RunSpec, run_id: str, layout: Layout, outputs: Mapping[str, Path], shim: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if _inherited(k)}
    env["PATH"] = os.pathsep.join([str(shim), str(Path(spec.python.python).parent), env.get("PATH", os.defpath)])
    if spec.python.venv:
        env["VIRTUAL_ENV"] = spec.python.venv
        # The cached virtualenv is ours: let the first jobs leave bytecode there, or every job recompiles what it imports.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    env |= {
        "MLFLOW_TRACKING_URI": layout.tracking_uri,
        "MLFLOW_EXPERIMENT_NAME": spec.experiment_name,
        "MLFLOW_EXPERIMENT_ID": spec.experiment_id,
        "MLFLOW_RUN_ID": run_id,
        "PYTHONUNBUFFERED": "1",
    }
    # The workspace's name is its folder's: `.azureml-local/<stack>`.
    env |= azureml_variables(spec.name, spec.experiment_name, spec.experiment_id, Path(layout.root).name)
    env |= {f"AZURE_ML_INPUT_{name}": value for name, value in spec.inputs.items() if value is not None}
    env |= {f"AZURE_ML_OUTPUT_{name}": str(path) for name, path in outputs.items()}
    return env | {str(k): str(v) for k, v in spec.environment_variables.items()}


def _inherited(variable: str) -> bool:
    """Whether the job sees the deployer's `variable`: not interpreter settings, not credentials."""
    name = variable.upper()
    return name not in _NOT_INHERITED and name not in _CREDENTIALS and not name.startswith(_NOT_INHERITED_PREFIXES)
