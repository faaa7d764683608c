"""Local backend fixtures: a workspace per test, one environment cache and one example sweep per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.provider.local.backend import LocalBackend
from components.provider.local.layout import Layout
from components.provider.local.tracking import create_store
from components.provider.local.venvs import CACHE_VARIABLE
from tests.provider.local.builders import (
    EXAMPLE_JOBS,
    ExampleRun,
    NewBackend,
    add_stack_python,
    example_environment,
    fresh_backend,
    job_props,
    workspace_props,
)


@pytest.fixture(scope="session")
def env_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Virtualenvs are built once per session and shared, as stacks share them."""
    return tmp_path_factory.mktemp("env-cache")


@pytest.fixture(autouse=True)
def _use_env_cache(env_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_VARIABLE, str(env_cache))


@pytest.fixture
def workspace(tmp_path: Path) -> dict[str, Any]:
    return workspace_props(tmp_path / "workspace")


@pytest.fixture(scope="session")
def pristine_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty MLflow database, made once: creating one runs MLflow's schema migrations (a second or more)."""
    layout = Layout(str(tmp_path_factory.mktemp("pristine")))
    create_store(layout)
    return layout.db


@pytest.fixture
def new_backend(pristine_db: Path) -> NewBackend:
    """Backends on fresh workspaces (test_workspace.py covers how prepare_workspace makes one)."""
    return lambda workspace: fresh_backend(workspace, pristine_db)


@pytest.fixture
def backend(workspace: dict[str, Any], new_backend: NewBackend) -> LocalBackend:
    return new_backend(workspace)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder standing for the job YAMLs' folder, with the jobs' code in `src/`."""
    (tmp_path / "project" / "src").mkdir(parents=True)
    return tmp_path / "project"


@pytest.fixture
def stack_python(backend: LocalBackend, workspace: dict[str, Any], project: Path) -> str:
    """`azureml:stack-python:1` in the test's workspace."""
    return add_stack_python(backend, workspace, project)


@pytest.fixture(scope="session")
def example_run(env_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExampleRun]:
    """The example sweep job, run once through LocalBackend with its real uv-built environment."""
    workspace = workspace_props(tmp_path_factory.mktemp("example") / "workspace")
    backend = LocalBackend(workspace)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_VARIABLE, str(env_cache))
        backend.prepare_workspace({"workspace": workspace, "name": "workspace"})
        backend.put_environment(example_environment(workspace))
        definition = yaml.safe_load((EXAMPLE_JOBS / "sweep-job.yml").read_text())
        props = job_props(workspace, definition, EXAMPLE_JOBS, name="example-sweep", key="sweep")
        yield ExampleRun(backend, workspace, {**props, **backend.submit_job(props)})


@pytest.fixture
def example_env(example_run: ExampleRun, backend: LocalBackend, workspace: dict[str, Any]) -> str:
    """The example's environment in this test's workspace: a cache hit, the session built it."""
    backend.put_environment(example_environment(workspace))
    return "azureml:sklearn-train:1"
