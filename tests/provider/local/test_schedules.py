"""Schedules on the local target: a record in the workspace, so state, refresh and destroy see them; nothing fires."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from components.provider.local.backend import LocalBackend
from components.provider.local.layout import Layout

DEFINITION = {
    "name": "nightly",
    "trigger": {"type": "cron", "expression": "0 2 * * *", "time_zone": "W. Europe Standard Time"},
    "create_job": "../pipeline-job.yml",
}


def props(workspace: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {"workspace": workspace, "name": "nightly", "definition": DEFINITION, "base_dir": "jobs/schedules", "job": "a1", **changes}


def test_a_schedule_is_recorded_with_its_trigger_and_job_and_starts_no_job(workspace: dict[str, Any]) -> None:
    backend = LocalBackend(workspace)  # a schedule needs no tracking store: the workspace's folder is enough
    assert backend.put_schedule(props(workspace)) == {}

    record = json.loads(Layout(workspace["root"]).schedule_record("nightly").read_text())
    assert record == {"name": "nightly", "trigger": DEFINITION["trigger"], "create_job": "../pipeline-job.yml", "job": "a1"}
    assert not (Path(workspace["root"]) / "jobs").exists() or not any((Path(workspace["root"]) / "jobs").iterdir())
    assert backend.read_schedule(props(workspace)) == {}


def test_an_update_rewrites_the_record_and_a_delete_removes_it(workspace: dict[str, Any]) -> None:
    backend = LocalBackend(workspace)
    backend.put_schedule(props(workspace))
    backend.put_schedule(props(workspace, job="b2"))
    assert json.loads(Layout(workspace["root"]).schedule_record("nightly").read_text())["job"] == "b2"

    backend.delete_schedule(props(workspace))

    assert not Layout(workspace["root"]).schedule_record("nightly").exists()
    assert backend.read_schedule(props(workspace)) is None
    backend.delete_schedule(props(workspace))  # gone already: nothing to do
