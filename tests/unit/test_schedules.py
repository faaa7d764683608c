"""Schedules in a stack: refused at preview in one line naming the stack and schedule files, the job they run checked
like a job of the stack, a Schedule resource that follows that job's content, and the stack output of next runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from components import assets
from components.spec.preflight import check_stack
from components.spec.settings import ScheduleEntry
from components.spec.specs import SpecLoader
from tests.unit.harness import Registered, Run, run_stack
from tests.unit.stacks import PIPELINE, refusal, stack, write

SCHEDULE = {
    "name": "nightly",
    "trigger": {"type": "cron", "expression": "0 2 * * *", "time_zone": "W. Europe Standard Time"},
    "create_job": "../pipeline.yml",
}
SCHEDULES = [{"file": "jobs/schedules/nightly.yml"}]


def with_schedule(project: Path, **changes: Any) -> None:
    write(project, "jobs/schedules/nightly.yml", {**SCHEDULE, **changes})


@pytest.mark.parametrize("target", ["local", "created-workspace"])
def test_a_sound_schedule_of_the_stacks_pipeline_passes(stack_project: Path, target: str) -> None:
    with_schedule(stack_project)
    check_stack(stack(target, schedules=SCHEDULES), "dev", stack_project)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"trigger": {"type": "cron", "expression": "0 25 * * *"}},
            "jobs/schedules/nightly.yml: trigger.expression: '0 25 * * *' does not parse: Bad hour",
        ),
        (
            {"trigger": {"type": "cron", "expression": "0 2 * * *", "time_zone": "CET"}},
            "jobs/schedules/nightly.yml: trigger.time_zone: 'CET' is not a time zone Azure ML knows",
        ),
        (
            {"trigger": {"type": "recurrence", "frequency": "minute", "interval": -5}},
            "jobs/schedules/nightly.yml: trigger.interval: -5 is not a whole number of minutes of at least 1",
        ),
        (
            {
                "trigger": {
                    "type": "cron",
                    "expression": "0 2 * * *",
                    "start_time": "2027-01-02T00:00:00",
                    "end_time": "2027-01-01T00:00:00",
                }
            },
            "jobs/schedules/nightly.yml: trigger.end_time: 2027-01-01T00:00:00 is not after start_time 2027-01-02T00:00:00",
        ),
        (
            {"create_job": "../nightly-pipeline.yml"},
            "jobs/schedules/nightly.yml: create_job: '../nightly-pipeline.yml' does not exist (relative to jobs/schedules/)",
        ),
        (
            {"create_job": {"job": "../missing.yml", "inputs": {"factor": 4}}},
            "jobs/schedules/nightly.yml: create_job.job: '../missing.yml' does not exist (relative to jobs/schedules/)",
        ),
        ({"trigger": {"type": "hourly"}}, "jobs/schedules/nightly.yml: trigger.type: 'hourly' is not a trigger Azure ML fires"),
        ({"trigger": None}, "jobs/schedules/nightly.yml: trigger.type: None is not a trigger Azure ML fires (cron or recurrence)"),
    ],
)
def test_a_schedule_that_cannot_fire_or_names_no_job_fails_the_preview_in_one_line(
    stack_project: Path, changes: dict[str, Any], message: str
) -> None:
    with_schedule(stack_project, **changes)
    assert refusal(stack_project, stack("local", schedules=SCHEDULES)).startswith(message)


def test_the_scheduled_job_goes_through_the_checks_of_a_stack_job_and_the_line_names_both_files(stack_project: Path) -> None:
    miswired = {
        **PIPELINE,
        "jobs": {**PIPELINE["jobs"], "scale": {**PIPELINE["jobs"]["scale"], "inputs": {"source": "${{parent.jobs.nope.outputs.x}}"}}},
    }
    write(stack_project, "jobs/nightly-pipeline.yml", miswired)
    with_schedule(stack_project, create_job="../nightly-pipeline.yml")

    line = refusal(stack_project, stack("local", schedules=SCHEDULES))

    assert line.startswith("jobs/schedules/nightly.yml: create_job: jobs/nightly-pipeline.yml: jobs.scale.inputs.source: "), line
    assert "nope" in line


def test_a_schedule_of_a_command_job_is_refused_since_azure_ml_schedules_run_pipelines(stack_project: Path) -> None:
    write(
        stack_project,
        "jobs/train.yml",
        {"type": "command", "code": "./src", "command": "python run.py", "environment": "azureml:py@latest"},
    )
    with_schedule(stack_project, create_job="../train.yml")

    line = refusal(stack_project, stack("created-workspace", schedules=SCHEDULES))

    assert line == (
        "jobs/schedules/nightly.yml: create_job: jobs/train.yml is a command job; Azure ML schedules run pipeline jobs "
        "(schedule a pipeline whose step runs it)"
    )


def test_the_scheduled_jobs_references_must_exist_where_the_stack_deploys(stack_project: Path) -> None:
    with_schedule(stack_project)
    # Without the stack's environment `py`, which the scheduled pipeline's steps name.
    line = refusal(stack_project, stack("local", schedules=SCHEDULES, environments=[]))
    assert line.startswith("jobs/pipeline.yml: "), line
    assert "azureml:py@latest" in line


def test_two_schedules_of_one_name_are_refused(stack_project: Path) -> None:
    with_schedule(stack_project)
    write(stack_project, "jobs/schedules/again.yml", SCHEDULE)
    schedules = [*SCHEDULES, {"file": "jobs/schedules/again.yml"}]
    assert refusal(stack_project, stack("local", schedules=schedules)) == (
        "jobs/schedules/again.yml: name: 'nightly' is also the name of jobs/schedules/nightly.yml (azureml-training:schedules[0]); "
        "each of a stack's schedules needs a name of its own"
    )


# Under mocks, the real program: a scheduled pipeline outside the repository (externalPaths), so a test can edit its code.
NIGHTLY_PIPELINE = {
    "type": "pipeline",
    "settings": {"default_compute": "azureml:cpu-cluster"},
    "jobs": {
        "train": {
            "type": "command",
            "code": "./src",
            "command": "python train.py",
            "environment": "azureml://registries/azureml/environments/sklearn-1.5/labels/latest",
        }
    },
}


@pytest.fixture
def scheduled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AZUREML_TRAINING_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "project"
    write(folder, "src/train.py", "print('train')\n")
    write(folder, "pipeline.yml", NIGHTLY_PIPELINE)
    write(folder, "schedules/nightly.yml", {**SCHEDULE, "create_job": {"job": "../pipeline.yml", "experiment_name": "nightly"}})
    weekly = {"type": "recurrence", "frequency": "week", "interval": 1, "schedule": {"hours": [6], "minutes": [0], "week_days": ["monday"]}}
    write(folder, "schedules/weekly.yml", {**SCHEDULE, "name": "weekly", "trigger": weekly, "create_job": "../pipeline.yml"})
    return folder


def config(folder: Path, target: str = "local") -> dict[str, Any]:
    schedules = [{"file": str(folder / "schedules" / f"{name}.yml")} for name in ("nightly", "weekly")]
    local = {"target": "local", "local": {"root": str(folder / "workspace")}}
    existing = {"target": "azure", "workspace": {"existing": True, "subscriptionId": "00000000-0000-4000-8000-000000000001"}}
    existing["workspace"] |= {"resourceGroup": "team-rg", "name": "team-ws"}
    return {**(local if target == "local" else existing), "externalPaths": [str(folder)], "schedules": schedules}


def schedule_of(run: Run, name: str) -> Registered:
    (found,) = [r for r in run.resources if r.type.endswith("azureml:Schedule") and r.inputs["name"] == name]
    return found


def test_each_schedule_is_a_resource_and_the_output_holds_its_next_three_runs_trigger_and_job(scheduled: Path) -> None:
    run = run_stack("local", config=config(scheduled))

    nightly = schedule_of(run, "nightly")
    assert nightly.inputs["definition"]["create_job"] == {"job": "../pipeline.yml", "experiment_name": "nightly"}
    assert nightly.inputs["base_dir"] == str(scheduled / "schedules")
    output = run.exports["schedules"]
    assert set(output) == {"nightly", "weekly"}
    assert len(output["nightly"]["nextRuns"]) == 3 and all(
        run.endswith("T02:00:00+01:00") or run.endswith("T02:00:00+02:00") for run in output["nightly"]["nextRuns"]
    )
    assert output["nightly"]["trigger"] == SCHEDULE["trigger"]
    assert output["weekly"]["job"] == str(scheduled / "pipeline.yml")


def test_editing_the_scheduled_jobs_code_changes_the_schedules_job_and_nothing_else_of_it(scheduled: Path) -> None:
    before = schedule_of(run_stack("local", config=config(scheduled)), "nightly").inputs
    (scheduled / "src" / "train.py").write_text("print('train better')\n")
    after = schedule_of(run_stack("local", config=config(scheduled)), "nightly").inputs

    assert after["job"] != before["job"]
    assert {k: v for k, v in after.items() if k != "job"} == {k: v for k, v in before.items() if k != "job"}


def test_the_local_target_warns_once_for_all_its_schedules_and_azure_not_at_all(scheduled: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    warned: list[str] = []
    monkeypatch.setattr(assets.pulumi.log, "warn", lambda message, *_, **__: warned.append(message))

    run_stack("local", config=config(scheduled))
    assert warned == [
        "stacks/Pulumi.local.yaml: schedules fire only on Azure ML; on the local target they are checked and their next runs "
        "shown (output `schedules`), and nothing runs for them (nightly, weekly)"
    ]
    warned.clear()
    run = run_stack("dev", config=config(scheduled, "azure"))
    assert warned == []
    assert schedule_of(run, "weekly").inputs["workspace"]["workspace_name"] == "team-ws"


def test_the_example_dev_stack_schedules_the_training_pipeline_nightly() -> None:
    run = run_stack("dev")
    nightly = schedule_of(run, "nightly-train")
    assert yaml.safe_load(Path("jobs/schedules/nightly-train.yml").read_text())["create_job"]["job"] == "../pipeline-job.yml"
    assert nightly.inputs["job"], "follows the pipeline's content"
    assert run.exports["schedules"]["nightly-train"]["job"] == "jobs/pipeline-job.yml"
    assert any(dependency.endswith("Environment::env-sklearn-train") for dependency in nightly.dependencies)


def test_a_schedule_of_a_workspace_job_passes_with_nothing_local_to_check(stack_project: Path) -> None:
    # azureml-examples cli/schedules: `create_job: azureml:simple-pipeline-job`, a job the workspace already has.
    with_schedule(stack_project, create_job="azureml:simple-pipeline-job")
    check_stack(stack("created-workspace", schedules=SCHEDULES), "dev", stack_project)
    spec = SpecLoader(stack_project, "stacks/Pulumi.dev.yaml").schedule(ScheduleEntry(file=Path("jobs/schedules/nightly.yml")))
    assert (spec.job, spec.job_file, spec.runs) == (None, None, "azureml:simple-pipeline-job")
