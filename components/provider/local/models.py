"""Models: a job's output registered in the workspace's MLflow model registry.

The output is copied into a folder of the version's own under `<root>/models/<name>/`, so the
version outlives the job's folder (`on_delete: delete`) and deleting one version never touches
another's files. A version is tagged with the job, output, type and model-file digest it came
from; registering exactly that again adopts the version (a re-run create after an interrupted
`pulumi up`) instead of adding a duplicate, while a replacement (another type or model file)
registers a new one. For a sweep, the job's recorded outputs are already its best trial's.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import RESOURCE_ALREADY_EXISTS, RESOURCE_DOES_NOT_EXIST, ErrorCode

from components.provider.backend import Outs, Props
from components.provider.local.errors import InvalidDefinitionError, NotFoundLocallyError
from components.provider.local.files import copy_into
from components.provider.local.progress import report
from components.provider.local.records import read_record
from components.provider.local.references import parse_asset_reference
from components.provider.local.workspace import LocalWorkspace
from components.provider.props import definition_digest
from components.provider.registry_uris import registry_model

JOB_TAG = "azureml.job_name"
OUTPUT_TAG = "azureml.output"
TYPE_TAG = "azureml.model_type"
DEFINITION_TAG = "azureml.model_definition"
# MLflow's stage for a version retired by hand (in its UI, say): never adopted, as Azure ML never adopts an archived one.
_ARCHIVED_STAGE = "Archived"


def register_model(workspace: LocalWorkspace, props: Props) -> Outs:
    """Register (or adopt, or with `version` update the description of) the model version."""
    client, name = workspace.registry, props["name"]
    description = props.get("description") or (props.get("definition") or {}).get("description")
    existing = _get(workspace, name, str(props["version"])) if props.get("version") else None
    existing = existing or _adoptable(workspace, props)
    if existing is not None:
        if description is not None and existing.description != description:
            client.update_model_version(name, existing.version, description=description)
        return _outs(existing)
    source = _copy_output(workspace, props)
    try:
        _ensure_registered(workspace, name)
        record = read_record(workspace.layout.job_record(props["job_name"])) or {}
        run_id = record.get("best_trial_run_id") or record.get("run_id")
        tags = {**_definition_tags(props), **_lineage(props)}
        version = client.create_model_version(name, str(source), run_id=run_id, tags=tags, description=description)
    except BaseException:
        shutil.rmtree(source, ignore_errors=True)  # no version holds the copy
        raise
    report(f"model {name}", f"registered version {version.version} from job {props['job_name']} output {props['output']}")
    return _outs(version)


def read_model(workspace: LocalWorkspace, outs: Props) -> Outs | None:
    version = _get(workspace, outs["name"], str(outs["version"]))
    return None if version is None else _outs(version)


def archive_model(workspace: LocalWorkspace, outs: Props) -> None:
    """Delete the version and its copied files; the registered model goes with its last version."""
    client, name = workspace.registry, outs["name"]
    version = _get(workspace, name, str(outs["version"]))
    if version is None:
        return
    client.delete_model_version(name, version.version)
    remaining = client.search_model_versions(f"name = '{name}'")
    # Versions registered before each had a folder of its own may share one: keep it while another uses it.
    source = Path(version.source)
    if all(Path(v.source) != source for v in remaining):
        shutil.rmtree(source, ignore_errors=True)
    if not remaining:
        client.delete_registered_model(name)


def _copy_output(workspace: LocalWorkspace, props: Props) -> Path:
    layout, job, output = workspace.layout, props["job_name"], props["output"]
    subject = f"model {props['name']}"
    record = read_record(layout.job_record(job))
    if record is None or record.get("status") != "Completed":
        raise NotFoundLocallyError(f"{subject}: job {job} has not completed in this workspace")
    if output not in record.get("outputs", {}):
        raise NotFoundLocallyError(
            f"{subject}: job {job} has no output {output!r} (outputs: {', '.join(record.get('outputs', {})) or 'none'})"
        )
    source = layout.resolve(record["outputs"][output])
    if props.get("type", "mlflow_model") == "mlflow_model" and not (source / "MLmodel").is_file():
        raise InvalidDefinitionError(f"{subject}: output {output!r} of job {job} is not an MLflow model (no MLmodel file in {source})")
    # A folder per registration, never reused: the version that replaces this one may copy the same output.
    destination = layout.model_dir(props["name"], f"{job}-{output}-{uuid.uuid4().hex[:12]}")
    copy_into(source, destination)
    return destination


def _lineage(props: Props) -> dict[str, str]:
    """What a version came from: the same again is the same version."""
    return {
        JOB_TAG: props["job_name"],
        OUTPUT_TAG: props["output"],
        TYPE_TAG: props.get("type") or "mlflow_model",
        DEFINITION_TAG: definition_digest(props.get("definition")),
    }


def _adoptable(workspace: LocalWorkspace, props: Props) -> ModelVersion | None:
    wanted = _lineage(props)
    versions = workspace.registry.search_model_versions(f"name = '{props['name']}'")
    return next(
        (v for v in versions if v.current_stage != _ARCHIVED_STAGE and all(v.tags.get(k) == value for k, value in wanted.items())),
        None,
    )


def _get(workspace: LocalWorkspace, name: str, version: str) -> ModelVersion | None:
    try:
        return workspace.registry.get_model_version(name, version)
    except MlflowException as err:
        if err.error_code == ErrorCode.Name(RESOURCE_DOES_NOT_EXIST):
            return None
        raise


def _ensure_registered(workspace: LocalWorkspace, name: str) -> None:
    try:
        workspace.registry.create_registered_model(name)
    except MlflowException as err:
        if err.error_code != ErrorCode.Name(RESOURCE_ALREADY_EXISTS):
            raise


def _definition_tags(props: Props) -> dict[str, str]:
    definition: Mapping[str, Any] = props.get("definition") or {}
    return {str(k): str(v) for k, v in (definition.get("tags") or {}).items()}


def _outs(version: ModelVersion) -> Outs:
    return {"version": str(version.version), "uri": f"models:/{version.name}/{version.version}"}


def model_files(workspace: LocalWorkspace, reference: str, subject: str) -> tuple[str, str, Path]:
    """The name, version and files of the version an `azureml:<name>:<version>` (or `@latest`) reference names, or a
    registry's `azureml://registries/<registry>/models/<name>/versions/<version>`."""
    shared = registry_model(reference)
    if shared is not None:
        from components.provider.local.registries import registry_model_folder

        return shared.name, shared.version, registry_model_folder(workspace, shared, subject)
    wanted = parse_asset_reference(reference, subject)
    if wanted.version is not None:
        version = _get(workspace, wanted.name, wanted.version)
    else:
        versions = workspace.registry.search_model_versions(f"name = '{wanted.name}'")
        version = max((v for v in versions if v.current_stage != _ARCHIVED_STAGE), key=lambda v: int(v.version), default=None)
    if version is None:
        raise NotFoundLocallyError(f"{subject}: model {reference} is not registered in this workspace")
    return wanted.name, str(version.version), Path(version.source)
