"""Under the real engine with continue-on-error (as `make up` runs it): one failed job never stops the
stack's other jobs. The deployment fails with the job's error, message first and with no Python
traceback; the independent jobs run to their end and the model from one of them is registered
after the failure; the model from the failed job is simply not created; the stack outputs show
the failed job as failed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pulumi import automation as auto

from components.spec.parallelism import MAKE_PARALLEL
from tests.e2e.harness import copy_project, engine_env, resource_error, select_stack
from tests.e2e.test_errors import assert_message_first

ENVIRONMENT = "azureml://registries/azureml/environments/sklearn-1.5/labels/latest"
FAILS_AT_ONCE = f"""\
command: >-
  echo "ValueError: no column named label" >&2 && exit 3
outputs:
  model:
    type: uri_folder
environment: {ENVIRONMENT}
compute: azureml:cpu
"""
# Slower than the failing job, so the failure comes while they run and their models register after it.
TRAINS_FOR_A_WHILE = f"""\
command: >-
  sleep 3 && echo trained > ${{{{outputs.model}}}}/model.txt
outputs:
  model:
    type: uri_folder
environment: {ENVIRONMENT}
compute: azureml:cpu
"""
JOBS = {"fails": FAILS_AT_ONCE, "slow1": TRAINS_FOR_A_WHILE, "slow2": TRAINS_FOR_A_WHILE}
MODELS = {"from-failed": "fails", "from-slow1": "slow1"}


def write_stack(project: Path) -> None:
    for key, text in JOBS.items():
        (project / "jobs" / f"{key}.yml").write_text(text)
    config = {
        "azureml-training:target": "local",
        "azureml-training:local": {"concurrency": len(JOBS)},
        "azureml-training:jobs": [{"file": f"jobs/{key}.yml", "key": key} for key in JOBS],
        "azureml-training:models": [{"name": name, "job": job, "type": "custom_model"} for name, job in MODELS.items()],
    }
    (project / "stacks" / "Pulumi.local.yaml").write_text(yaml.safe_dump({"config": config}))


def test_a_failed_job_stops_no_other_and_the_update_ends_message_first(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    write_stack(project)
    stack = select_stack(project, "local", engine_env(tmp_path / "state", {"PULUMI_PARALLEL": str(MAKE_PARALLEL)}))

    with pytest.raises(auto.CommandError) as failed:
        stack.up(continue_on_error=True)
    error = resource_error(failed.value)
    assert error[0].startswith("azureml-training: job azureml-training-local-fails-"), error
    assert_message_first(error, "fails")
    everything = str(failed.value)  # the CLI's whole stdout and stderr
    assert "Traceback (most recent call last)" not in everything and "ResourceRegistrationFailed" not in everything, everything

    resources = stack.export_stack().deployment["resources"]
    jobs = {r["outputs"]["key"]: r["outputs"]["status"] for r in resources if r["type"].endswith(":Job")}
    assert jobs == {"slow1": "Completed", "slow2": "Completed"}, "the failed job is not in the state; the others ran to their end"
    models = [r["outputs"]["name"] for r in resources if r["type"].endswith(":Model")]
    assert models == ["from-slow1"], "registered after the failure; the failed job's model is not created"

    outputs = {key: value.value for key, value in stack.outputs().items()}
    assert outputs["jobs"]["fails"] == {"status": "Failed"}, outputs
    assert outputs["jobs"]["slow1"]["status"] == outputs["jobs"]["slow2"]["status"] == "Completed", outputs
    assert outputs["models"]["from-failed"] is None and outputs["models"]["from-slow1"]["version"] == "1", outputs
