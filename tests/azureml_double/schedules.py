"""Job schedules, served as the recorded service serves them.

Grounded in ``../shared/azureml-recordings/schedule/`` (a schedule's whole life: create, read, list, disable and
enable, trigger, a refused delete, disable and delete):

* every PUT (create, update, disable, enable: ``isEnabled`` is part of the body) answers 201 with only
  ``properties`` (the schedule as sent, ``isEnabled`` true unless sent false, the trigger's ``endTime`` null
  when unset, the action's ``jobDefinition`` as the service binds a job, ``provisioningState: Creating``), an
  ``Azure-AsyncOperation`` at a subscription-scoped ``…/locations/<region>/mfeOperationsStatus/s:<workspace id>:<id>``
  and ``x-ms-async-operation-timeout: PT30M``; a DELETE answers 202 with the body ``null``, the same
  ``Azure-AsyncOperation`` and a ``Location`` at ``mfeOperationResults/<id>``;
* the operation reads ``{id, name, status}`` with ``status`` ``Creating`` (a delete's: ``Deleting``) until it ends
  ``Succeeded`` (then with ``startTime`` and ``endTime``) or ``Failed`` (with its ``error``, no times), one step per
  tick (``ticks``, recorded: two polls);
* a read answers ``name``, ``properties`` and ``systemData`` (no ``id``, no ``type``); the list answers ``value``;
  ``provisioningState`` is ``Creating`` until the operation ends, then ``Succeeded``;
* an enabled schedule cannot be deleted: the DELETE is accepted (202) and its operation ends ``Failed``, "Cannot
  delete an active trigger <name>", the schedule unchanged; once disabled it goes, and a read answers 404
  "Resource Trigger <name> not found";
* ``POST …/trigger`` answers ``{scheduleActionType: CreateJob, submissionId: <name>-<uuid>}`` and submits the
  schedule's job under that name, as the service does.

Rules the recordings do not show: the job a schedule names must be runnable when the schedule is put (its compute
and the workspace's asset versions it names exist), as for a job's own PUT.
"""

from __future__ import annotations

import copy
import json
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tests.azureml_double import shapes, validation
from tests.azureml_double.errors import HttpError, not_found
from tests.azureml_double.mfe_operations import OperationBook, delete_headers, operation_path, put_headers

if TYPE_CHECKING:
    from tests.azureml_double.server import AzureMLDouble

OPERATION_PREFIX = "s:"


def _iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class _Operation:
    id: str
    running: str  # "Creating" or "Deleting"
    ticks_left: int
    on_end: Any
    error: dict | None = None
    started: str = field(default_factory=_iso)
    ended: str | None = None

    def tick(self) -> None:
        if self.ended is None:
            self.ticks_left -= 1
            if self.ticks_left <= 0:
                self.ended = _iso()
                self.on_end(self)

    def view(self, arm_path: str) -> dict:
        body: dict[str, Any] = {"id": arm_path, "name": self.id}
        if self.ended is None:
            return body | {"status": self.running}
        if self.error is not None:
            return {"error": self.error, **body, "status": "Failed"}
        return body | {"status": "Succeeded", "startTime": self.started, "endTime": self.ended}


@dataclass
class _Schedule:
    name: str
    properties: dict  # as sent, with what the service fills in
    created: str
    state: str = "Creating"
    operation: str = ""


