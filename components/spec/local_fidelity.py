"""What a job YAML asks for that the local target cannot honour, named at preview.

The local target runs a job as processes on this machine (see the README's "The local
target"). Fields that only Azure ML's service or nodes can honour are not silently dropped:
each is named in a warning when the program runs, so `pulumi preview` shows it before
anything runs. What the local target refuses outright (other job types, `bayesian`
sampling, remote code) fails the preview instead (specs.py).

A pipeline's steps are named too, each by its path (`jobs.train.resources.instance_type`),
with what their component (a local component YAML or an inline one, as pipeline_specs.py
reads them) brings under `jobs.<step>.component.` (a sweep step's: `jobs.<step>.trial.`).
The field names come from azure-ai-ml's schemas (`_schema/job/`, `_schema/pipeline/`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from components.spec.pipeline_specs import PipelineStep, component_field

# Top-level fields of a command or sweep job (or a sweep's `trial`) and why they do nothing here.
_IGNORED = {
    "identity": "jobs run as you on this machine, with no Azure identity",
    "services": "interactive services (SSH, Jupyter, TensorBoard, VS Code) need Azure ML's nodes",
    "queue_settings": "job tiers and priorities are Azure ML's scheduling",
    "notification_setting": "the service sends the notification e-mails",
    "properties": "kept on Azure ML's job only; locally use tags (they become MLflow run tags)",
}
# A pipeline step's own fields the local runner drops (components/provider/local/pipeline_jobs.py
# builds a step's job from its component's run fields, its overrides, inputs, outputs and compute
# only): the job-level ones, and the two a top-level job honours but a step does not.
_IGNORED_ON_STEPS = {
    **_IGNORED,
    "properties": "kept on Azure ML's step only",
    "tags": "a step's own tags are not set on its MLflow run; the pipeline's tags are",
    "display_name": "a step's MLflow run is named by its key in `jobs:`",
}
# Fields of `resources` a single local process ignores (`instance_count` is reported on its own).
_IGNORED_RESOURCES = {
    "instance_type": "the job runs on this machine's CPU and memory",
    "shm_size": "the job is a process, not a container",
    "docker_args": "the job is a process, not a container",
    "locations": "the job runs on this machine",
    "max_instance_count": "the job runs as one process",
}
# A pipeline's `settings` (azure-ai-ml's PipelineJobSettingsSchema) the local runner never reads;
# `default_compute` and `force_rerun` it honours.
_IGNORED_SETTINGS = {
    "default_datastore": "step outputs are folders of the job on this machine",
    "on_init": "runs as an ordinary step here, not before the others",
    "on_finalize": "runs as an ordinary step here, not after the others",
}
_EARLY_TERMINATION = "needs Azure ML's service; every trial runs to its end"

Lookup = Callable[[str], tuple[Any, str]]
"""A run field's value as the local target takes it, and the path prefix it is written under."""


def unhonoured_locally(definition: Mapping[str, Any], steps: Sequence[PipelineStep] = ()) -> Iterator[str]:
    """`<field>: <why>` for every field of the job the local target cannot honour.

    `steps` are a pipeline job's steps (nested pipelines' included), as the spec loader read them."""
    yield from _fields(definition, "")
    trial = definition.get("trial")
    if isinstance(trial, Mapping):
        yield from _fields(trial, "trial.")
    if definition.get("type") == "sweep" and definition.get("early_termination"):
        yield f"early_termination: {_EARLY_TERMINATION}"
    yield from _settings(definition.get("settings"))
    for step in steps:
        yield from _step(step)


def _fields(job: Mapping[str, Any], prefix: str) -> Iterator[str]:
    yield from _named(job, _IGNORED, prefix)
    yield from _run_fields(lambda name: (job.get(name), prefix))


def _named(fields: Mapping[str, Any], ignored: Mapping[str, str], prefix: str) -> Iterator[str]:
    for name, why in ignored.items():
        if fields.get(name):
            yield f"{prefix}{name}: {why}"


