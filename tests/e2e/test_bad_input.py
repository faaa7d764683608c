"""Bad input under the real engine: `pulumi preview` fails in one line, before any resource is touched."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pulumi import automation as auto

from tests.e2e.harness import copy_project, engine_env, select_stack


def preview_error(tmp_path: Path, config: dict[str, object], files: dict[str, str] | None = None) -> str:
    project = copy_project(tmp_path / "project")
    for name, text in (files or {}).items():
        (project / name).write_text(text)
    stack_file = project / "stacks" / "Pulumi.local.yaml"
    settings = yaml.safe_load(stack_file.read_text())
    settings["config"].update(config)
    stack_file.write_text(yaml.safe_dump(settings))
    stack = select_stack(project, "local", engine_env(tmp_path / "state"))
    with pytest.raises(auto.CommandError) as failed:
        stack.preview()
    assert not stack.export_stack().deployment.get("resources"), "nothing may be registered"
    message = str(failed.value)
    errors = {line.split("error:", 1)[1].strip() for line in message.splitlines() if "error:" in line}
    assert len(errors) == 1, f"one error, the settings' one line, and nothing more: {errors}"
    return message


def test_wrong_config_key_fails_preview_in_one_line_without_a_traceback(tmp_path: Path) -> None:
    message = preview_error(tmp_path, {"azureml-training:jobz": [{"file": "jobs/train-job.yml"}]})
    assert "stacks/Pulumi.local.yaml: azureml-training:jobz: unknown key (known keys: components, compute, data," in message
    assert "Traceback" not in message


def test_invalid_job_yaml_fails_preview_naming_the_file_and_the_field(tmp_path: Path) -> None:
    broken = {"jobs/broken-job.yml": "type: command\ncode: ./src\nenvironment: azureml:sklearn-train@latest\n"}
    jobs = [{"file": "jobs/train-job.yml", "key": "train"}, {"file": "jobs/broken-job.yml", "key": "sweep"}]
    models = [{"name": "breast-cancer-classifier", "job": "sweep"}]  # the stack's other model names its pipeline
    message = preview_error(tmp_path, {"azureml-training:jobs": jobs, "azureml-training:models": models}, broken)
    assert "stacks/Pulumi.local.yaml: jobs/broken-job.yml: command: Missing data for required field." in message
    assert "Traceback" not in message


def test_up_with_a_wrong_last_job_creates_nothing_not_even_the_environment_before_it(tmp_path: Path) -> None:
    """Every YAML file is checked before the first resource is registered: `up` builds as it registers."""
    project = copy_project(tmp_path / "project")
    sweep = yaml.safe_load((project / "jobs" / "sweep-job.yml").read_text())
    sweep["limits"]["max_total_trials"] = -1
    (project / "jobs" / "sweep-job.yml").write_text(yaml.safe_dump(sweep))
    stack = select_stack(project, "local", engine_env(tmp_path / "state"))
    with pytest.raises(auto.CommandError) as failed:
        stack.up()
    assert "jobs/sweep-job.yml: limits.max_total_trials: must be at least 1 (got -1)" in str(failed.value)
    resources = stack.export_stack().deployment.get("resources") or []
    assert [r["type"] for r in resources if r["type"] != "pulumi:pulumi:Stack"] == [], "no workspace, no environment"
    assert not (project / ".azureml-local").exists()
