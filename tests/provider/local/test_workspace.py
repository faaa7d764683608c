"""A stack's local workspace: a folder with an MLflow tracking store and model registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient

from components.provider.local.backend import LocalBackend
from components.provider.local.errors import FolderNotOursError
from components.provider.local.layout import WRITTEN, Layout
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
    backend._workspace.tracking.experiment_id("before")
    backend.remove_workspace(outs)
    again = LocalBackend(workspace)
    again.prepare_workspace(props)
    # The tracking service let go of the deleted database: what it writes now lands in the new one.
    again._workspace.tracking.experiment_id("after")
    client = MlflowClient(outs["tracking_uri"])
    assert client.get_experiment_by_name("before") is None
    assert client.get_experiment_by_name("after") is not None


def test_removing_a_replaced_workspace_keeps_the_folder_its_replacement_took_over(tmp_path: Path) -> None:
    old_backend, _, old = prepared(workspace_props(tmp_path / "workspace"))
    prepared(workspace_props(tmp_path / "workspace"))  # `pulumi up --replace`: created before the old one goes
    old_backend.remove_workspace(old)
    assert (tmp_path / "workspace" / "mlflow.db").is_file()


def test_a_folder_the_workspace_did_not_make_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    (tmp_path / "workspace").mkdir()
    (tmp_path / "workspace" / "notes.txt").write_text("mine")
    workspace = workspace_props(tmp_path / "workspace")
    with pytest.raises(FolderNotOursError, match="already exists and this stack's workspace did not make it"):
        LocalBackend(workspace).prepare_workspace({"workspace": workspace, "name": "workspace"})
    assert [path.name for path in (tmp_path / "workspace").iterdir()] == ["notes.txt"]


def test_removing_the_workspace_removes_what_it_wrote_and_keeps_the_rest(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    backend, _, outs = prepared(workspace_props(tmp_path / "workspace"))
    (tmp_path / "workspace" / "jobs" / "job-1").mkdir(parents=True)
    (tmp_path / "workspace" / "notes.txt").write_text("put here by hand")
    backend.remove_workspace(outs)
    assert [path.name for path in (tmp_path / "workspace").iterdir()] == ["notes.txt"]
    assert "it holds files the stack did not write (notes.txt)" in capfd.readouterr().err


def test_everything_the_layout_places_is_among_what_destroy_removes(tmp_path: Path) -> None:
    layout = Layout(str(tmp_path / "workspace"))
    placed = [
        layout.db,
        layout.artifacts,
        layout.environment_record("env", "1"),
        layout.datastore_record("store"),
        layout.datastore_dir("store"),
        layout.data_record("data", "1"),
        layout.data_dir("data", "1"),
        layout.job_record("job"),
        layout.job_lock("job"),
        layout.model_dir("model", "job"),
        layout.component_record("component", "1"),
        layout.compute,
        layout.schedule_record("schedule"),
    ]
    assert {path.relative_to(layout.path).parts[0] for path in placed} <= set(WRITTEN)
