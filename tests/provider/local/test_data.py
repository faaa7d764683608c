"""Data assets and datastores live in the workspace folder; credentials never do."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.provider.local.backend import LocalBackend
from components.provider.local.data import data_path
from components.provider.local.errors import InvalidDefinitionError, UnsupportedLocallyError
from components.provider.local.layout import Layout


def data_props(workspace: dict, project: Path, definition: dict, content_hash: str = "h1", version: str = "1") -> dict:
    return {
        "workspace": workspace,
        "name": "iris",
        "version": version,
        "definition": definition,
        "content_hash": content_hash,
        "base_dir": str(project),
    }


def test_a_file_asset_is_copied_into_the_workspace(backend: LocalBackend, workspace: dict, project: Path) -> None:
    (project / "iris.csv").write_text("a,b\n1,2\n")
    outs = backend.put_data(data_props(workspace, project, {"type": "uri_file", "path": "iris.csv"}))
    assert outs["asset_id"] == "azureml:iris:1"
    assert Path(outs["path"]) == Path(workspace["root"]) / "data" / "iris" / "1" / "iris.csv"
    assert Path(outs["path"]).read_text() == "a,b\n1,2\n"


def test_a_folder_asset_is_copied_whole(backend: LocalBackend, workspace: dict, project: Path) -> None:
    (project / "images" / "cats").mkdir(parents=True)
    (project / "images" / "cats" / "1.txt").write_text("meow")
    outs = backend.put_data(data_props(workspace, project, {"type": "uri_folder", "path": "images"}))
    assert (Path(outs["path"]) / "cats" / "1.txt").read_text() == "meow"


def test_the_same_content_is_not_copied_again(backend: LocalBackend, workspace: dict, project: Path) -> None:
    (project / "iris.csv").write_text("v1")
    props = data_props(workspace, project, {"type": "uri_file", "path": "iris.csv"})
    path = Path(backend.put_data(props)["path"])
    (project / "iris.csv").write_text("v2, but the hash says unchanged")
    backend.put_data(props)
    assert path.read_text() == "v1"


def test_a_type_that_does_not_match_the_path_is_an_error(backend: LocalBackend, workspace: dict, project: Path) -> None:
    (project / "iris.csv").write_text("x")
    with pytest.raises(InvalidDefinitionError, match="a uri_folder asset needs a folder"):
        backend.put_data(data_props(workspace, project, {"type": "uri_folder", "path": "iris.csv"}))


def test_a_remote_path_is_refused(backend: LocalBackend, workspace: dict, project: Path) -> None:
    # http(s) URLs are downloaded (test_workdir.py); cloud storage needs a datastore.
    with pytest.raises(UnsupportedLocallyError, match="is remote"):
        backend.put_data(
            data_props(workspace, project, {"type": "uri_file", "path": "wasbs://data@account.blob.core.windows.net/iris.csv"})
        )


def test_archived_data_stays_readable_for_jobs_that_name_it(backend: LocalBackend, workspace: dict, project: Path) -> None:
    (project / "iris.csv").write_text("x")
    props = data_props(workspace, project, {"type": "uri_file", "path": "iris.csv"})
    outs = backend.put_data(props)
    backend.archive_data({**props, **outs})
    assert Path(outs["path"]).exists()


def test_a_datastore_is_a_workspace_folder_and_its_credentials_are_never_written(backend: LocalBackend, workspace: dict) -> None:
    secret = "c2VjcmV0LWFjY291bnQta2V5"
    definition = {"type": "azure_blob", "account_name": "acct", "container_name": "raw", "credentials": {"account_key": secret}}
    props = {"workspace": workspace, "name": "raw", "definition": definition, "credentials": {"account_key": secret}}
    outs = backend.put_datastore(props)
    assert outs == {"asset_id": "azureml://datastores/raw", "path": str(Path(workspace["root"]) / "datastores" / "raw")}
    written = "".join(p.read_text(errors="replace") for p in Path(workspace["root"]).rglob("*") if p.is_file())
    assert secret not in written


def test_a_deleted_datastore_is_gone_but_its_files_stay(backend: LocalBackend, workspace: dict) -> None:
    props = {"workspace": workspace, "name": "raw", "definition": {"type": "azure_blob"}, "credentials": {}}
    outs = backend.put_datastore(props)
    (Path(outs["path"]) / "kept.txt").write_text("data")
    backend.delete_datastore({**props, **outs})
    assert backend.read_datastore({**props, **outs}) is None
    assert (Path(outs["path"]) / "kept.txt").exists()


def test_latest_is_the_newest_version_that_is_not_archived(backend: LocalBackend, workspace: dict, project: Path) -> None:
    (project / "v1.csv").write_text("v1")
    (project / "v2.csv").write_text("v2")
    first = backend.put_data(data_props(workspace, project, {"type": "uri_file", "path": "v1.csv"}, "h1", version="1"))
    second_props = data_props(workspace, project, {"type": "uri_file", "path": "v2.csv"}, "h2", version="2")
    second = backend.put_data(second_props)
    layout = Layout(workspace["root"])
    assert data_path(layout, "iris", None, "job j").read_text() == "v2"
    backend.archive_data({**second_props, **second})
    assert data_path(layout, "iris", None, "job j") == Path(first["path"])
