"""One guardrail: a check over one resource's inputs, configured per stack, reported in one line per finding.

A check is a function of the resource (ResourceValidationArgs) and the policy's configuration (the
stack's policy config file over the schema's defaults, as the engine reconciles them) that yields one
message per thing wrong. Production guardrails apply only where the config says `"production": true`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, PolicyConfigSchema, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

Check = Callable[[ResourceValidationArgs, Mapping[str, Any]], Iterable[str]]

PRODUCTION: dict[str, dict[str, Any]] = {
    "production": {
        "type": "boolean",
        "default": False,
        "description": "This stack is production: the guardrail applies.",
    }
}


def guardrail(
    name: str,
    description: str,
    check: Check,
    properties: dict[str, dict[str, Any]],
    *,
    production: bool = False,
    enforcement_level: EnforcementLevel | None = None,
) -> ResourceValidationPolicy:
    """A policy running `check` on every resource; with `production`, only in stacks marked production."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        config = args.get_config()
        if production and not config.get("production"):
            return
        for message in check(args, config):
            report_violation(message, None)

    schema = PolicyConfigSchema(properties={**(PRODUCTION if production else {}), **properties})
    return ResourceValidationPolicy(
        name=name, description=description, validate=validate, config_schema=schema, enforcement_level=enforcement_level
    )


def strings(description: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}, "description": description}


def whole_number(description: str, minimum: int = 0) -> dict[str, Any]:
    return {"type": "integer", "minimum": minimum, "description": description}


def one_of(allowed: Iterable[str]) -> str:
    return ", ".join(allowed) or "none"
