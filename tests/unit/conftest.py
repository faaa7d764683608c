"""The dev and prod stacks' Azure components under mocks, run once per test module that asks;
a small project of YAML files in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.harness import Run, components_program, run_stack
from tests.unit.stacks import make_project


@pytest.fixture(scope="module")
def dev() -> Run:
    return run_stack("dev", program=components_program)


@pytest.fixture(scope="module")
def prod() -> Run:
    return run_stack("prod", program=components_program)


@pytest.fixture
def stack_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tests/unit/stacks.py's project, with a spec cache of its own."""
    monkeypatch.setenv("AZUREML_TRAINING_CACHE", str(tmp_path / "cache"))
    return make_project(tmp_path / "project")
