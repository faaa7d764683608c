"""What the local target cannot honour is named, field by field; what it honours is not."""

from __future__ import annotations

from pathlib import Path

import yaml

from components.local_fidelity import unhonoured_locally

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
