"""What a job YAML asks for that the local target cannot honour, named at preview.

The local target runs a job as processes on this machine (see the README's "The local
target"). Fields that only Azure ML's service or nodes can honour are not silently dropped:
each is named in a warning when the program runs, so `pulumi preview` shows it before
anything runs. What the local target refuses outright (other job types, `bayesian`
sampling, remote code) fails the preview instead (specs.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

# Top-level fields of a command or sweep job (or a sweep's `trial`) and why they do nothing here.
_IGNORED = {
    "identity": "jobs run as you on this machine, with no Azure identity",
    "services": "interactive services (SSH, Jupyter, TensorBoard, VS Code) need Azure ML's nodes",
    "queue_settings": "job tiers and priorities are Azure ML's scheduling",
    "notification_setting": "the service sends the notification e-mails",
    "properties": "kept on Azure ML's job only; locally use tags (they become MLflow run tags)",
}
# Fields of `resources` a single local process ignores (`instance_count` is reported on its own).
_IGNORED_RESOURCES = {
    "instance_type": "the job runs on this machine's CPU and memory",
    "shm_size": "the job is a process, not a container",
    "docker_args": "the job is a process, not a container",
    "locations": "the job runs on this machine",
    "max_instance_count": "the job runs as one process",
}


def unhonoured_locally(definition: Mapping[str, Any]) -> Iterator[str]:
    """`<field>: <why>` for every field of the job the local target cannot honour."""
    yield from _fields(definition, "")
    trial = definition.get("trial")
    if isinstance(trial, Mapping):
        yield from _fields(trial, "trial.")
    if definition.get("type") == "sweep" and definition.get("early_termination"):
        yield "early_termination: needs Azure ML's service; every trial runs to its end"


def _fields(job: Mapping[str, Any], prefix: str) -> Iterator[str]:
    for name, why in _IGNORED.items():
        if job.get(name):
            yield f"{prefix}{name}: {why}"
    resources = job.get("resources") or {}
    for name, why in _IGNORED_RESOURCES.items():
        if resources.get(name):
            yield f"{prefix}resources.{name}: {why}"
    instances = resources.get("instance_count") or 1
    distribution = (job.get("distribution") or {}).get("type")
    if instances > 1 or distribution:
        shape = f"{instances} node(s)" + (f" with {distribution} distribution" if distribution else "")
        yield f"{prefix}{'distribution' if distribution else 'resources.instance_count'}: runs as one process, not on {shape}"
    environment = job.get("environment")
    if isinstance(environment, Mapping) and (environment.get("image") or environment.get("build")) and not environment.get("conda_file"):
        yield f"{prefix}environment: no image or Docker build runs here; without a conda file the job runs in the stack's own Python"
    elif isinstance(environment, str) and _is_curated(environment):
        yield f"{prefix}environment: {environment} is curated: the job runs in the stack's own Python"


def _is_curated(reference: str) -> bool:
    """A registry environment, or a workspace's curated `AzureML-*` one (as the local backend tells them apart)."""
    return reference.startswith("azureml://registries/") or reference.lower().startswith("azureml:azureml-")
