"""Job schedules on Azure ML (the double), through azure-ai-ml: created from the schedule YAML with the job it names,
updated in place when the job's code changes, and on destroy disabled then deleted, the jobs it started kept."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from components.provider.azure.backend import AzureBackend
from components.provider.providers import ScheduleProvider
from tests.azureml_double import AzureMLDouble
from tests.provider.azure.builders import Project, workspace

pytestmark = pytest.mark.usefixtures("registered_environment")

NAME = "nightly-train"
# Azure ML schedules run pipeline jobs: one step that runs the project's training code.
JOB = {
    "type": "pipeline",
    "experiment_name": "breast-cancer",
    "settings": {"default_compute": "azureml:cpu-cluster"},
    "jobs": {"train": {"type": "command", "command": "python train.py", "code": "src", "environment": "azureml:sklearn:1"}},
}
SCHEDULE = {
    "name": NAME,
    "display_name": "Nightly retraining",
    "trigger": {"type": "cron", "expression": "0 2 * * *", "time_zone": "W. Europe Standard Time"},
    "create_job": {"job": "../train.yml", "experiment_name": "nightly"},
}


def schedule_props(double: AzureMLDouble, project: Project, job: str = "content-1", **definition: Any) -> dict[str, Any]:
    """The Schedule resource's properties, its YAML in jobs/schedules/ naming jobs/train.yml (written here)."""
    (project.root / "jobs" / "train.yml").write_text(yaml.safe_dump(JOB))
    (project.root / "jobs" / "schedules").mkdir(exist_ok=True)
    body = {**SCHEDULE, **definition}
    return {"workspace": workspace(double), "name": NAME, "definition": body, "base_dir": f"{project.jobs_dir}/schedules", "job": job}


def scheduled_job(double: AzureMLDouble) -> dict[str, Any]:
    return double.schedules.schedules[NAME].properties["action"]["jobDefinition"]


def scheduled_code(double: AzureMLDouble) -> str:
    """The code snapshot the schedule's training step runs (its anonymous component's)."""
    component_id = scheduled_job(double)["jobs"]["train"]["componentId"]
    name, version = component_id.rstrip("/").split("/")[-3::2]
    return double.versions["components"][name][version]["properties"]["componentSpec"]["code"]


def test_schedule_is_created_enabled_with_its_trigger_and_the_job_its_yaml_names(
    backend: AzureBackend, aml_double: AzureMLDouble, project: Project
) -> None:
    backend.put_schedule(schedule_props(aml_double, project))

    schedule = aml_double.schedules.schedules[NAME]
    assert schedule.state == "Succeeded"
    assert schedule.properties["isEnabled"] is True
    assert schedule.properties["trigger"]["expression"] == "0 2 * * *"
    assert schedule.properties["trigger"]["timeZone"] == "W. Europe Standard Time"
    job = scheduled_job(aml_double)
    assert (job["jobType"], job["experimentName"]) == ("Pipeline", "nightly")
    assert scheduled_code(aml_double), "the step's code is uploaded, as for a job of the stack"
    assert backend.read_schedule({"workspace": workspace(aml_double), "name": NAME}) == {}


def test_editing_the_jobs_code_is_an_update_in_place_that_uploads_the_new_code(
    backend: AzureBackend, aml_double: AzureMLDouble, project: Project
) -> None:
    olds = schedule_props(aml_double, project)
    backend.put_schedule(olds)
    first_code = scheduled_code(aml_double)
    (project.root / "jobs" / "src" / "train.py").write_text("print('training, better')\n")
    news = schedule_props(aml_double, project, job="content-2")

    diff = ScheduleProvider().diff(NAME, olds, news)
    assert diff.changes and not diff.replaces
    backend.put_schedule(news)  # what the provider's update does

    assert scheduled_code(aml_double) != first_code
    assert len(aml_double.find("PUT", rf"/schedules/{NAME}$")) == 2
    assert not aml_double.find("DELETE", rf"/schedules/{NAME}$"), "updated, never deleted and made again"


def test_a_new_name_makes_another_schedule(aml_double: AzureMLDouble, project: Project) -> None:
    olds = schedule_props(aml_double, project)
    news = {**olds, "name": "weekly-train", "definition": {**olds["definition"], "name": "weekly-train"}}

    assert ScheduleProvider().diff(NAME, olds, news).replaces == ["name"]


def test_destroy_disables_then_deletes_and_the_jobs_it_started_stay(
    backend: AzureBackend, aml_double: AzureMLDouble, project: Project
) -> None:
    props = schedule_props(aml_double, project)
    backend.put_schedule(props)
    run = backend.ml.schedules.trigger(NAME)

    backend.delete_schedule(props)

    disable, delete = aml_double.find("PUT", rf"/schedules/{NAME}$")[-1], aml_double.find("DELETE", rf"/schedules/{NAME}$")
    assert disable.body["properties"]["isEnabled"] is False
    assert len(delete) == 1 and delete[0].time > disable.time
    assert NAME not in aml_double.schedules.schedules
    assert backend.read_schedule(props) is None
    assert aml_double.job(run.job_name), "a run the schedule started is kept"
    backend.delete_schedule(props)  # a second destroy of a schedule already gone is a no-op
