"""Sweep jobs: trials over a search space, the best by the objective, limits honoured."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient

from components.provider.local.backend import LocalBackend
from components.provider.local.errors import JobFailedError, UnsupportedLocallyError
from components.provider.local.tracking import PARENT_RUN_TAG
from components.provider.local.venvs import CACHE_VARIABLE
from tests.provider.local.builders import (
    ExampleRun,
    example_environment,
    fresh_backend,
    job_props,
    sweep_job,
    workspace_props,
    write_script,
)

# Logs how far x is from 0.3 (to minimize) and writes x into the trial's output.
TRIAL = """
    import sys, mlflow
    x, output = sys.argv[1], sys.argv[2]
    mlflow.log_metric("loss", abs(float(x) - 0.3))
    open(output + "/x.txt", "w").write(x)
"""


@dataclass(frozen=True)
class GridSweep:
    workspace: dict[str, Any]
    outs: dict[str, Any]

    def trial(self, index: int) -> dict[str, Any]:
        return json.loads((Path(self.workspace["root"]) / "jobs" / "grid" / "trials" / f"grid_{index}" / "trial.json").read_text())


@pytest.fixture(scope="module")
def grid_sweep(
    example_run: ExampleRun, env_cache: Path, pristine_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GridSweep]:
    """A grid sweep minimizing `loss` over x in [0.9, 0.3], in the example's environment (already cached)."""
    project = tmp_path_factory.mktemp("grid")
    write_script(project / "src", "trial.py", TRIAL)
    workspace = workspace_props(project / "workspace")
    backend = fresh_backend(workspace, pristine_db)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_VARIABLE, str(env_cache))
        backend.put_environment(example_environment(workspace))
        definition = sweep_job(
            "python trial.py ${{search_space.x}} ${{outputs.model}}",
            {"x": {"type": "choice", "values": [0.9, 0.3]}},
            sampling_algorithm="grid",
            objective={"goal": "minimize", "primary_metric": "loss"},
            outputs={"model": {"type": "uri_folder"}},
        )
        definition["trial"]["environment"] = "azureml:sklearn-train:1"
        yield GridSweep(workspace, backend.submit_job(job_props(workspace, definition, project, name="grid")))


def submit_sweep(backend: LocalBackend, workspace: dict, project: Path, command: str, **fields: Any) -> dict[str, Any]:
    definition = sweep_job(command, {"x": {"type": "choice", "values": [1, 2]}}, **fields)
    return backend.submit_job(job_props(workspace, definition, project, name="sweep-1"))


def test_the_best_trial_is_chosen_by_the_objectives_goal(grid_sweep: GridSweep) -> None:
    assert (grid_sweep.outs["status"], grid_sweep.outs["best_trial"]) == ("Completed", "grid_1")
    assert (grid_sweep.trial(0)["metric"], grid_sweep.trial(1)["metric"]) == (pytest.approx(0.6), 0.0)


def test_the_sweeps_outputs_are_the_best_trials(grid_sweep: GridSweep) -> None:
    model = Path(grid_sweep.outs["outputs"]["model"])
    assert model == Path(grid_sweep.workspace["root"]) / "jobs" / "grid" / "trials" / "grid_1" / "outputs" / "model"
    assert (model / "x.txt").read_text() == "0.3"


def test_each_trial_runs_with_its_own_search_space_values(grid_sweep: GridSweep) -> None:
    for index, x in enumerate(["0.9", "0.3"]):
        trial = grid_sweep.trial(index)
        assert trial["params"] == {"x": float(x)}
        assert (Path(trial["outputs"]["model"]) / "x.txt").read_text() == x


def test_trials_are_child_runs_of_the_sweeps_run(grid_sweep: GridSweep) -> None:
    client = MlflowClient(f"sqlite:///{grid_sweep.workspace['root']}/mlflow.db")
    runs = client.search_runs([client.get_experiment_by_name("train").experiment_id])
    (sweep,) = [run for run in runs if run.info.run_name == "grid"]
    children = {run.info.run_name: run for run in runs if run.data.tags.get(PARENT_RUN_TAG) == sweep.info.run_id}
    assert sorted(children) == ["grid_0", "grid_1"]
    assert children["grid_1"].data.metrics == {"loss": 0.0}
    assert (sweep.data.metrics["loss"], sweep.data.tags["azureml.best_trial"]) == (0.0, "grid_1")


@pytest.mark.usefixtures("stack_python")
def test_a_trial_that_outlives_its_trial_timeout_is_stopped_and_fails(backend: LocalBackend, workspace: dict, project: Path) -> None:
    with pytest.raises(JobFailedError, match=r"sweep sweep-1: every trial failed(.|\n)*trial sweep-1_\d ran out of time after 1 s"):
        submit_sweep(
            backend, workspace, project, "sleep 30", limits={"max_total_trials": 2, "max_concurrent_trials": 2, "trial_timeout": 1}
        )


@pytest.mark.usefixtures("stack_python")
def test_trials_not_started_when_the_sweep_times_out_are_canceled(backend: LocalBackend, workspace: dict, project: Path) -> None:
    with pytest.raises(JobFailedError):
        submit_sweep(backend, workspace, project, "sleep 30", limits={"max_total_trials": 2, "max_concurrent_trials": 1, "timeout": 1})
    trials = Path(workspace["root"]) / "jobs" / "sweep-1" / "trials"
    assert [json.loads((trials / f"sweep-1_{i}" / "trial.json").read_text())["status"] for i in range(2)] == ["Failed", "Canceled"]


@pytest.mark.usefixtures("stack_python")
def test_a_sweep_whose_trials_log_no_primary_metric_fails(backend: LocalBackend, workspace: dict, project: Path) -> None:
    with pytest.raises(JobFailedError, match="sweep sweep-1: no trial logged the primary metric 'accuracy'"):
        submit_sweep(backend, workspace, project, "true")


@pytest.mark.usefixtures("stack_python")
def test_early_termination_is_reported_as_not_applied(
    backend: LocalBackend, workspace: dict, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(JobFailedError):
        submit_sweep(backend, workspace, project, "true", early_termination={"type": "bandit", "slack_factor": 0.1})
    assert "warning: sweep sweep-1: early termination needs Azure ML's service" in capsys.readouterr().err


def test_bayesian_sampling_is_refused_naming_the_job(backend: LocalBackend, workspace: dict, project: Path) -> None:
    with pytest.raises(UnsupportedLocallyError, match="sweep sweep-1: Bayesian sampling runs only on Azure ML"):
        submit_sweep(backend, workspace, project, "true", sampling_algorithm="bayesian")
