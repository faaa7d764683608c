"""A failed job under the real engine and the stock dynamic-provider host: its error reads message
first (what failed, why, what to do), with no traceback of our frames. (The local target's:
test_concurrency.py, whose stack gains a failing job.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pulumi import automation as auto

from tests.azureml_double import AzureMLDouble
from tests.e2e.harness import copy_project, engine_env, resource_error, select_stack

FAILING_JOB = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
command: >-
  echo "loading data" && echo "ValueError: no column named label" >&2 && exit 3
environment: azureml:AzureML-sklearn-1.5-ubuntu22.04-py39-cpu:1
compute: azureml:cpu-cluster
"""


def failing_stack(tmp_path: Path, stack_name: str, config: dict, extra_env: dict | None = None) -> auto.Stack:
    project = copy_project(tmp_path / "project")
    (project / "jobs" / "failing.yml").write_text(FAILING_JOB)
    config = {**config, "azureml-training:jobs": [{"file": "jobs/failing.yml", "key": "prepare"}]}
    (project / "stacks" / f"Pulumi.{stack_name}.yaml").write_text(yaml.safe_dump({"config": config}))
    return select_stack(project, stack_name, engine_env(tmp_path / "state", extra_env))


def assert_message_first(error: list[str], key: str = "prepare") -> None:
    text = "\n".join(error)
    assert "Traceback" not in text and 'File "' not in text, text
    assert f"set rerun: 1 on this job ({key})" in text, text


def test_a_failed_azure_job_reads_message_first(tmp_path: Path, aml_double: AzureMLDouble) -> None:
    aml_double.add_compute("cpu-cluster")
    aml_double.auto_tick = True
    aml_double.script_next_job(
        outcome="Failed", error_message="User process exited with exit code 3.", log="ValueError: no column named label\n"
    )
    workspace = {"existing": True, "subscriptionId": aml_double.subscription_id, "resourceGroup": aml_double.resource_group}
    config = {"azureml-training:target": "azure", "azureml-training:workspace": {**workspace, "name": aml_double.workspace}}
    stack = failing_stack(tmp_path, "team", config, aml_double.subprocess_env())
    with pytest.raises(auto.CommandError) as failed:
        stack.up()
    error = resource_error(failed.value)
    assert error[0].startswith("azureml-training: job azureml-training-team-prepare-"), error
    text = "\n".join(error)
    assert "User process exited with exit code 3." in text and "ValueError: no column named label" in text, text
    assert_message_first(error)
