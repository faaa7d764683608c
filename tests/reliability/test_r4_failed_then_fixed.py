"""R4: a failed job, fixed, then `up`: exactly one new run, on both targets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from mlflow import MlflowClient
from mlflow.entities import ViewType

from tests.azureml_double import AzureMLDouble
from tests.reliability.interrupted_stack import CliStack, existing_workspace_config

pytestmark = pytest.mark.reliability("R4", "failed, fixed, up", "with exactly one new run")

CURATED = "azureml:AzureML-sklearn-1.5-ubuntu22.04-py39-cpu@latest"


def mlflow_runs(workspace: Path) -> list[str]:
    client = MlflowClient(f"sqlite:///{workspace / 'mlflow.db'}")
    experiments = [experiment.experiment_id for experiment in client.search_experiments(view_type=ViewType.ALL)]
    return sorted(run.info.status for run in client.search_runs(experiments, run_view_type=ViewType.ALL))


@pytest.fixture
def local_stack(tmp_path: Path) -> Iterator[CliStack]:
    config = {"azureml-training:target": "local", "azureml-training:jobs": [{"file": "jobs/r4-job.yml", "key": "r4"}]}
    stack = CliStack(tmp_path, "r4", config)
    stack.release_file.touch()
    yield stack
    stack.close()


def test_local_failed_job_fixed_then_up_runs_once_more(local_stack: CliStack, reliability_facts: dict) -> None:
    job = local_stack.project / "jobs" / "r4-job.yml"
    workspace = local_stack.project / ".azureml-local" / "r4"
    job.write_text(local_stack.job_yaml(CURATED, "azureml:cpu-cluster", exit_status=3))
    failed = local_stack.up(check=False)
    assert failed.returncode != 0
    assert "failed with exit status 3" in failed.stdout + failed.stderr
    assert mlflow_runs(workspace) == ["FAILED"]

    job.write_text(local_stack.job_yaml(CURATED, "azureml:cpu-cluster", exit_status=0))  # the fix
    local_stack.up()

    new_runs = len(mlflow_runs(workspace)) - 1
    reliability_facts["new runs after the fix"] += new_runs
    assert mlflow_runs(workspace) == ["FAILED", "FINISHED"]
    assert local_stack.executions() == 2


@pytest.fixture
def azure_stack(tmp_path: Path, aml_double: AzureMLDouble) -> Iterator[CliStack]:
    aml_double.auto_tick = True  # each status read moves the job on: Queued, Running, then its outcome
    config = existing_workspace_config(
        aml_double,
        jobs=[{"file": "jobs/r4-job.yml", "key": "r4"}],
    )
    stack = CliStack(tmp_path, "r4azure", config, aml_double.subprocess_env())
    yield stack
    stack.close()


def test_azure_failed_job_fixed_then_up_submits_once_more(
    azure_stack: CliStack, aml_double: AzureMLDouble, reliability_facts: dict
) -> None:
    job = azure_stack.project / "jobs" / "r4-job.yml"
    job.write_text(azure_stack.job_yaml("azureml:sklearn-train@latest", "azureml:cpu-cluster", exit_status=3))
    aml_double.script_next_job(outcome="Failed", error_message="Execution failed: exit status 3")
    failed = azure_stack.up(check=False)
    assert failed.returncode != 0
    assert "exit status 3" in failed.stdout + failed.stderr
    assert len(aml_double.find("PUT", r"/jobs/[^/]+$")) == 1

    job.write_text(azure_stack.job_yaml("azureml:sklearn-train@latest", "azureml:cpu-cluster", exit_status=0))  # the fix
    azure_stack.up()

    puts = aml_double.find("PUT", r"/jobs/[^/]+$")
    reliability_facts["new runs after the fix"] += len(puts) - 1
    assert len(puts) == 2
    assert [aml_double.job_status(put.path.rsplit("/", 1)[1]) for put in puts] == ["Failed", "Completed"]
