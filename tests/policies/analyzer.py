"""The policy pack over a stack's resources as the engine runs it, without the engine.

The unit tests run the program under Pulumi's mocks (tests/unit/harness.py), which record every resource's
inputs as the engine would receive them. Here each resource goes to each policy of the pack as the engine's
analyzer does: the inputs behind pulumi_policy's unknown-checking proxy, the policy's config reconciled as
the engine reconciles a `--policy-pack-config` file (pkg/resource/analyzer/config.go: the schema's defaults,
then the file's values, validated against the schema; the enforcement level from the file, else "all", else
the policy's own, else the pack's), and every violation kept with its level.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
from pulumi_policy import EnforcementLevel, PolicyCustomTimeouts, PolicyResourceOptions, ResourceValidationArgs
from pulumi_policy.proxy import unknown_checking_proxy

from policies.azureml_guardrails import POLICIES
from tests.unit.harness import Registered, Run

REPO = Path(__file__).resolve().parents[2]
PACK_LEVEL = EnforcementLevel.MANDATORY  # policies/__main__.py


@dataclass(frozen=True)
class Violation:
    policy: str
    level: EnforcementLevel
    resource: str  # the resource's Pulumi name
    message: str  # what the policy reported (the engine prints it under the policy's description)


def stack_policy_config(stack: str) -> dict[str, Any]:
    """The shipped policies/config/<stack>.json."""
    return json.loads((REPO / "policies" / "config" / f"{stack}.json").read_text())


def reconcile(config: dict[str, Any]) -> dict[str, tuple[EnforcementLevel, dict[str, Any]]]:
    """Each policy's enforcement level and properties, as the engine hands them to the pack."""
    every = config.get("all")
    reconciled = {}
    for policy in POLICIES:
        given = config.get(policy.name, {})
        given = {"enforcementLevel": given} if isinstance(given, str) else dict(given)
        level = given.pop("enforcementLevel", None) or every
        schema = policy.config_schema.properties if policy.config_schema else {}
        properties = {key: spec["default"] for key, spec in schema.items() if "default" in spec} | given
        jsonschema.validate(properties, {"type": "object", "properties": schema})
        reconciled[policy.name] = (EnforcementLevel(level) if level else policy.enforcement_level or PACK_LEVEL, properties)
    return reconciled


def resource_args(resource: Registered, config: dict[str, Any]) -> ResourceValidationArgs:
    options = PolicyResourceOptions(resource.protect, list(resource.ignore_changes), None, [], PolicyCustomTimeouts(0, 0, 0), [], None)
    props = unknown_checking_proxy(resource.inputs)
    return ResourceValidationArgs(resource.type, props, resource.urn, resource.name, options, None, config)


def analyze(resources: list[Registered], config: dict[str, Any]) -> list[Violation]:
    """Every violation of every policy the config leaves enabled, over `resources`."""
    violations: list[Violation] = []
    for name, (level, properties) in reconcile(config).items():
        if level == EnforcementLevel.DISABLED:
            continue
        policy = next(p for p in POLICIES if p.name == name)
        for resource in resources:
            report = _recorder(violations, name, level, resource.name)
            policy.validate(resource_args(resource, properties), report)
    return violations


def analyze_run(run: Run, config: dict[str, Any]) -> list[Violation]:
    return analyze(run.resources, config)


def refused(violations: list[Violation]) -> list[str]:
    """What fails a preview: the mandatory violations' messages."""
    return [v.message for v in violations if v.level == EnforcementLevel.MANDATORY]


def warned(violations: list[Violation]) -> list[str]:
    return [v.message for v in violations if v.level == EnforcementLevel.ADVISORY]


def _recorder(violations: list[Violation], policy: str, level: EnforcementLevel, resource: str) -> Any:
    def report_violation(message: str, _urn: str | None = None) -> None:
        violations.append(Violation(policy, level, resource, message))

    return report_violation
