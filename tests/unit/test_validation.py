"""Per-file checks that azure-ai-ml's loaders do not make: each refusal names its field; sound files pass."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from components.spec.validation import DefinitionError, Location, check_definition
from tests.conftest import ROOT

SWEEP = yaml.safe_load((ROOT / "jobs" / "sweep-job.yml").read_text())


def sweep(**changes: Any) -> dict[str, Any]:
    return {**SWEEP, **changes}


def problem(loader: str, body: dict[str, Any], where: Location) -> str:
    with pytest.raises(DefinitionError) as raised:
        check_definition(loader, body, where)
    return str(raised.value)


@pytest.fixture
def repo(tmp_path: Path) -> Location:
    (tmp_path / "repo" / "jobs" / "src").mkdir(parents=True)
    return Location(tmp_path / "repo", tmp_path / "repo" / "jobs")


@pytest.mark.parametrize("name", ["train-job.yml", "sweep-job.yml", "environment.yml"])
def test_the_shipped_files_pass(name: str) -> None:
    loader = "load_environment" if name == "environment.yml" else "load_job"
    check_definition(loader, yaml.safe_load((ROOT / "jobs" / name).read_text()), Location(ROOT, ROOT / "jobs"))


def test_an_optional_segment_may_name_an_input_the_job_leaves_out(repo: Location) -> None:
    command = "python hello.py $[[--greeting ${{inputs.greeting}}]] --n ${{ inputs.n }}"
    check_definition("load_job", {"command": command, "inputs": {"n": 1}}, repo)


def test_a_reference_with_spaces_is_still_checked(repo: Location) -> None:
    found = problem("load_job", {"command": "echo ${{ inputs.n }}"}, repo)
    assert found == "command: ${{inputs.n}} is not declared under inputs (declared: none)"


def test_malformed_inputs_are_left_to_the_sdks_schema(repo: Location) -> None:
    check_definition("load_job", {"command": "echo ${{inputs.n}}", "inputs": ["n"]}, repo)


def test_a_pipeline_is_left_to_its_own_checks(repo: Location) -> None:
    check_definition("load_job", {"type": "pipeline", "jobs": {"a": {"command": "echo ${{parent.inputs.x}}"}}}, repo)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"limits": {**SWEEP["limits"], "max_total_trials": 0}}, "limits.max_total_trials: must be at least 1 (got 0)"),
        ({"limits": {**SWEEP["limits"], "trial_timeout": 0}}, "limits.trial_timeout: must be a positive number of seconds (got 0)"),
        ({"search_space": None}, "search_space: a sweep needs at least one parameter to search"),
        (
            {"search_space": {**SWEEP["search_space"], "n": {"type": "qnormal", "mu": 1, "sigma": -1, "q": 1}}},
            "search_space.n.sigma: must be greater than 0 (got -1)",
        ),
        ({"search_space": {"n": {"type": "quniform", "min_value": 1}}}, "search_space.n: quniform needs max_value and q"),
    ],
)
def test_a_sweep_that_cannot_run_is_refused(repo: Location, changes: dict[str, Any], expected: str) -> None:
    (repo.folder / "src").mkdir(exist_ok=True)
    body = sweep(**changes)
    body["trial"] = {**body["trial"], "command": "python train.py"}
    assert problem("load_job", body, repo) == expected


def test_bounds_that_are_not_numbers_are_left_to_the_sdk(repo: Location) -> None:
    body = sweep(search_space={"C": {"type": "uniform", "min_value": "low", "max_value": 1}})
    body["trial"] = {**body["trial"], "command": "python train.py"}
    check_definition("load_job", body, repo)


def test_a_path_outside_the_repository_passes_only_under_external_paths(repo: Location, tmp_path: Path) -> None:
    (tmp_path / "shared" / "code").mkdir(parents=True)
    body = {"command": "python x.py", "code": "../../shared/code"}
    assert problem("load_job", body, repo).startswith("code: '../../shared/code' is outside the repository")
    check_definition("load_job", body, Location(repo.root, repo.folder, [tmp_path / "shared"]))


def test_a_link_leading_out_of_the_repository_is_outside_it(repo: Location, tmp_path: Path) -> None:
    (tmp_path / "secret").mkdir()
    (repo.folder / "src" / "data").symlink_to(tmp_path / "secret")
    body = {"command": "python x.py", "inputs": {"d": {"type": "uri_folder", "path": "./src/data"}}}
    assert problem("load_job", body, repo).startswith("inputs.d.path: './src/data' is outside the repository")


def test_a_conda_file_outside_the_repository_is_never_read(repo: Location, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "passwd").write_text("root:x:0:0")
    read: list[Path] = []
    real_read_text = Path.read_text
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: read.append(self) or real_read_text(self, *a, **k))
    found = problem("load_environment", {"name": "e", "image": "i", "conda_file": "../../passwd"}, repo)
    assert found.startswith("conda_file: '../../passwd' is outside the repository")
    assert read == []


def test_an_inline_conda_mapping_is_checked_too(repo: Location) -> None:
    body = {"command": "python x.py", "environment": {"image": "i", "conda_file": {"dependencies": {"pip": ["mlflow"]}}}}
    assert problem("load_job", body, repo) == "environment.conda_file: dependencies must be a list of packages, not a mapping"


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"RETRIES": 3}, "environment_variables.RETRIES: Azure ML takes only strings, not a number (3); quote it"),
        ({"VERBOSE": True}, "environment_variables.VERBOSE: Azure ML takes only strings, not a boolean (True); quote it"),
        ({"BAD": {"nested": 1}}, "environment_variables.BAD: Azure ML takes only strings, not a mapping ({'nested': 1})"),
        ({"EMPTY": None}, "environment_variables.EMPTY: Azure ML takes only strings, not an empty value"),
    ],
)
def test_an_environment_variable_that_is_not_a_string_is_refused(repo: Location, variables: dict[str, Any], expected: str) -> None:
    """azure-ai-ml passes any YAML value on unconverted; the service's job contract takes strings."""
    assert problem("load_job", {"command": "env", "environment_variables": {"OK": "1", **variables}}, repo) == expected


def test_a_sweep_trials_and_a_components_environment_variables_are_checked_too(repo: Location) -> None:
    body = sweep(trial={**SWEEP["trial"], "code": "src", "environment_variables": {"SEED": 7}})
    assert problem("load_job", body, repo).startswith("trial.environment_variables.SEED: Azure ML takes only strings")
    component = {"type": "command", "name": "c", "command": "env", "environment_variables": {"N": 1.5}}
    assert problem("load_component", component, repo).startswith("environment_variables.N: Azure ML takes only strings, not a number")


def test_string_environment_variables_pass(repo: Location) -> None:
    check_definition("load_job", {"command": "env", "environment_variables": {"A": "3", "B": "true", "C": ""}}, repo)