class Schedules:
    """The workspace's job schedules and their operations (state of one :class:`AzureMLDouble`)."""

    def __init__(self, double: AzureMLDouble) -> None:
        self.double = double
        self.schedules: dict[str, _Schedule] = {}
        self.operations: OperationBook[_Operation] = OperationBook(double)
        self.ticks = 2  # recorded: one poll Creating, then Succeeded

    def tick(self) -> None:
        self.operations.tick()

    # routing ---------------------------------------------------------------------------------------
    def route(self, method: str, parts: list[str], query: dict, body: Any) -> tuple:
        """``parts`` below ``…/schedules``."""
        api = query.get("api-version")
        if not parts:
            if method == "GET":
                return 200, {"value": [self._view(s) for s in self._listed(query)]}, {}
            raise HttpError(405, "MethodNotAllowed", f"{method} on schedules")
        name, rest = parts[0], parts[1:]
        if rest == ["trigger"] and method == "POST":
            return self._trigger(self._schedule(name))
        if rest:
            raise HttpError(404, "NotFound", f"schedules/{'/'.join(parts)}")
        if method == "GET":
            schedule = self._schedule(name)
            self.operations.advance_on_read(schedule.operation)
            return 200, self._view(self._schedule(name)), {}
        if method == "PUT":
            return self._put(name, dict(body or {}), api)
        if method == "DELETE":
            return self._delete(self._schedule(name), api)
        raise HttpError(405, "MethodNotAllowed", f"{method} on a schedule")

    def operation_status(self, operation_id: str) -> tuple:
        return 200, self.operations.get(operation_id).view(operation_path(self.double, "mfeOperationResults", operation_id)), {}

    def operation_result(self, operation_id: str, api: str | None) -> tuple:
        operation = self.operations.get(operation_id)
        if operation.ended is None:
            return 202, None, delete_headers(self.double, operation_id, api)
        return 200, None, {}

    # schedules -------------------------------------------------------------------------------------
    def _put(self, name: str, body: dict, api: str | None) -> tuple:
        sent = copy.deepcopy(body.get("properties") or {})
        job = (sent.get("action") or {}).get("jobDefinition")
        if isinstance(job, dict):
            validation.check_scheduled_job(self.double, job)
        properties = {"description": None, "tags": {}, "properties": {}, **sent}
        properties["isEnabled"] = sent.get("isEnabled", True) is not False
        properties["trigger"] = {"endTime": None, **(sent.get("trigger") or {})}
        if isinstance(job, dict):
            properties["action"] = {**sent["action"], "jobDefinition": self._job_definition(job, api)}
        existing = self.schedules.get(name)
        schedule = existing or _Schedule(name, properties, _iso())
        schedule.properties = properties
        schedule.state = "Creating"  # recorded for an update (a disable) too
        self.schedules[name] = schedule
        schedule.operation = self._start("Creating", lambda _op: setattr(schedule, "state", "Succeeded"))
        answer = self._properties(schedule)
        if existing is None:
            answer = self._as_created(answer, job if isinstance(job, dict) else {})
        return 201, {"properties": answer}, put_headers(self.double, schedule.operation, api)

    def _delete(self, schedule: _Schedule, api: str | None) -> tuple:
        if schedule.properties["isEnabled"]:
            error = {
                "code": "UserError",
                "message": f"Cannot delete an active trigger {schedule.name}",
                "details": [],
                "additionalInfo": [],
            }
            operation = self._start("Deleting", lambda _op: None, error=error)
        else:
            operation = self._start("Deleting", lambda _op: self.schedules.pop(schedule.name, None))
        return 202, b"null", delete_headers(self.double, operation, api)

    def _trigger(self, schedule: _Schedule) -> tuple:
        """Run the schedule's job now, under a name of its own, as a fire of the trigger does."""
        submission = f"{schedule.name}-{uuid.uuid4()}"
        job = copy.deepcopy((schedule.properties.get("action") or {}).get("jobDefinition") or {})
        job = {k: v for k, v in job.items() if v is not None and k != "status"}
        job["properties"] = {**(job.get("properties") or {}), "azureml.genericTriggerName": schedule.name, "runSource": "Schedule"}
        self.double._put_job(
            submission, {"properties": job}, shapes.NEW_JOB_API if job.get("jobType") == "Command" else None, json.dumps(job)
        )
        return 200, {"scheduleActionType": "CreateJob", "submissionId": submission}, {}

    def _listed(self, query: dict) -> list[_Schedule]:
        view = (query.get("listViewType") or "EnabledOnly").lower()
        enabled = {"enabledonly": True, "disabledonly": False}.get(view)
        return [s for s in self.schedules.values() if enabled is None or s.properties["isEnabled"] is enabled]

    def _view(self, schedule: _Schedule) -> dict:
        return {"name": schedule.name, "properties": self._properties(schedule), "systemData": self._system_data(schedule)}

    @staticmethod
    def _properties(schedule: _Schedule) -> dict:
        return {**copy.deepcopy(schedule.properties), "provisioningState": schedule.state}

    @staticmethod
    def _system_data(schedule: _Schedule) -> dict:
        author = {"createdBy": "double@example.com", "createdByType": "User"}
        return {
            "createdAt": schedule.created,
            **author,
            "lastModifiedAt": _iso(),
            "lastModifiedBy": author["createdBy"],
            "lastModifiedByType": "User",
        }

    @staticmethod
    def _job_definition(job: dict, api: str | None) -> dict:
        """The job as the service keeps it in a schedule: bound like a job at ``api``, not yet run (``NotStarted``).

        Recorded (test_command_job_schedule): a command job keeps no parameters it was not sent (null), its inputs
        have no ``pathOnCompute`` (the job model of 2023-06-01-preview), and it reads back with ``services: {}``."""
        bound = shapes.job({"properties": copy.deepcopy(job)}, api)["properties"]
        bound = {"status": "NotStarted", "experimentName": "Default", "services": None, **bound}
        if bound.get("jobType") == "Command":
            bound["services"] = bound["services"] or {}
            if "parameters" not in job:
                bound["parameters"] = None
            for binding in (bound.get("inputs") or {}).values():
                if isinstance(binding, dict):
                    binding.pop("pathOnCompute", None)
        return bound

    @staticmethod
    def _as_created(properties: dict, sent: dict) -> dict:
        """The answer to the PUT that creates a schedule echoes its command job as sent: no queue settings or
        services it was not given (null); every later answer, an update's too, has the job as kept (recorded)."""
        job = (properties.get("action") or {}).get("jobDefinition")
        if isinstance(job, dict) and job.get("jobType") == "Command":
            for key in ("queueSettings", "services"):
                if key not in sent:
                    job[key] = None
        return properties

    def _schedule(self, name: str) -> _Schedule:
        schedule = self.schedules.get(name)
        if schedule is None:
            raise not_found(f"Resource Trigger {name} not found")
        return schedule

    # operations ------------------------------------------------------------------------------------
    def _start(self, running: str, on_end: Any, error: dict | None = None) -> str:
        operation_id = f"{OPERATION_PREFIX}{self.double.workspace_id}:{secrets.token_urlsafe(32)}"
        return self.operations.add(operation_id, _Operation(operation_id, running, self.ticks, on_end, error))
