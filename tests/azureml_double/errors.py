"""The Azure ML service's error answers: one exception, rendered as the service's error envelope.

Every error the management front end returns in the recorded sessions (../shared/azureml-recordings:
``test_command_job_invalid_datastore``, ``test_command_job_register_output``, ``test_crud_file``, ...) has the
same envelope::

    {"error": {"code": "UserError", "message": "...",
               "details": [{"code": "RequestInvalid", "message": "...", "details": [], "additionalInfo": []}],
               "additionalInfo": [{"type": "ComponentName", "info": {"value": "managementfrontend"}},
                                  {"type": "Correlation", ...}, {"type": "Environment", ...},
                                  {"type": "Location", ...}, {"type": "Time", ...},
                                  {"type": "InnerError", "info": {"value": {"code": "BadArgument", ...}}}]}}
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True)
class Detail:
    """One entry of ``error.details[]``."""

    code: str
    message: str

    def body(self) -> dict:
        return {"code": self.code, "message": self.message, "details": [], "additionalInfo": []}


@dataclass(eq=False)
class HttpError(Exception):
    """An error answer. ``inner`` is the InnerError chain (outermost first), as the service nests it."""

    status: int
    code: str
    message: str
    headers: dict = field(default_factory=dict)
    details: list[Detail] = field(default_factory=list)
    inner: tuple[str, ...] = ()
    message_format: str | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def body(self, location: str) -> dict:
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "details": [detail.body() for detail in self.details],
                "additionalInfo": self._additional_info(location),
            }
        }

    def _additional_info(self, location: str) -> list[dict]:
        info: list[dict] = [
            {"type": "ComponentName", "info": {"value": "managementfrontend"}},
            {"type": "Correlation", "info": {"value": {"operation": uuid.uuid4().hex, "request": uuid.uuid4().hex[:16]}}},
            {"type": "Environment", "info": {"value": location}},
            {"type": "Location", "info": {"value": location}},
            {"type": "Time", "info": {"value": datetime.now(UTC).isoformat()}},
        ]
        if self.inner:
            info.append({"type": "InnerError", "info": {"value": _inner_chain(self.inner)}})
        if self.message_format:
            info.append({"type": "MessageFormat", "info": {"value": self.message_format}})
        return info


def _inner_chain(codes: tuple[str, ...]) -> dict | None:
    if not codes:
        return None
    return {"code": codes[0], "innerError": _inner_chain(codes[1:])}


def not_found(message: str, detail_code: str | None = None) -> HttpError:
    """404 as the service words it: "The specified resource was not found." with the specific reason in details."""
    if detail_code is None:
        return HttpError(404, "UserError", message, inner=("NotFound",))
    return HttpError(404, "UserError", "The specified resource was not found.", details=[Detail(detail_code, message)])


def request_invalid(details: list[Detail]) -> HttpError:
    """400 for a body the service cannot bind (unknown members, missing fields)."""
    message = "Request is invalid and/or missing fields."
    return HttpError(400, "UserError", message, details=details, inner=("RequestInvalid",), message_format=message)


def bad_argument(message: str, *inner: str) -> HttpError:
    """400 for a well-formed request whose values the service refuses (unknown compute, missing asset, bad name)."""
    return HttpError(400, "UserError", message, inner=("BadArgument", *inner))