def _run_fields(lookup: Lookup) -> Iterator[str]:
    """What the job runs on: nodes, processes, environment."""
    resources, at = lookup("resources")
    resources = resources if isinstance(resources, Mapping) else {}
    for name, why in _IGNORED_RESOURCES.items():
        if resources.get(name):
            yield f"{at}resources.{name}: {why}"
    instances = resources.get("instance_count") or 1
    instances = instances if isinstance(instances, int) else 1  # a `${{parent.inputs...}}` binding: not known here
    distribution, distribution_at = lookup("distribution")
    kind = distribution.get("type") if isinstance(distribution, Mapping) else None
    if instances > 1 or kind:
        shape = f"{instances} node(s)" + (f" with {kind} distribution" if kind else "")
        field = f"{distribution_at}distribution" if kind else f"{at}resources.instance_count"
        yield f"{field}: runs as one process, not on {shape}"
    environment, at = lookup("environment")
    if isinstance(environment, Mapping) and (environment.get("image") or environment.get("build")) and not environment.get("conda_file"):
        yield f"{at}environment: no image or Docker build runs here; without a conda file the job runs in the stack's own Python"
    elif isinstance(environment, str) and _is_curated(environment):
        yield f"{at}environment: {environment} is curated: the job runs in the stack's own Python"


def _settings(settings: Any) -> Iterator[str]:
    if not isinstance(settings, Mapping):
        return
    yield from _named(settings, _IGNORED_SETTINGS, "settings.")
    # Azure ML's default (false) stops the pipeline and cancels running steps when one fails; the
    # local runner lets the independent steps run to their end, as `true` asks. See
    # https://learn.microsoft.com/azure/machine-learning/reference-yaml-job-pipeline#attributes-of-the-settings-key
    if settings.get("continue_on_step_failure") is False:
        yield "settings.continue_on_step_failure: false: when a step fails, the steps that don't need its outputs still run to their end"


def _step(step: PipelineStep) -> Iterator[str]:
    """One step's own fields, and the run fields it takes from itself or its component."""
    prefix = f"{step.where}."
    yield from _named(step.body, _IGNORED_ON_STEPS, prefix)
    if step.type == "sweep" and step.body.get("early_termination"):
        yield f"{prefix}early_termination: {_EARLY_TERMINATION}"
    if step.type != "pipeline":  # a nested pipeline runs nothing itself: its steps follow as steps of their own
        yield from _run_fields(_step_lookup(step, prefix))


def _step_lookup(step: PipelineStep, prefix: str) -> Lookup:
    """A run field as the local runner takes it: the step's own override, else its component's.

    A registered component (`azureml:<name>:<version>`) is not read at preview, so only the
    step's own overrides are seen for it."""
    layers = [(step.body, prefix)]
    if step.component is not None:
        layers.append((step.component, f"{prefix}{component_field(step.body)}."))

    def lookup(name: str) -> tuple[Any, str]:
        for fields, at in layers:
            if name in fields:
                return fields[name], at
        return None, prefix

    return lookup


# Fields of a managedOnlineDeployment (azure-ai-ml's `_schema/_deployment/online/`) a local scoring server does
# not honour. `instance_type` is not among them: the schema requires it, so a warning could never be acted on.
_IGNORED_ON_DEPLOYMENTS = {
    "scale_settings": "one scoring process serves the deployment; nothing scales",
    "liveness_probe": "the local server is checked once, when it starts",
    "readiness_probe": "the local server is checked once, when it starts",
    "app_insights_enabled": "no Application Insights here; the server's log is its folder's server.log",
    "data_collector": "no data collection here",
    "egress_public_network_access": "the scoring server is a process on this machine, with its network",
}


# `request_timeout_ms` is honoured: the local server's scoring timeout (components/provider/local/serving.py).
_IGNORED_REQUEST_SETTINGS = {
    "max_concurrent_requests_per_instance": "no cap on requests at once (azmlinfsrv's workers: WORKER_COUNT in environment_variables)",
    "max_queue_wait_ms": "no request queue here",
}


def deployment_unhonoured_locally(definition: Mapping[str, Any]) -> Iterator[str]:
    """`<field>: <why>` for every field of an online deployment a local scoring server cannot honour."""
    yield from _named(definition, _IGNORED_ON_DEPLOYMENTS, "")
    request_settings = definition.get("request_settings")
    if isinstance(request_settings, Mapping):
        yield from _named(request_settings, _IGNORED_REQUEST_SETTINGS, "request_settings.")
    instances = definition.get("instance_count") or 1
    if isinstance(instances, int) and instances > 1:
        yield f"instance_count: one scoring process serves the deployment, not {instances} instances"


def _is_curated(reference: str) -> bool:
    """A registry environment, or a workspace's curated `AzureML-*` one (as the local backend tells them apart)."""
    return reference.startswith("azureml://registries/") or reference.lower().startswith("azureml:azureml-")
