"""The guardrails' policy pack under the real engine: `pulumi preview --policy-pack policies` refuses a sweep
of more trials than the stack's policy config allows, with the policy's message.

This is what `make preview` runs, through the CLI and Python language host built here (tools/pulumi/): the
engine starts the pack with the language host's RunPlugin, as upstream's does.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pulumi import automation as auto

from tests.e2e.harness import copy_project, engine_env, select_stack


def test_preview_refuses_a_sweep_over_the_stacks_trial_limit_with_the_policys_message(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    sweep = yaml.safe_load((project / "jobs" / "sweep-job.yml").read_text())
    sweep["limits"]["max_total_trials"] = 30  # policies/config/local.json allows 20
    (project / "jobs" / "sweep-job.yml").write_text(yaml.safe_dump(sweep))
    stack_file = project / "stacks" / "Pulumi.local.yaml"
    settings = yaml.safe_load(stack_file.read_text())
    # Only what the sweep needs: a small preview.
    small = {"environments": [{"file": "jobs/environment.yml"}], "jobs": [{"file": "jobs/sweep-job.yml", "key": "sweep"}]}
    settings["config"] = {k: v for k, v in settings["config"].items() if k in ("azureml-training:target", "azureml-training:local")}
    settings["config"].update({f"azureml-training:{key}": value for key, value in small.items()})
    stack_file.write_text(yaml.safe_dump(settings))
    stack = select_stack(project, "local", engine_env(tmp_path / "state"))

    policies = project / "policies"
    with pytest.raises(auto.CommandError) as failed:
        stack.preview(policy_packs=[str(policies)], policy_pack_configs=[str(policies / "config" / "local.json")])

    output = str(failed.value)
    assert "[mandatory]  job-limits  (pulumi-python:dynamic/azureml:Job: sweep)" in output
    assert "job sweep: limits.max_total_trials is 30, above this stack's maxTotalTrials of 20" in output
