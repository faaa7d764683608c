"""The example jobs in jobs/: valid for Azure ML, and trained for real on this machine."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import mlflow
import pytest
import yaml
from azure.ai.ml import load_environment, load_job
from mlflow import MlflowClient
from sklearn.datasets import load_breast_cancer

from components.provider.local.tracking import PARENT_RUN_TAG
from tests.provider.local.builders import EXAMPLE_JOBS, ROOT, ExampleRun

SWEEP = yaml.safe_load((EXAMPLE_JOBS / "sweep-job.yml").read_text())


def trials(run: ExampleRun) -> list[dict[str, Any]]:
    folder = Path(run.workspace["root"]) / "jobs" / run.sweep["name"] / "trials"
    return [json.loads(path.read_text()) for path in sorted(folder.glob("*/trial.json"))]


def test_the_environment_is_valid_for_azure_ml() -> None:
    environment = load_environment(EXAMPLE_JOBS / "environment.yml")
    assert (environment.name, environment.conda_file["name"]) == ("sklearn-train", "sklearn-train")


@pytest.mark.parametrize(("file", "kind"), [("train-job.yml", "command"), ("sweep-job.yml", "sweep")])
def test_the_jobs_are_valid_for_azure_ml(file: str, kind: str) -> None:
    job = load_job(EXAMPLE_JOBS / file)
    assert (job.type, job.compute) == (kind, "cpu-cluster")


def test_the_pipeline_and_its_components_are_valid_for_azure_ml() -> None:
    from azure.ai.ml import load_component

    pipeline = load_job(EXAMPLE_JOBS / "pipeline-job.yml")
    assert (pipeline.type, pipeline.settings.default_compute) == ("pipeline", "cpu-cluster")
    assert list(pipeline.jobs) == ["prep_job", "train_job", "evaluate_job"]
    names = {load_component(EXAMPLE_JOBS / "components" / f"{step}.yml").name for step in ("prep", "train", "evaluate")}
    assert names == {"breast_cancer_prep", "breast_cancer_train", "breast_cancer_evaluate"}


def test_the_conda_file_pins_what_the_stack_pins() -> None:
    pins = dict(re.findall(r"^([\w-]+)==(\S+)$", (ROOT / "requirements.txt").read_text(), re.MULTILINE))
    conda = yaml.safe_load((EXAMPLE_JOBS / "conda.yml").read_text())
    pip = dict(line.split("==") for line in conda["dependencies"][-1]["pip"])
    assert {name: pip[name] for name in ("scikit-learn", "mlflow")} == {name: pins[name] for name in ("scikit-learn", "mlflow")}


def test_the_sweep_completes_with_its_most_accurate_trial(example_run: ExampleRun) -> None:
    best = max(trials(example_run), key=lambda trial: trial["metric"])
    assert (example_run.sweep["status"], example_run.sweep["best_trial"]) == ("Completed", best["name"])
    assert example_run.sweep["outputs"]["model"] == best["outputs"]["model"]


def test_the_sweep_runs_its_trial_budget_two_at_a_time(example_run: ExampleRun) -> None:
    spans = [(trial["started"], trial["ended"]) for trial in trials(example_run)]
    running_at_each_start = [sum(start <= moment < end for start, end in spans) for moment, _ in spans]
    assert len(spans) == SWEEP["limits"]["max_total_trials"]
    assert max(running_at_each_start) == SWEEP["limits"]["max_concurrent_trials"]


def test_trials_sample_the_search_space(example_run: ExampleRun) -> None:
    space = SWEEP["search_space"]
    for trial in trials(example_run):
        assert math.exp(space["C"]["min_value"]) <= trial["params"]["C"] <= math.exp(space["C"]["max_value"])
        assert trial["params"]["max_iter"] in space["max_iter"]["values"]


def test_trials_log_params_and_accuracy_to_child_runs_of_the_sweep(example_run: ExampleRun) -> None:
    client = MlflowClient(f"sqlite:///{example_run.workspace['root']}/mlflow.db")
    runs = client.search_runs([client.get_experiment_by_name(SWEEP["experiment_name"]).experiment_id])
    (sweep,) = [run for run in runs if run.info.run_name == example_run.sweep["name"]]
    children = [run for run in runs if run.data.tags.get(PARENT_RUN_TAG) == sweep.info.run_id]
    assert len(children) == SWEEP["limits"]["max_total_trials"]
    assert all({"C", "max_iter"} <= set(run.data.params) and 0.5 < run.data.metrics["accuracy"] <= 1 for run in children)


def test_the_best_model_predicts_breast_cancer_labels(example_run: ExampleRun) -> None:
    model = mlflow.pyfunc.load_model(example_run.sweep["outputs"]["model"])
    features, labels = load_breast_cancer(return_X_y=True, as_frame=True)
    assert (model.predict(features.head(50)) == labels.head(50)).mean() > 0.8
