"""`local.root`: the local workspace's folder is its own, decided at preview, before anything is written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime import config as runtime_config

from components.spec.settings import SettingsError, StackSettings, load_settings

WHERE = "stacks/Pulumi.local.yaml: azureml-training:local.root: "


@pytest.fixture(autouse=True)
def _clean_config() -> Iterator[None]:
    yield
    runtime_config.set_all_config({}, [])


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "repo" / "jobs").mkdir(parents=True)
    (tmp_path / "repo" / "jobs" / "train-job.yml").write_text("command: echo\n")
    return tmp_path / "repo"


def load(repo: Path, local: dict[str, Any] | None = None) -> StackSettings:
    values = {"azureml-training:target": "local", "azureml-training:local": json.dumps(local or {})}
    runtime_config.set_all_config(values, [])
    return load_settings(stack="local", root=repo)


def error_of(repo: Path, root: str) -> str:
    with pytest.raises(SettingsError) as caught:
        load(repo, {"root": root})
    return str(caught.value)


def test_the_default_root_inside_the_repository_is_accepted(repo: Path) -> None:
    assert load(repo).local.root == ".azureml-local"


def test_an_absolute_root_outside_the_repository_is_accepted(repo: Path, tmp_path: Path) -> None:
    assert load(repo, {"root": str(tmp_path / "workspaces")}).local.root == str(tmp_path / "workspaces")


@pytest.mark.parametrize(
    ("root", "says"),
    [
        ("/", "'/' is the filesystem root"),
        (".", "'.' is the repository itself"),
        ("..", "'..' is a folder that holds the repository"),
        ("../workspaces", "'../workspaces' leaves the repository"),
        ("", "is empty"),
    ],
)
def test_a_root_that_is_not_a_folder_of_its_own_is_refused_in_one_line(repo: Path, root: str, says: str) -> None:
    message = error_of(repo, root)
    assert message.startswith(WHERE + says)
    assert message.endswith("; move it away or choose another local.root")
    assert "\n" not in message


def test_an_absolute_root_that_holds_the_repository_is_refused(repo: Path) -> None:
    assert error_of(repo, str(repo.parent)).startswith(f"{WHERE}{str(repo.parent)!r} is a folder that holds the repository")


def test_an_existing_folder_the_workspace_did_not_make_is_refused(repo: Path) -> None:
    (repo / "jobs" / "local").mkdir()
    (repo / "jobs" / "local" / "notes.txt").write_text("mine")
    assert error_of(repo, "jobs") == (
        f"{WHERE}{repo / 'jobs' / 'local'} already exists and this stack's workspace did not make it (it has no workspace.json); "
        "move it away or choose another local.root"
    )


def test_the_workspace_of_another_stack_is_refused(repo: Path) -> None:
    (repo / "shared" / "local").mkdir(parents=True)
    (repo / "shared" / "local" / "workspace.json").write_text(json.dumps({"owner": "x", "stack": "dev"}))
    assert error_of(repo, "shared").startswith(f"{WHERE}{repo / 'shared' / 'local'} is the workspace of stack 'dev'")


def test_an_empty_folder_and_this_stacks_own_workspace_are_accepted(repo: Path) -> None:
    (repo / "empty" / "local").mkdir(parents=True)
    assert load(repo, {"root": "empty"}).local.root == "empty"
    (repo / "ours" / "local").mkdir(parents=True)
    (repo / "ours" / "local" / "workspace.json").write_text(json.dumps({"owner": "x", "stack": "local"}))
    (repo / "ours" / "local" / "mlflow.db").write_text("")
    assert load(repo, {"root": "ours"}).local.root == "ours"


def test_a_file_in_the_workspaces_place_is_refused(repo: Path) -> None:
    (repo / "files").mkdir()
    (repo / "files" / "local").write_text("not a folder")
    assert error_of(repo, "files").startswith(f"{WHERE}{repo / 'files' / 'local'} is a file")
