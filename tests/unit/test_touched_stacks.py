"""Which stacks CI previews for a change (tools/touched_stacks.py): a stack file (or its policy config) its own stack,
the program (the policy pack included) every stack."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.e2e.harness import PROJECT_FILES
from tools.touched_stacks import PROGRAM_PATHS, STACKS_DIR, changed_files, existing_stacks, github_outputs, touched_stacks

STACKS = ["dev", "local", "prod"]


def test_a_stack_file_touches_its_own_stack_only() -> None:
    assert touched_stacks(["stacks/Pulumi.prod.yaml"], STACKS) == ["prod"]


def test_a_stacks_policy_config_touches_its_own_stack_only() -> None:
    assert touched_stacks(["policies/config/dev.json"], STACKS) == ["dev"]


def test_a_change_to_the_program_touches_every_stack() -> None:
    programs = ("components/spec/settings.py", "jobs/src/train.py", "__main__.py", "requirements.txt", "Pulumi.yaml")
    for path in (*programs, "policies/azureml_guardrails/jobs.py", "policies/PulumiPolicy.yaml"):
        assert touched_stacks(["README.md", path], STACKS) == STACKS, path


def test_docs_tests_and_tools_touch_no_stack() -> None:
    assert touched_stacks(["README.md", "tests/e2e/harness.py", "tools/recover.py", "stacks/README.md", "jobs.md"], STACKS) == []


def test_a_deleted_stack_has_nothing_to_preview() -> None:
    assert touched_stacks(["stacks/Pulumi.qa.yaml", "stacks/Pulumi.dev.yaml"], STACKS) == ["dev"]


def test_the_program_is_what_a_stack_run_copies_of_the_repository() -> None:
    """The e2e tests copy exactly what a stack run needs; all of it but the stack files touches every stack."""
    assert {path.rstrip("/") for path in PROGRAM_PATHS} == set(PROJECT_FILES) - {STACKS_DIR}


def test_the_shipped_stacks_are_found() -> None:
    assert existing_stacks() == ["dev", "lab", "local", "prod", "serve"]


def test_outputs_split_the_local_stack_from_the_azure_ones() -> None:
    assert github_outputs(STACKS) == 'azure-stacks=["dev", "prod"]\nlocal-stack=true\n'
    assert github_outputs(["dev"]) == 'azure-stacks=["dev"]\nlocal-stack=false\n'
    assert github_outputs([]) == "azure-stacks=[]\nlocal-stack=false\n"


def test_the_local_dev_to_prod_example_is_never_previewed_in_azure() -> None:
    assert github_outputs(["dev", "lab", "serve"]) == 'azure-stacks=["dev"]\nlocal-stack=false\n'


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def commit(repo: Path, path: str, message: str) -> None:
    (repo / path).parent.mkdir(parents=True, exist_ok=True)
    (repo / path).write_text(message)
    git(repo, "add", path)
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", message)


def test_changed_files_are_the_pull_requests_own(tmp_path: Path) -> None:
    """What the branch changed since it left main, not what main changed since."""
    git(tmp_path, "init", "-q", "-b", "main")
    commit(tmp_path, "README.md", "start")
    git(tmp_path, "checkout", "-q", "-b", "change")
    commit(tmp_path, "stacks/Pulumi.dev.yaml", "the change")
    git(tmp_path, "checkout", "-q", "main")
    commit(tmp_path, "components/spec/settings.py", "main moved on")
    git(tmp_path, "checkout", "-q", "change")
    assert changed_files("main", tmp_path) == ["stacks/Pulumi.dev.yaml"]
