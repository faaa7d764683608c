"""A local registry: `<local.root>/registries/<name>/`, beside the stacks' folders, an MLflow registry of its own.

Sharing copies a workspace's model version there by content (the same files are the same version, whichever stack
shares them); a stack that takes the version reads it in place, and its endpoint serves it from there.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient

from components.provider.local.backend import LocalBackend
from components.provider.local.errors import NotFoundLocallyError
from components.provider.local.models import model_files
from components.provider.local.registries import CONTENT_TAG
from tests.provider.local.builders import NewBackend, workspace_props


def register(workspace: dict[str, Any], name: str, weights: str) -> str:
    """A model version in the workspace's own registry, with files of its own (as registering a job output leaves it)."""
    folder = Path(workspace["root"]) / "models" / name / weights
    folder.mkdir(parents=True)
    (folder / "MLmodel").write_text("flavors: {}\n")
    (folder / "model.pkl").write_text(weights)
    uri = f"sqlite:///{workspace['root']}/mlflow.db"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    if not client.search_registered_models(f"name = '{name}'"):
        client.create_registered_model(name)
    return str(client.create_model_version(name, str(folder)).version)


def share(backend: LocalBackend, workspace: dict[str, Any], name: str, version: str) -> dict[str, Any]:
    props = {"workspace": workspace, "registry": "shared", "name": name, "version": version}
    return {**props, **backend.share_model(props)}


@pytest.fixture
def stacks(tmp_path: Path, new_backend: NewBackend, pristine_db: Path) -> tuple[dict[str, Any], LocalBackend, dict[str, Any], LocalBackend]:
    """Two stacks under one local root: lab (shares) and serve (takes); the registry's database made as the first
    share makes it, from the pristine copy (MLflow's schema migrations take seconds)."""
    lab, serve = workspace_props(tmp_path / "root" / "lab"), workspace_props(tmp_path / "root" / "serve")
    (tmp_path / "root" / "registries" / "shared").mkdir(parents=True)
    shutil.copy(pristine_db, tmp_path / "root" / "registries" / "shared" / "mlflow.db")
    return lab, new_backend(lab), serve, new_backend(serve)


def test_sharing_copies_the_version_into_the_registry_beside_the_stacks(stacks: tuple, tmp_path: Path) -> None:
    lab, lab_backend, _, _ = stacks
    shared = share(lab_backend, lab, "clf", register(lab, "clf", "weights-a"))
    assert (shared["registry_version"], shared["uri"]) == ("1", "azureml://registries/shared/models/clf/versions/1")
    registry = tmp_path / "root" / "registries" / "shared"
    uri = f"sqlite:///{registry}/mlflow.db"
    version = MlflowClient(tracking_uri=uri, registry_uri=uri).get_model_version("clf", "1")
    assert Path(version.source).is_relative_to(registry / "models" / "clf")
    assert (Path(version.source) / "model.pkl").read_text() == "weights-a"
    assert version.tags[CONTENT_TAG]


def test_the_same_content_is_the_same_version_not_a_duplicate(stacks: tuple, tmp_path: Path) -> None:
    lab, lab_backend, serve, serve_backend = stacks
    first = share(lab_backend, lab, "clf", register(lab, "clf", "weights-a"))
    # Registered again (another version number in the workspace) and by another stack: same files, same registry version.
    again = share(lab_backend, lab, "clf", register_copy(lab))
    elsewhere = share(serve_backend, serve, "clf", register(serve, "clf", "weights-a"))
    assert first["registry_version"] == again["registry_version"] == elsewhere["registry_version"] == "1"
    assert len(list((tmp_path / "root" / "registries" / "shared" / "models" / "clf").iterdir())) == 1


def register_copy(workspace: dict[str, Any]) -> str:
    """Version 2 of `clf` in the workspace, holding the same files as version 1."""
    folder = Path(workspace["root"]) / "models" / "clf" / "copy"
    folder.mkdir(parents=True)
    (folder / "MLmodel").write_text("flavors: {}\n")
    (folder / "model.pkl").write_text("weights-a")
    uri = f"sqlite:///{workspace['root']}/mlflow.db"
    return str(MlflowClient(tracking_uri=uri, registry_uri=uri).create_model_version("clf", str(folder)).version)


def test_new_content_is_the_next_registry_version(stacks: tuple) -> None:
    lab, lab_backend, _, _ = stacks
    share(lab_backend, lab, "clf", register(lab, "clf", "weights-a"))
    retrained = share(lab_backend, lab, "clf", register(lab, "clf", "weights-b"))
    assert retrained["registry_version"] == "2"
    assert lab_backend.read_shared_model(retrained) == {"registry_version": "2", "uri": retrained["uri"]}


def test_another_stack_takes_the_version_and_serves_it_from_the_registry(stacks: tuple) -> None:
    lab, lab_backend, serve, serve_backend = stacks
    shared = share(lab_backend, lab, "clf", register(lab, "clf", "weights-a"))
    taken = {"workspace": serve, "registry": "shared", "name": "clf", "version": shared["registry_version"]}
    assert serve_backend.resolve_registry_model(taken) == {"uri": shared["uri"]}
    assert serve_backend.read_registry_model(taken) == {"uri": shared["uri"]}
    name, version, folder = model_files(serve_backend._workspace, shared["uri"], "deployment e/blue")
    assert (name, version, (folder / "model.pkl").read_text()) == ("clf", shared["registry_version"], "weights-a")


def test_taking_a_version_the_registry_lacks_fails_message_first(stacks: tuple) -> None:
    _, _, serve, serve_backend = stacks
    with pytest.raises(NotFoundLocallyError, match=r"^model clf: version 9 is not in registry shared .*share"):
        serve_backend.resolve_registry_model({"workspace": serve, "registry": "shared", "name": "clf", "version": "9"})


def test_a_shared_version_outlives_the_stack_that_shared_it(stacks: tuple) -> None:
    lab, lab_backend, _, _ = stacks
    shared = share(lab_backend, lab, "clf", register(lab, "clf", "weights-a"))
    lab_backend.keep_shared_model(shared)
    assert lab_backend.read_shared_model(shared) is not None
