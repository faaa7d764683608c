"""The spec cache: azure-ai-ml's answers about unchanged files are reused, changed files are asked again."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from components.spec_cache import SpecCache


@pytest.fixture
def cache(tmp_path: Path) -> SpecCache:
    return SpecCache(tmp_path / "cache")


def counting() -> tuple[list[int], object]:
    calls: list[int] = []
    return calls, lambda: calls.append(1)


def test_a_file_that_validated_is_not_validated_again(tmp_path: Path, cache: SpecCache) -> None:
    job = tmp_path / "job.yml"
    job.write_text("type: command\n")
    calls, run = counting()
    cache.validate(job, "load_job", [], run)
    cache.validate(job, "load_job", [], run)
    assert len(calls) == 1


def test_a_changed_file_or_other_overrides_are_validated_again(tmp_path: Path, cache: SpecCache) -> None:
    job = tmp_path / "job.yml"
    job.write_text("type: command\n")
    calls, run = counting()
    cache.validate(job, "load_job", [], run)
    cache.validate(job, "load_job", [{"compute": "azureml:gpu"}], run)
    job.write_text("type: sweep\n")
    cache.validate(job, "load_job", [], run)
    assert len(calls) == 3


def test_a_failed_validation_is_not_remembered(tmp_path: Path, cache: SpecCache) -> None:
    job = tmp_path / "job.yml"
    job.write_text("type: command\n")

    def fail() -> None:
        raise ValueError("invalid")

    for _ in range(2):
        with pytest.raises(ValueError, match="invalid"):
            cache.validate(job, "load_job", [], fail)


def test_folder_hash_is_reused_until_a_file_changes(tmp_path: Path, cache: SpecCache) -> None:
    code = tmp_path / "src"
    code.mkdir()
    (code / "train.py").write_text("print('a')\n")
    answers = iter(["first", "second", "third"])
    assert cache.content_hash(code, lambda: next(answers)) == "first"
    assert cache.content_hash(code, lambda: next(answers)) == "first"
    (code / "train.py").write_text("print('b')\n")
    assert cache.content_hash(code, lambda: next(answers)) == "second"
    (code / "new.py").write_text("")
    assert cache.content_hash(code, lambda: next(answers)) == "third"


def test_a_touched_file_is_hashed_again(tmp_path: Path, cache: SpecCache) -> None:
    script = tmp_path / "train.py"
    script.write_text("x")
    answers = iter(["first", "second"])
    cache.content_hash(script, lambda: next(answers))
    stat = script.stat()
    os.utime(script, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert cache.content_hash(script, lambda: next(answers)) == "second"


def test_an_unwritable_cache_costs_speed_not_correctness(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    cache = SpecCache(blocker / "cache")
    calls, run = counting()
    job = tmp_path / "job.yml"
    job.write_text("type: command\n")
    cache.validate(job, "load_job", [], run)
    cache.validate(job, "load_job", [], run)
    assert len(calls) == 2


def test_loading_unchanged_stack_files_a_second_time_imports_no_azure_ai_ml(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from components.settings import EnvironmentEntry, JobEntry
        from components.spec_cache import SpecCache
        from components.specs import SpecLoader
        loader = SpecLoader(Path.cwd(), "stacks/Pulumi.local.yaml", SpecCache(Path(sys.argv[1])))
        loader.environment(EnvironmentEntry(file="jobs/environment.yml"))
        loader.job(JobEntry(file="jobs/sweep-job.yml"))
        print("azure.ai.ml" in sys.modules)
        """
    )
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, "-c", script, str(tmp_path)]
    runs = [subprocess.run(command, capture_output=True, text=True, check=True, cwd=root) for _ in ("cold", "warm")]
    assert [run.stdout.strip() for run in runs] == ["True", "False"]
