"""A local stack with a schedule under the real engine: the preview warns once, `up` runs nothing for it and the outputs
hold its next three fire times, a second preview changes nothing, editing the job's code updates the schedule
(`[diff: ~job]`), destroy removes it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import yaml

from tests.e2e.harness import copy_project, engine_env, select_stack

# A pipeline on a registry environment: the stack declares nothing else, so `up` builds no environment.
PIPELINE = {
    "type": "pipeline",
    "jobs": {
        "train": {
            "type": "command",
            "code": "../src",
            "command": "python train.py",
            "environment": "azureml://registries/azureml/environments/sklearn-1.5/labels/latest",
        }
    },
}
SCHEDULE = {
    "name": "nightly",
    "trigger": {"type": "cron", "expression": "0 2 * * *", "time_zone": "W. Europe Standard Time"},
    "create_job": {"job": "./tiny-pipeline.yml", "experiment_name": "nightly"},
}
WARNING = "schedules fire only on Azure ML"


def test_a_local_schedule_warns_once_runs_nothing_and_outputs_its_next_three_runs(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    (project / "jobs" / "schedules" / "tiny-pipeline.yml").write_text(yaml.safe_dump(PIPELINE))
    (project / "jobs" / "schedules" / "nightly.yml").write_text(yaml.safe_dump(SCHEDULE))
    config = {"azureml-training:target": "local", "azureml-training:schedules": [{"file": "jobs/schedules/nightly.yml"}]}
    (project / "stacks" / "Pulumi.local.yaml").write_text(yaml.safe_dump({"config": config}))
    stack = select_stack(project, "local", engine_env(tmp_path / "state"))

    events: list = []
    stack.preview(on_event=events.append)
    warnings = [e.diagnostic_event.message for e in events if e.diagnostic_event and e.diagnostic_event.severity == "warning"]
    assert [w for w in warnings if WARNING in w] == [next(w for w in warnings if WARNING in w)], warnings

    before = datetime.now(UTC)
    up = stack.up()
    runs = up.outputs["schedules"].value["nightly"]["nextRuns"]
    assert len(runs) == 3 and before < datetime.fromisoformat(runs[0]) < datetime.fromisoformat(runs[1]) < datetime.fromisoformat(runs[2])
    assert all(datetime.fromisoformat(run).astimezone(UTC).hour in (0, 1) for run in runs), "02:00 in Amsterdam"
    workspace = project / ".azureml-local" / "local"
    assert (workspace / "schedules" / "nightly.json").is_file()
    assert not (workspace / "jobs").exists() or not any((workspace / "jobs").iterdir()), "nothing ran"
    assert set(stack.preview().change_summary) == {"same"}

    (project / "jobs" / "src" / "train.py").write_text((project / "jobs" / "src" / "train.py").read_text() + "\n# tuned\n")
    shown: list[str] = []
    assert stack.preview(on_output=shown.append).change_summary.get("update") == 1
    assert "azureml:Schedule schedule-nightly update [diff: ~job]" in "".join(shown)

    stack.destroy()
    assert not (workspace / "schedules").exists()
