"""The spec cache: azure-ai-ml's answers about unchanged files are reused, changed files are asked again."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from components.spec.spec_cache import SpecCache


@pytest.fixture
def cache(tmp_path: Path) -> SpecCache:
    return SpecCache(tmp_path / "cache")


def settle(path: Path, seconds_ago: int = 60) -> None:
    """Age a file, or every file below a folder, past the window in which a rewrite could go unseen."""
    when = time.time_ns() - seconds_ago * 1_000_000_000
    for file in [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]:
        os.utime(file, ns=(when, when))


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
    settle(code, 120)
    answers = iter(["first", "second", "third"])
    assert cache.content_hash(code, lambda: next(answers)) == "first"
    assert cache.content_hash(code, lambda: next(answers)) == "first"
    (code / "train.py").write_text("print('changed')\n")
    settle(code, 60)
    assert cache.content_hash(code, lambda: next(answers)) == "second"
    (code / "new.py").write_text("")
    settle(code, 30)
    assert cache.content_hash(code, lambda: next(answers)) == "third"


def test_a_touched_file_is_hashed_again(tmp_path: Path, cache: SpecCache) -> None:
    script = tmp_path / "train.py"
    script.write_text("x")
    settle(script, 120)
    answers = iter(["first", "second"])
    cache.content_hash(script, lambda: next(answers))
    settle(script, 60)
    assert cache.content_hash(script, lambda: next(answers)) == "second"


def test_a_file_written_just_now_is_not_remembered(tmp_path: Path, cache: SpecCache) -> None:
    script = tmp_path / "train.py"
    script.write_text("x")
    answers = iter(["first", "second"])
    cache.content_hash(script, lambda: next(answers))
    assert cache.content_hash(script, lambda: next(answers)) == "second", "a same-tick rewrite could have gone unseen"


def test_a_symlinked_folder_inside_the_code_is_followed(tmp_path: Path, cache: SpecCache) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "util.py").write_text("A = 1\n")
    code = tmp_path / "src"
    code.mkdir()
    (code / "shared").symlink_to(shared)
    settle(shared, 120)
    answers = iter(["first", "second"])
    cache.content_hash(code, lambda: next(answers))
    (shared / "util.py").write_text("A = 22\n")
    settle(shared, 60)
    assert cache.content_hash(code, lambda: next(answers)) == "second"


def test_a_changed_referenced_file_is_validated_again(tmp_path: Path, cache: SpecCache) -> None:
    environment, conda = tmp_path / "environment.yml", tmp_path / "conda.yml"
    environment.write_text("name: env\nconda_file: conda.yml\n")
    conda.write_text("dependencies: [pip]\n")
    settle(conda, 120)
    calls, run = counting()
    cache.validate(environment, "load_environment", [], run, [conda])
    cache.validate(environment, "load_environment", [], run, [conda])
    conda.write_text("dependencies: [pip, [broken\n")
    settle(conda, 60)
    cache.validate(environment, "load_environment", [], run, [conda])
    assert len(calls) == 2


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
        from components.spec.settings import EndpointEntry, EnvironmentEntry, JobEntry
        from components.spec.spec_cache import SpecCache
        from components.spec.specs import SpecLoader
        loader = SpecLoader(Path.cwd(), "stacks/Pulumi.local.yaml", SpecCache(Path(sys.argv[1])))
        loader.environment(EnvironmentEntry(file="jobs/environment.yml"))
        loader.job(JobEntry(file="jobs/sweep-job.yml"))
        endpoint = {"file": "jobs/endpoints/endpoint.yml", "deployments": [{"file": "jobs/endpoints/blue.yml"}]}
        loader.endpoint(0, EndpointEntry.model_validate(endpoint))
        print("azure.ai.ml" in sys.modules)
        """
    )
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, "-c", script, str(tmp_path)]
    runs = [subprocess.run(command, capture_output=True, text=True, check=True, cwd=root) for _ in ("cold", "warm")]
    assert [run.stdout.strip() for run in runs] == ["True", "False"]
