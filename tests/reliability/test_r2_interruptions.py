"""R2: interruptions. `pulumi up` interrupted by SIGINT or SIGKILL while it waits for a job, then
`up` again: the job ran once, counted by the job itself and in the MLflow store (local) or in
the double's request log (Azure)."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from mlflow import MlflowClient
from mlflow.entities import ViewType

from tests.reliability.interrupted_stack import INTERRUPTIONS, CliStack, wait_until

pytestmark = pytest.mark.reliability("R2", "interruptions", "without a duplicate run")

LOCAL = "r2"
# A curated environment runs in the stack's own Python on the local target: nothing to build.
CURATED = "azureml:AzureML-sklearn-1.5-ubuntu22.04-py39-cpu@latest"


@pytest.fixture
def local_stack(tmp_path: Path) -> Iterator[CliStack]:
    config = {"azureml-training:target": "local", "azureml-training:jobs": [{"file": "jobs/r2-job.yml", "key": "r2"}]}
    stack = CliStack(tmp_path, LOCAL, config)
    (stack.project / "jobs" / "r2-job.yml").write_text(stack.job_yaml(CURATED, "azureml:cpu-cluster"))
    yield stack
    stack.close()


def workspace(stack: CliStack) -> Path:
    return stack.project / ".azureml-local" / LOCAL


def mlflow_runs(stack: CliStack) -> list[str]:
    """Status of every MLflow run of the stack, deleted ones included."""
    client = MlflowClient(f"sqlite:///{workspace(stack) / 'mlflow.db'}")
    experiments = [experiment.experiment_id for experiment in client.search_experiments(view_type=ViewType.ALL)]
    return [run.info.status for run in client.search_runs(experiments, run_view_type=ViewType.ALL)]


def interrupted(up: subprocess.Popen[bytes], stack: CliStack) -> None:
    """Let the interrupted `up` end, then the job: after Ctrl-C the engine may wait for what is in flight."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        up.wait(timeout=20)
    stack.release_file.touch()
    up.wait(timeout=120)


@pytest.mark.parametrize("interruption", list(INTERRUPTIONS))
def test_local_up_interrupted_during_a_job_then_up_runs_it_once(local_stack: CliStack, interruption: str, reliability_facts: dict) -> None:
    up = local_stack.start_up()
    wait_until(lambda: any(workspace(local_stack).glob("jobs/*/process.json")), what="the job to start")
    INTERRUPTIONS[interruption](up)
    interrupted(up, local_stack)
    local_stack.recover()
    local_stack.up()

    duplicates = local_stack.executions() - 1
    reliability_facts["duplicate runs"] += max(duplicates, 0) + max(len(mlflow_runs(local_stack)) - 1, 0)
    assert local_stack.executions() == 1
    assert mlflow_runs(local_stack) == ["FINISHED"]
