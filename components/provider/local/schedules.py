"""Job schedules on this machine: checked and recorded, never fired.

A schedule fires only on Azure ML. Locally the stack keeps a record of each (`schedules/<name>.json`:
its trigger and the job it runs) so that state, refresh and destroy treat it like any other asset; no
process waits for its fire times, here or in the background. Its next fire times are in the stack
outputs (components/spec/schedule_specs.py).
"""

from __future__ import annotations

from components.provider.backend import Outs, Props
from components.provider.local.layout import Layout
from components.provider.local.records import read_record, write_record


def put_schedule(layout: Layout, props: Props) -> Outs:
    definition = props["definition"]
    record = {"name": props["name"], "trigger": definition.get("trigger"), "create_job": definition.get("create_job")}
    write_record(layout.schedule_record(props["name"]), {**record, "job": props.get("job")})
    return {}


def read_schedule(layout: Layout, outs: Props) -> Outs | None:
    return None if read_record(layout.schedule_record(outs["name"])) is None else {}


def delete_schedule(layout: Layout, outs: Props) -> None:
    layout.schedule_record(outs["name"]).unlink(missing_ok=True)
