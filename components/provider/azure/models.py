"""Models registered from a job's output; for a sweep, from its best trial's.

Each version records the job, output and model-file digest it came from, in its (immutable)
properties and its tags. A re-run create after an interrupted `pulumi up` adopts the active
version that came from exactly that, with the same type, instead of registering another; a
replacement (another type or model file) never matches the version it replaces, so it
registers a new one before the old one is archived.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from components.provider.azure.errors import ModelSourceError, ModelVersionError, or_none
from components.provider.azure.jobs import best_trial
from components.provider.azure.loading import load_entity
from components.provider.azure.polling import status_of
from components.provider.azure.report import report
from components.provider.azure.versions import active_version, active_versions, archive_version, first
from components.provider.backend import Outs, Props
from components.provider.props import definition_digest

if TYPE_CHECKING:
    from azure.ai.ml import MLClient

JOB_KEY = "azureml-training.job"
OUTPUT_KEY = "azureml-training.output"
RUN_KEY = "azureml-training.run"
DEFINITION_KEY = "azureml-training.definition"


def register_model(ml: MLClient, props: Props) -> Outs:
    """Register (or adopt, or update the description of) the version for `props`' job and output."""
    from azure.ai.ml import load_model

    name, job_name, output = props["name"], props["job_name"], props["output"]
    existing = _registered(ml, props)
    if existing is not None:
        return _outputs(_sync_metadata(ml, existing, props))
    _check_version_is_free(ml, props)
    run, run_output = source_output(ml, job_name, output)
    model = load_entity(load_model, _body(props, run, run_output), None)
    created = ml.models.create_or_update(model)
    report(f"model {name}:{created.version}: registered from azureml://jobs/{run}/outputs/{run_output}")
    return _outputs(created)


def read_model(ml: MLClient, outs: Props) -> Outs | None:
    found = active_version(ml.models, outs["name"], outs["version"])
    return None if found is None else _outputs(found)


def archive_model(ml: MLClient, outs: Props) -> None:
    archive_version(ml.models, outs["name"], outs["version"])


def source_output(ml: MLClient, job_name: str, output: str) -> tuple[str, str]:
    """The run and output registered: `output` of the job (a sweep's best trial), or for a pipeline's
    `<step>.<output>`, that output of the step's child job (named by its step in the run history)."""
    run = source_run(ml, job_name)
    step, dot, step_output = output.partition(".")
    if not dot:
        return run, output
    children = {child.display_name: child for child in ml.jobs.list(parent_job_name=job_name)}
    if step not in children:
        raise ModelSourceError(
            f"job {job_name} has no step {step!r} for output {output!r} (steps: {', '.join(sorted(children)) or 'none'})"
        )
    return children[step].name, step_output


def source_run(ml: MLClient, job_name: str) -> str:
    """The run whose outputs are registered: the job itself, or a sweep's best trial."""
    job = or_none(lambda: ml.jobs.get(job_name))
    if job is None:
        raise ModelSourceError(f"job {job_name} does not exist in the workspace, so there is no output to register")
    if status_of(job) != "Completed":
        raise ModelSourceError(
            f"job {job_name} is {status_of(job)}: a model is registered from a completed job's output. "
            "Let the job wait (wait: true) or run `pulumi up` again once it has completed."
        )
    if job.type != "sweep":
        return job_name
    best = best_trial(job)
    if not best:
        raise ModelSourceError(f"sweep job {job_name} completed without a best trial (no trial succeeded?)")
    return best


def _registered(ml: MLClient, props: Props) -> Any | None:
    if props.get("version"):
        return or_none(lambda: ml.models.get(props["name"], version=str(props["version"])))
    # Active versions only: an archived one belongs to a replaced (or destroyed) resource, never to this one.
    return first(active_versions(ml.models, props["name"]), lambda model: _came_from(model, props))


def _check_version_is_free(ml: MLClient, props: Props) -> None:
    """A version the model file pins cannot be registered twice (archiving one does not free its number)."""
    pinned = (props.get("definition") or {}).get("version")
    taken = None if pinned is None else or_none(lambda: ml.models.get(props["name"], version=str(pinned)))
    if taken is not None:
        raise ModelVersionError(
            f"model {props['name']}:{pinned} already exists, registered from another job output, type or model file, "
            "and a model version never changes: give the model file another version, or leave version out so each "
            "registration takes the next one."
        )


def _came_from(model: Any, props: Props) -> bool:
    recorded = {**(model.tags or {}), **(model.properties or {})}
    return model.type == _model_type(props) and all(recorded.get(key) == value for key, value in _lineage(props).items())


def _lineage(props: Props) -> dict[str, str]:
    """What a version came from: the same again is the same version."""
    return {JOB_KEY: props["job_name"], OUTPUT_KEY: props["output"], DEFINITION_KEY: definition_digest(props.get("definition"))}


def _model_type(props: Props) -> str:
    return props.get("type") or (props.get("definition") or {}).get("type") or "custom_model"


def _body(props: Props, run: str, output: str) -> dict[str, Any]:
    definition = dict(props.get("definition") or {})
    lineage = {**_lineage(props), RUN_KEY: run}
    body = {**definition, "name": props["name"], "path": f"azureml://jobs/{run}/outputs/{output}"}
    body |= {"type": _model_type(props)}
    body |= {"tags": {**(definition.get("tags") or {}), **lineage}, "properties": {**(definition.get("properties") or {}), **lineage}}
    description = props.get("description") or definition.get("description")
    return body | ({"description": description} if description else {})


def _sync_metadata(ml: MLClient, model: Any, props: Props) -> Any:
    """Description and tags are the parts of a version that may change; bring them in line."""
    definition = props.get("definition") or {}
    description = props.get("description") or definition.get("description")
    tags = {**(model.tags or {}), **(definition.get("tags") or {})}
    if (description is None or description == model.description) and tags == (model.tags or {}):
        report(f"model {model.name}:{model.version}: already registered from job {props['job_name']}; adopting it")
        return model
    model.description = description if description is not None else model.description
    model.tags = tags
    report(f"model {model.name}:{model.version}: updating description and tags")
    return ml.models.create_or_update(model)


def _outputs(model: Any) -> Outs:
    return {"version": str(model.version), "uri": f"azureml:{model.name}:{model.version}"}
