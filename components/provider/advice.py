"""What a user can do about a job that will not run, in the stack file's own keys.

Both backends word it the same way. A local workspace knows its stack, so the advice names
the stack file; an Azure workspace does not, so it names the file's pattern.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def stack_file(workspace: Any) -> str:
    stack = workspace.get("stack") if isinstance(workspace, Mapping) else None
    return f"stacks/Pulumi.{stack}.yaml" if stack else "stacks/Pulumi.<stack>.yaml"


def job_entry(props: Mapping[str, Any]) -> str:
    """Where the job is configured: `this job (train) in stacks/Pulumi.dev.yaml`."""
    return f"this job ({props.get('key')}) in {stack_file(props.get('workspace'))}"


def next_rerun(props: Mapping[str, Any]) -> int:
    return int(props.get("rerun") or 0) + 1


def rerun_advice(props: Mapping[str, Any]) -> str:
    """How to run a failed or cancelled job again as it is: its name, and so its fate, is fixed by what it runs."""
    return f"To run it again as it is, set rerun: {next_rerun(props)} on {job_entry(props)}."


def timeout_minutes(props: Mapping[str, Any]) -> float:
    value = float(props.get("timeout_minutes") or 120)
    return int(value) if value.is_integer() else value
