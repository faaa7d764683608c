"""Registries on this machine: `<local.root>/registries/<name>/`, beside the stacks' folders, each an MLflow model
registry of its own (its `mlflow.db` and the versions' files under `models/<name>/`).

Sharing a workspace's model version copies its files there by content: a version whose files are the same as one the
registry already holds is that version (two stacks, or a re-run after an interrupted `pulumi up`, share one version),
and new content is the next version. One lock file per registry orders the stacks that share at once. A stack that
takes a model `from` another reads the registry version in place; an endpoint serves it from there.

A shared version outlives the stack that shared it, as on Azure ML (registries keep what was shared): other stacks
serve it. The registry's folder is the user's to remove (see the README's dev → prod).
"""

from __future__ import annotations

from pathlib import Path

from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import RESOURCE_ALREADY_EXISTS, RESOURCE_DOES_NOT_EXIST, ErrorCode

from components.provider.backend import Outs, Props
from components.provider.local.errors import NotFoundLocallyError
from components.provider.local.files import content_digest, copy_into
from components.provider.local.process import exclusive
from components.provider.local.progress import report
from components.provider.local.workspace import LocalWorkspace
from components.provider.registry_uris import RegistryModelUri

CONTENT_TAG = "azureml.content_digest"
SOURCE_TAG = "azureml.shared_from"
_LOCK = "registry.lock"


def share_model(workspace: LocalWorkspace, props: Props) -> Outs:
    """Put the workspace's model version into the registry, or find the registry version with the same files."""
    name, version, registry = props["name"], str(props["version"]), props["registry"]
    subject = f"model {name}:{version}"
    files = _workspace_version_files(workspace, name, version, subject)
    content = content_digest(files)
    layout = workspace.layout.registry(registry)
    with exclusive(layout.path / _LOCK, lambda: report(subject, f"waiting for another stack sharing to registry {registry}")):
        client = workspace.shared_registry(registry)
        found = _with_content(client, name, content)
        if found is not None:
            report(subject, f"registry {registry} already holds these files as version {found.version}")
            return _shared(registry, found)
        destination = layout.model_dir(name, content[:16])
        copy_into(files, destination)
        _ensure_registered(client, name)
        tags = {CONTENT_TAG: content, SOURCE_TAG: f"{workspace.stack}/{name}:{version}"}
        shared = client.create_model_version(name, str(destination), tags=tags)
    report(subject, f"shared to registry {registry} as version {shared.version}")
    return _shared(registry, shared)


def read_shared_model(workspace: LocalWorkspace, outs: Props) -> Outs | None:
    found = _version(workspace, outs["registry"], outs["name"], str(outs["registry_version"]))
    return None if found is None else _shared(outs["registry"], found)


def keep_shared_model(workspace: LocalWorkspace, outs: Props) -> None:
    """A shared version stays in the registry: other stacks may serve it."""
    report(f"model {outs['name']}", f"version {outs['registry_version']} stays in registry {outs['registry']} (other stacks may serve it)")


def resolve_registry_model(workspace: LocalWorkspace, props: Props) -> Outs:
    """The registry version a stack takes `from` another: it must be there."""
    registry, name, version = props["registry"], props["name"], str(props["version"])
    layout = workspace.layout.registry(registry)
    if _version(workspace, registry, name, version) is None:
        raise NotFoundLocallyError(
            f"model {name}: version {version} is not in registry {registry} ({layout.root}); "
            "run `pulumi up` of the stack that shares it first"
        )
    return {"uri": RegistryModelUri(registry, name, version).uri}


def read_registry_model(workspace: LocalWorkspace, outs: Props) -> Outs | None:
    found = _version(workspace, outs["registry"], outs["name"], str(outs["version"]))
    return None if found is None else {"uri": RegistryModelUri(outs["registry"], outs["name"], str(outs["version"])).uri}


def registry_model_folder(workspace: LocalWorkspace, model: RegistryModelUri, subject: str) -> Path:
    """The files of a registry's model version, for an endpoint to serve."""
    layout = workspace.layout.registry(model.registry)
    found = _version(workspace, model.registry, model.name, model.version)
    if found is None:
        raise NotFoundLocallyError(f"{subject}: model {model.uri} is not in registry {model.registry} ({layout.root})")
    return Path(found.source)


def _workspace_version_files(workspace: LocalWorkspace, name: str, version: str, subject: str) -> Path:
    try:
        found = workspace.registry.get_model_version(name, version)
    except MlflowException as err:
        if err.error_code == ErrorCode.Name(RESOURCE_DOES_NOT_EXIST):
            raise NotFoundLocallyError(f"{subject}: not registered in this workspace, so there is nothing to share") from None
        raise
    return Path(found.source)


def _with_content(client: MlflowClient, name: str, content: str) -> ModelVersion | None:
    versions = client.search_model_versions(f"name = '{name}'")
    return next((v for v in versions if v.tags.get(CONTENT_TAG) == content), None)


def _version(workspace: LocalWorkspace, registry: str, name: str, version: str) -> ModelVersion | None:
    if not workspace.layout.registry(registry).db.is_file():
        return None  # never shared to: nothing to open
    try:
        return workspace.shared_registry(registry).get_model_version(name, version)
    except MlflowException as err:
        if err.error_code == ErrorCode.Name(RESOURCE_DOES_NOT_EXIST):
            return None
        raise


def _ensure_registered(client: MlflowClient, name: str) -> None:
    try:
        client.create_registered_model(name)
    except MlflowException as err:
        if err.error_code != ErrorCode.Name(RESOURCE_ALREADY_EXISTS):
            raise


def _shared(registry: str, version: ModelVersion) -> Outs:
    return {"registry_version": str(version.version), "uri": RegistryModelUri(registry, version.name, str(version.version)).uri}
