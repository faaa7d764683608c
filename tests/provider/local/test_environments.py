"""Environment assets: built once per content, recorded per stack, resolved by jobs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.provider.local.backend import LocalBackend
from components.provider.local.environments import resolve_environment
from components.provider.local.errors import NotFoundLocallyError
from components.provider.local.layout import Layout
from tests.provider.local.builders import IMAGE_ONLY, environment_props, workspace_props

NO_PACKAGES = {"dependencies": ["python=3.11", {"pip": []}]}


def conda_environment(project: Path, conda: dict[str, Any]) -> dict[str, Any]:
    (project / "conda.yml").write_text(yaml.safe_dump(conda))
    return {"image": IMAGE_ONLY["image"], "conda_file": "conda.yml"}


def test_an_environment_with_a_conda_file_runs_in_its_own_virtualenv(
    backend: LocalBackend, workspace: dict, project: Path, env_cache: Path
) -> None:
    outs = backend.put_environment(environment_props(workspace, "train", conda_environment(project, NO_PACKAGES), project))
    assert outs["asset_id"] == "azureml:train:1"
    assert Path(outs["python"]).is_relative_to(env_cache)


def test_an_inline_conda_file_is_accepted(backend: LocalBackend, workspace: dict, project: Path, env_cache: Path) -> None:
    definition = {"image": IMAGE_ONLY["image"], "conda_file": NO_PACKAGES}
    assert Path(backend.put_environment(environment_props(workspace, "inline", definition, project))["python"]).is_relative_to(env_cache)


def test_stacks_with_the_same_environment_share_one_virtualenv(tmp_path: Path, project: Path) -> None:
    definition = conda_environment(project, NO_PACKAGES)
    pythons = set()
    for stack in ("dev", "test"):
        workspace = workspace_props(tmp_path / stack)
        pythons.add(LocalBackend(workspace).put_environment(environment_props(workspace, "train", definition, project))["python"])
    assert len(pythons) == 1


def test_an_image_only_environment_runs_in_the_stack_interpreter_with_a_warning(
    backend: LocalBackend, workspace: dict, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outs = backend.put_environment(environment_props(workspace, "image", IMAGE_ONLY, project))
    assert outs["python"] == sys.executable
    assert "warning: environment image: an image without a conda file cannot be reproduced" in capsys.readouterr().err


def test_jobs_resolve_a_version_or_the_latest_one(backend: LocalBackend, workspace: dict, project: Path) -> None:
    backend.put_environment(environment_props(workspace, "train", IMAGE_ONLY, project, version="1"))
    second = backend.put_environment(environment_props(workspace, "train", conda_environment(project, NO_PACKAGES), project, version="2"))
    layout = Layout(workspace["root"])
    assert resolve_environment(layout, "azureml:train:1", project, "job j").python == sys.executable
    assert resolve_environment(layout, "azureml:train@latest", project, "job j").python == second["python"]


def test_an_environment_the_stack_does_not_define_is_an_error(workspace: dict, project: Path) -> None:
    with pytest.raises(NotFoundLocallyError, match=r"job j: environment azureml:nope:1 is not defined in this stack"):
        resolve_environment(Layout(workspace["root"]), "azureml:nope:1", project, "job j")


def test_a_curated_environment_runs_in_the_stack_interpreter_with_a_warning(
    workspace: dict, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    curated = "azureml:AzureML-sklearn-1.5-ubuntu22.04-py39-cpu:1"
    assert resolve_environment(Layout(workspace["root"]), curated, project, "job j").python == sys.executable
    assert "curated or registry environment" in capsys.readouterr().err


def test_archiving_forgets_the_version_but_keeps_the_shared_virtualenv(backend: LocalBackend, workspace: dict, project: Path) -> None:
    props = environment_props(workspace, "train", conda_environment(project, NO_PACKAGES), project)
    outs = backend.put_environment(props)
    backend.archive_environment({**props, **outs})
    assert backend.read_environment({**props, **outs}) is None
    assert Path(outs["python"]).exists()


def test_reading_returns_what_put_returned(backend: LocalBackend, workspace: dict, project: Path) -> None:
    props = environment_props(workspace, "train", IMAGE_ONLY, project)
    outs = backend.put_environment(props)
    assert backend.read_environment({**props, **outs}) == outs
