"""A stack's local workspace: a folder with an MLflow tracking store and model registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlflow import MlflowClient

from components.provider.local.backend import LocalBackend
from tests.provider.local.builders import workspace_props


def prepared(workspace: dict[str, Any]) -> tuple[LocalBackend, dict[str, Any], dict[str, Any]]:
    props = {"workspace": workspace, "name": "workspace"}
    backend = LocalBackend(workspace)
    return backend, props, {**props, **backend.prepare_workspace(props)}


def test_prepare_creates_a_tracking_store_and_model_registry(workspace: dict[str, Any]) -> None:
    _, _, outs = prepared(workspace)
    assert outs["root"] == workspace["root"]
    assert outs["tracking_uri"] == f"sqlite:///{workspace['root']}/mlflow.db"
    client = MlflowClient(tracking_uri=outs["tracking_uri"], registry_uri=outs["tracking_uri"])
    assert client.search_registered_models() == []
    assert Path(client.get_experiment("0").artifact_location).is_relative_to(workspace["root"])


def test_read_returns_the_workspace_until_its_folder_is_gone(workspace: dict[str, Any]) -> None:
    backend, _, outs = prepared(workspace)
    assert backend.read_workspace(outs) == {"root": outs["root"], "tracking_uri": outs["tracking_uri"]}
    backend.remove_workspace(outs)
    assert not Path(workspace["root"]).exists()
    assert backend.read_workspace(outs) is None


def test_a_workspace_prepared_again_at_the_same_place_starts_empty(workspace: dict[str, Any]) -> None:
    backend, props, outs = prepared(workspace)
    MlflowClient(outs["tracking_uri"]).create_experiment("before")
    backend.remove_workspace(outs)
    LocalBackend(workspace).prepare_workspace(props)
    assert MlflowClient(outs["tracking_uri"]).get_experiment_by_name("before") is None


def test_removing_a_replaced_workspace_keeps_the_folder_its_replacement_took_over(tmp_path: Path) -> None:
    old_backend, _, old = prepared(workspace_props(tmp_path / "workspace"))
    prepared(workspace_props(tmp_path / "workspace"))  # `pulumi up --replace`: created before the old one goes
    old_backend.remove_workspace(old)
    assert (tmp_path / "workspace" / "mlflow.db").is_file()
