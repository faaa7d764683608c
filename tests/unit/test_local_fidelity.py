"""What the local target cannot honour is named, field by field; what it honours is not."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components import assets
from components.spec.local_fidelity import deployment_unhonoured_locally, unhonoured_locally
from components.spec.pipeline_specs import pipeline_steps
from tests.unit.harness import run_stack

EXAMPLES = Path(__file__).parent / "examples"


def fields(definition: dict) -> list[str]:
    return [reason.split(":", 1)[0] for reason in unhonoured_locally(definition)]


def test_a_job_the_local_target_runs_as_written_gets_no_warning() -> None:
    job = {
        "type": "command",
        "code": "src",
        "command": "python train.py --data ${{inputs.data}}",
        "inputs": {"data": {"type": "uri_file", "path": "data.csv"}},
        "environment": "azureml:sklearn-train@latest",
        "environment_variables": {"SEED": "1"},
        "limits": {"timeout": 600},
        "tags": {"team": "ml"},
        "resources": {"instance_count": 1},
    }
    assert fields(job) == []


def test_every_field_only_azure_ml_can_honour_is_named() -> None:
    job = {
        "type": "command",
        "command": "python train.py",
        "environment": {"image": "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04"},
        "identity": {"type": "user_identity"},
        "services": {"ssh": {"type": "ssh"}},
        "queue_settings": {"job_tier": "spot"},
        "resources": {"instance_count": 2, "instance_type": "STANDARD_NC6", "shm_size": "8g"},
        "distribution": {"type": "pytorch", "process_count_per_instance": 1},
    }
    assert fields(job) == [
        "identity",
        "services",
        "queue_settings",
        "resources.instance_type",
        "resources.shm_size",
        "distribution",
        "environment",
    ]


def test_a_sweeps_trial_and_early_termination_are_named() -> None:
    sweep = {
        "type": "sweep",
        "trial": {"command": "python train.py", "environment": "azureml://registries/azureml/environments/sklearn-1.5/labels/latest"},
        "early_termination": {"type": "bandit", "slack_factor": 0.1},
    }
    assert fields(sweep) == ["trial.environment", "early_termination"]


def test_the_public_distributed_example_is_named_as_one_process() -> None:
    distributed = next(p for p in (EXAMPLES / "pytorch").rglob("*.yml") if "distribution" in p.read_text())
    reasons = list(unhonoured_locally(yaml.safe_load(distributed.read_text())))
    assert any(reason.startswith("distribution: runs as one process, not on") for reason in reasons), reasons


# Pipeline steps: each named by its path, what their component file brings under `component.`/`trial.`.
FIDELITY = Path("tests/unit/fidelity")


def step_fields(pipeline: dict, file: Path = FIDELITY / "pipeline.yml") -> list[str]:
    """The fields named for a pipeline, its steps read as the spec loader reads them."""
    steps = list(pipeline_steps(file, pipeline, read_component))
    return [reason.split(":", 1)[0] for reason in unhonoured_locally(pipeline, steps)]


def read_component(file: Path, _referrer: str) -> dict:
    return yaml.safe_load(file.read_text())


def test_a_steps_own_fields_only_azure_ml_honours_are_named_by_the_steps_path() -> None:
    pipeline = {
        "type": "pipeline",
        "jobs": {
            "train": {
                "type": "command",
                "command": "python train.py",
                "environment": "azureml:AzureML-sklearn-1.5-ubuntu22.04-py39-cpu:1",
                "resources": {"instance_count": 2, "instance_type": "Standard_NC6", "shm_size": "8g"},
                "distribution": {"type": "mpi", "process_count_per_instance": 2},
                "identity": {"type": "managed"},
                "services": {"my_vscode": {"type": "vs_code"}},
                "queue_settings": {"job_tier": "spot"},
                "properties": {"owner": "ml"},
                "tags": {"stage": "train"},
                "display_name": "Train",
            }
        },
    }
    assert step_fields(pipeline) == [
        "jobs.train.identity",
        "jobs.train.services",
        "jobs.train.queue_settings",
        "jobs.train.properties",
        "jobs.train.tags",
        "jobs.train.display_name",
        "jobs.train.resources.instance_type",
        "jobs.train.resources.shm_size",
        "jobs.train.distribution",
        "jobs.train.environment",
    ]


def test_a_step_that_runs_as_written_gets_no_warning() -> None:
    pipeline = {
        "type": "pipeline",
        "display_name": "shown as the pipeline run's name",
        "tags": {"team": "ml"},
        "settings": {"default_compute": "azureml:cpu-cluster", "continue_on_step_failure": True, "force_rerun": True},
        "jobs": {
            "train": {
                "type": "command",
                "code": "./src",
                "command": "python train.py --epochs ${{inputs.epochs}}",
                "environment": {"image": "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04", "conda_file": "./conda.yml"},
                "environment_variables": {"SEED": "1"},
                "compute": "azureml:gpu-cluster",
                "inputs": {"epochs": 3},
                "limits": {"timeout": 600},
                "resources": {"instance_count": "${{parent.inputs.nodes}}"},
            }
        },
    }
    assert step_fields(pipeline) == []


def test_the_pipeline_settings_the_local_runner_never_reads_are_named() -> None:
    settings = {
        "default_compute": "azureml:cpu-cluster",
        "default_datastore": "azureml:workspaceblobstore",
        "continue_on_step_failure": False,
        "force_rerun": False,
        "on_init": "setup",
    }
    assert step_fields({"type": "pipeline", "settings": settings, "jobs": {}}) == [
        "settings.default_datastore",
        "settings.on_init",
        "settings.continue_on_step_failure",
    ]


def test_a_sweep_steps_trial_and_early_termination_are_named() -> None:
    pipeline = {
        "type": "pipeline",
        "jobs": {
            "tune": {
                "type": "sweep",
                "trial": {
                    "type": "command",
                    "command": "python train.py --c ${{inputs.c}}",
                    "environment": "azureml://registries/azureml/environments/sklearn-1.5/labels/latest",
                    "inputs": {"c": {"type": "number"}},
                },
                "search_space": {"c": {"type": "uniform", "min_value": 0.5, "max_value": 0.9}},
                "objective": {"goal": "minimize", "primary_metric": "loss"},
                "limits": {"max_total_trials": 4},
                "resources": {"instance_type": "Standard_D4s_v3"},
                "early_termination": {"type": "median_stopping", "evaluation_interval": 1},
            }
        },
    }
    assert step_fields(pipeline) == [
        "jobs.tune.early_termination",
        "jobs.tune.resources.instance_type",
        "jobs.tune.trial.environment",
    ]


def test_a_nested_pipelines_steps_are_named_under_their_outer_step() -> None:
    pipeline = yaml.safe_load((FIDELITY / "pipeline.yml").read_text())
    pipeline["jobs"] = {"report_step": pipeline["jobs"]["report_step"]}
    assert step_fields(pipeline, FIDELITY / "pipeline.yml") == [
        "settings.default_datastore",
        "settings.continue_on_step_failure",
        "jobs.report_step.jobs.summarize_job.identity",
        "jobs.report_step.jobs.summarize_job.tags",
    ]


def test_what_a_steps_component_file_carries_is_named_unless_the_step_overrides_it() -> None:
    pipeline = {"type": "pipeline", "jobs": {"train": {"component": "./distributed.yml"}}}
    assert step_fields(pipeline, FIDELITY / "pipeline.yml") == ["jobs.train.component.distribution", "jobs.train.component.environment"]
    # The step's own run fields replace the component's, as the local runner lays them over it.
    pipeline["jobs"]["train"] |= {"distribution": {"type": "pytorch"}, "environment": "azureml:sklearn-train@latest"}
    assert step_fields(pipeline, FIDELITY / "pipeline.yml") == ["jobs.train.distribution"]


def test_a_real_example_shaped_pipeline_warns_once_per_field_naming_the_stack_and_the_job_file(monkeypatch: pytest.MonkeyPatch) -> None:
    warned: list[str] = []
    monkeypatch.setattr(assets.pulumi.log, "warn", lambda message, *_, **__: warned.append(message))
    job = str(FIDELITY / "pipeline.yml")
    environments = [{"file": "jobs/environment.yml"}]  # report-pipeline.yml's step runs in it
    run_stack("local", config={"target": "local", "environments": environments, "jobs": [{"file": job, "key": "pipeline"}]})
    ignored = [w for w in warned if w.endswith("(the local target ignores it)")]
    assert len(ignored) == len(set(ignored)), ignored
    where = f"stacks/Pulumi.local.yaml: {job}: "
    assert all(w.startswith(where) for w in ignored), ignored
    assert [w.removeprefix(where).split(":", 1)[0] for w in ignored] == [
        "settings.default_datastore",
        "settings.continue_on_step_failure",
        "jobs.train_job.queue_settings",
        "jobs.train_job.resources.instance_type",
        "jobs.train_job.resources.instance_count",
        "jobs.train_job.environment",
        "jobs.sweep_step.early_termination",
        "jobs.sweep_step.trial.environment",
        "jobs.distributed_step.component.distribution",
        "jobs.distributed_step.component.environment",
        "jobs.report_step.jobs.summarize_job.identity",
        "jobs.report_step.jobs.summarize_job.tags",
    ]
    instance_type = "jobs.train_job.resources.instance_type: the job runs on this machine's CPU and memory"
    assert f"{where}{instance_type} (the local target ignores it)" in ignored


def test_a_deployment_the_local_target_serves_as_written_gets_no_warning() -> None:
    blue = yaml.safe_load((Path(__file__).parents[2] / "jobs/endpoints/blue.yml").read_text())
    assert list(deployment_unhonoured_locally(blue)) == []


def test_what_only_azure_ml_honours_on_a_deployment_is_named_with_the_stack_and_its_file(monkeypatch: pytest.MonkeyPatch) -> None:
    warned: list[str] = []
    monkeypatch.setattr(assets.pulumi.log, "warn", lambda message, *_, **__: warned.append(message))
    deployment = FIDELITY / "scaled-deployment.yml"
    run_stack("local", overrides={"endpoints": [{"file": "jobs/endpoints/endpoint.yml", "deployments": [{"file": str(deployment)}]}]})
    where = f"stacks/Pulumi.local.yaml: {deployment}: "
    assert [w.removeprefix(where) for w in warned if w.startswith(where)] == [
        "scale_settings: one scoring process serves the deployment; nothing scales (the local target ignores it)",
        "request_settings.max_concurrent_requests_per_instance: no cap on requests at once "
        "(azmlinfsrv's workers: WORKER_COUNT in environment_variables) (the local target ignores it)",
        "instance_count: one scoring process serves the deployment, not 3 instances (the local target ignores it)",
    ]
