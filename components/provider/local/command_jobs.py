"""Command jobs: one process, run once, in the job's own folder."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.provider.local.environments import resolve_environment
from components.provider.local.errors import InvalidDefinitionError
from components.provider.local.inputs import resolve_inputs
from components.provider.local.job import JobContext, JobResult, code_path
from components.provider.local.progress import warn
from components.provider.local.runs import RunSpec, execute
from components.provider.local.workspace import LocalWorkspace


def run_command_job(job: JobContext, workspace: LocalWorkspace) -> JobResult:
    definition = job.definition
    if not definition.get("command"):
        raise InvalidDefinitionError(f"{job.subject} has no command")
    warn_single_process(definition, job.subject)
    layout = workspace.layout
    spec = RunSpec(
        subject=job.subject,
        name=job.name,
        folder=job.folder,
        code=code_path(definition.get("code"), job.base_dir, job.subject),
        command=str(definition["command"]),
        inputs=resolve_inputs(layout, definition.get("inputs"), job.base_dir, job.subject),
        outputs=definition.get("outputs") or {},
        python=resolve_environment(layout, definition.get("environment"), job.base_dir, job.subject),
        compute=definition.get("compute"),
        experiment_name=job.experiment_name,
        experiment_id=job.experiment_id,
        deadline=job.deadline,
        timeout=(definition.get("limits") or {}).get("timeout"),
        environment_variables=definition.get("environment_variables") or {},
        tags=job.tags,
    )
    result = execute(spec, workspace)
    return JobResult(result.run_id, result.outputs)


def warn_single_process(definition: Mapping[str, Any], subject: str) -> None:
    """Distributed training needs nodes this machine does not have: say so instead of pretending."""
    instances = (definition.get("resources") or {}).get("instance_count") or 1
    distribution = (definition.get("distribution") or {}).get("type")
    if distribution or instances > 1:
        warn(subject, f"runs as one process here, not on {instances} node(s) with {distribution or 'no'} distribution")
