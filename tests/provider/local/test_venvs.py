"""Environment virtualenvs are cached by content, built whole or not at all."""

from __future__ import annotations

import subprocess
from importlib.metadata import version
from pathlib import Path

import pytest

from components.provider.local.errors import EnvironmentBuildError
from components.provider.local.venvs import MARKER, VenvSpec, ensure_venv, find_interpreter, is_complete, read_spec, stack_interpreter

EMPTY = VenvSpec(stack_interpreter(), (), pip=False)
# A tiny pure-Python package the stack already has, so uv's cache serves it.
SIX = VenvSpec(stack_interpreter(), (f"six=={version('six')}",), pip=False)
UNINSTALLABLE = VenvSpec(stack_interpreter(), ("--no-index", "azureml-training-no-such-package==0"), pip=False)


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "envs"


def test_the_same_content_reuses_the_cached_virtualenv(cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = ensure_venv(EMPTY, "environment e", cache)
    built = (first / MARKER).stat().st_mtime_ns
    capsys.readouterr()
    assert ensure_venv(EMPTY, "environment e", cache) == first
    assert (first / MARKER).stat().st_mtime_ns == built
    assert "installing" not in capsys.readouterr().err


def test_a_virtualenv_says_what_it_was_built_from(cache: Path) -> None:
    """A deployment's environment is an environment asset's content plus the inference server: read back from its marker."""
    assert read_spec(ensure_venv(SIX, "environment e", cache)) == SIX


def test_changed_content_gets_a_new_virtualenv(cache: Path) -> None:
    empty, six = ensure_venv(EMPTY, "environment e", cache), ensure_venv(SIX, "environment e", cache)
    assert empty != six
    assert subprocess.run([six / "bin" / "python", "-c", "import six"], check=False).returncode == 0
    assert subprocess.run([empty / "bin" / "python", "-c", "import six"], check=False, capture_output=True).returncode != 0


def test_the_virtualenv_is_isolated_from_the_stack(cache: Path) -> None:
    venv = ensure_venv(EMPTY, "environment e", cache)
    probe = "import sys, importlib.util; print(sys.prefix); print(importlib.util.find_spec('pulumi') is None)"
    prefix, isolated = subprocess.run([venv / "bin" / "python", "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert (Path(prefix), isolated) == (venv, "True")


def test_a_failed_build_leaves_nothing_to_reuse(cache: Path) -> None:
    with pytest.raises(EnvironmentBuildError, match="environment e: `uv pip install` failed"):
        ensure_venv(UNINSTALLABLE, "environment e", cache)
    assert [p.name for p in cache.iterdir() if not p.name.endswith(".lock")] == []


def test_a_folder_without_the_completion_marker_is_rebuilt(cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (cache / EMPTY.key / "bin").mkdir(parents=True)  # as an interrupted copy or an older tool might leave it
    venv = ensure_venv(EMPTY, "environment e", cache)
    assert is_complete(venv)
    assert "discarding the incomplete environment" in capsys.readouterr().err


def test_an_interrupted_build_is_discarded_and_built_afresh(cache: Path) -> None:
    partial = cache / f".{EMPTY.key}.abc123.partial"
    (partial / "bin").mkdir(parents=True)  # what a killed build leaves: never renamed into place
    venv = ensure_venv(EMPTY, "environment e", cache)
    assert is_complete(venv)
    assert not partial.exists()


def test_a_python_version_that_is_not_installed_falls_back_to_the_stack_interpreter(capsys: pytest.CaptureFixture[str]) -> None:
    assert find_interpreter("==2.7.*", "environment e") == stack_interpreter()
    assert "Python ==2.7.* is not installed" in capsys.readouterr().err


def test_the_stack_interpreter_serves_a_version_it_satisfies() -> None:
    current = stack_interpreter()
    major_minor = ".".join(current.version.split(".")[:2])
    assert find_interpreter(f"=={major_minor}.*", "environment e") == current
