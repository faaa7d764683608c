"""R2: interruptions. `pulumi up` interrupted by SIGINT or SIGKILL while it waits for a job, then
`up` again: the job ran once, counted by the job itself and in the MLflow store (local) or in
the double's request log (Azure)."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from mlflow import MlflowClient
from mlflow.entities import ViewType

from tests.azureml_double import AzureMLDouble
from tests.reliability.interrupted_stack import INTERRUPTIONS, CliStack, existing_workspace_config, wait_until
from tools.recover import leftover_groups

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
    INTERRUPTIONS[interruption](up, local_stack.project)
    interrupted(up, local_stack)
    local_stack.recover()
    assert leftover_groups(local_stack.project) == [], "make recover ends what the killed deployment left running"
    local_stack.up()

    duplicates = local_stack.executions() - 1
    reliability_facts["duplicate runs"] += max(duplicates, 0) + max(len(mlflow_runs(local_stack)) - 1, 0)
    assert local_stack.executions() == 1
    assert mlflow_runs(local_stack) == ["FINISHED"]


AZURE = "r2azure"


@pytest.fixture
def azure_stack(tmp_path: Path, aml_double: AzureMLDouble) -> Iterator[CliStack]:
    config = existing_workspace_config(
        aml_double,
        jobs=[{"file": "jobs/r2-job.yml", "key": "r2"}],
    )
    stack = CliStack(tmp_path, AZURE, config, aml_double.subprocess_env())
    (stack.project / "jobs" / "r2-job.yml").write_text(stack.job_yaml("azureml:sklearn-train@latest", "azureml:cpu-cluster"))
    yield stack
    stack.close()


def job_puts(double: AzureMLDouble) -> list[str]:
    return [request.path for request in double.find("PUT", r"/jobs/[^/]+$")]


@pytest.mark.parametrize("interruption", ["SIGINT", "SIGKILL of the CLI and its hosts"])
def test_azure_up_interrupted_during_a_job_wait_then_up_submits_it_once(
    azure_stack: CliStack, aml_double: AzureMLDouble, interruption: str, reliability_facts: dict
) -> None:
    up = azure_stack.start_up()
    wait_until(lambda: job_puts(aml_double), what="the job's PUT")
    time.sleep(1)  # the provider is polling the job now
    INTERRUPTIONS[interruption](up, azure_stack.project)
    with contextlib.suppress(subprocess.TimeoutExpired):
        up.wait(timeout=60)
    (name,) = {path.rsplit("/", 1)[1] for path in job_puts(aml_double)}
    aml_double.complete_job(name)
    up.wait(timeout=60)

    azure_stack.recover()
    azure_stack.up()

    reliability_facts["duplicate runs"] += len(job_puts(aml_double)) - 1
    assert len(job_puts(aml_double)) == 1
    assert aml_double.job_status(name) == "Completed"
