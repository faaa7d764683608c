"""Models are registered from a job's output in the workspace's MLflow registry, once per job output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient

from components.provider.local.backend import LocalBackend
from components.provider.local.errors import InvalidDefinitionError, NotFoundLocallyError
from tests.provider.local.builders import ExampleRun, command_job, job_props


def model_props(run: ExampleRun, name: str, **extra: Any) -> dict[str, Any]:
    props = {"workspace": run.workspace, "name": name, "job_name": run.sweep["name"], "output": "model", "type": "mlflow_model"}
    return {**props, "description": None, "definition": {}, **extra}


def registry(workspace: dict[str, Any]) -> MlflowClient:
    uri = f"sqlite:///{workspace['root']}/mlflow.db"
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def test_a_sweeps_model_is_registered_from_its_best_trial(example_run: ExampleRun) -> None:
    outs = example_run.backend.register_model(model_props(example_run, "best"))
    assert outs == {"version": "1", "uri": "models:/best/1"}
    version = registry(example_run.workspace).get_model_version("best", "1")
    assert (Path(version.source) / "MLmodel").is_file()
    trials = Path(example_run.workspace["root"]) / "jobs" / example_run.sweep["name"] / "trials"
    best = json.loads((trials / example_run.sweep["best_trial"] / "trial.json").read_text())
    assert version.run_id == best["run_id"]


def test_registering_the_same_job_output_again_adopts_its_version(example_run: ExampleRun) -> None:
    first = example_run.backend.register_model(model_props(example_run, "again"))
    assert LocalBackend(example_run.workspace).register_model(model_props(example_run, "again")) == first
    assert len(registry(example_run.workspace).search_model_versions("name = 'again'")) == 1


def test_an_update_changes_the_description_of_the_same_version(example_run: ExampleRun) -> None:
    outs = example_run.backend.register_model(model_props(example_run, "described"))
    updated = example_run.backend.register_model(model_props(example_run, "described", description="v2", version=outs["version"]))
    assert updated == outs
    assert registry(example_run.workspace).get_model_version("described", outs["version"]).description == "v2"


def test_archiving_deletes_the_version(example_run: ExampleRun) -> None:
    props = model_props(example_run, "archived")
    outs = {**props, **example_run.backend.register_model(props)}
    example_run.backend.archive_model(outs)
    assert example_run.backend.read_model(outs) is None
    assert registry(example_run.workspace).search_registered_models("name = 'archived'") == []


@pytest.mark.parametrize(
    "change", [{"type": "custom_model"}, {"definition": {"properties": {"framework": "sklearn"}}}], ids=["type", "model-file"]
)
def test_a_replacement_is_a_new_version_whose_files_outlive_the_old_ones_removal(example_run: ExampleRun, change: dict) -> None:
    name = f"replaced-{next(iter(change))}"
    old = {**model_props(example_run, name), **example_run.backend.register_model(model_props(example_run, name))}
    # The engine creates the replacement first, then deletes the resource it replaces.
    new = {**model_props(example_run, name, **change), **example_run.backend.register_model(model_props(example_run, name, **change))}
    example_run.backend.archive_model(old)
    assert new["version"] != old["version"]
    assert example_run.backend.read_model(old) is None
    assert example_run.backend.read_model(new) == {"version": new["version"], "uri": f"models:/{name}/{new['version']}"}
    version = registry(example_run.workspace).get_model_version(name, new["version"])
    assert version.current_stage != "Archived"
    assert (Path(version.source) / "MLmodel").is_file()


def test_each_version_has_its_own_copy_of_the_output(example_run: ExampleRun) -> None:
    first = example_run.backend.register_model(model_props(example_run, "copies"))
    second = example_run.backend.register_model(model_props(example_run, "copies", type="custom_model"))
    sources = {registry(example_run.workspace).get_model_version("copies", outs["version"]).source for outs in (first, second)}
    assert len(sources) == 2


def test_a_folder_versions_of_an_earlier_release_share_is_kept_while_one_uses_it(example_run: ExampleRun) -> None:
    old = {**model_props(example_run, "shared"), **example_run.backend.register_model(model_props(example_run, "shared"))}
    client = registry(example_run.workspace)
    source = client.get_model_version("shared", old["version"]).source
    kept = client.create_model_version("shared", source)  # as registered when versions shared `<job>-<output>`
    example_run.backend.archive_model(old)
    assert (Path(source) / "MLmodel").is_file()
    example_run.backend.archive_model({**old, "version": kept.version})
    assert not Path(source).exists()


@pytest.mark.filterwarnings("ignore:.*transition_model_version_stage.*:FutureWarning")  # stages: how MLflow's UI archives
def test_a_version_archived_in_the_registry_is_never_adopted(example_run: ExampleRun) -> None:
    first = example_run.backend.register_model(model_props(example_run, "retired"))
    registry(example_run.workspace).transition_model_version_stage("retired", first["version"], "Archived")
    again = example_run.backend.register_model(model_props(example_run, "retired"))
    assert again["version"] != first["version"]


def test_a_job_that_has_not_completed_has_nothing_to_register(example_run: ExampleRun) -> None:
    with pytest.raises(NotFoundLocallyError, match="job never-ran has not completed"):
        example_run.backend.register_model(model_props(example_run, "missing", job_name="never-ran"))


@pytest.mark.usefixtures("stack_python")
def test_an_mlflow_model_needs_an_mlmodel_file_a_custom_model_does_not(backend: LocalBackend, workspace: dict, project: Path) -> None:
    definition = command_job("echo weights > ${{outputs.model}}/weights.bin", outputs={"model": {"type": "uri_folder"}})
    backend.submit_job(job_props(workspace, definition, project))
    props = {"workspace": workspace, "name": "raw", "job_name": "job-1", "output": "model", "description": None, "definition": {}}
    with pytest.raises(InvalidDefinitionError, match="is not an MLflow model"):
        backend.register_model({**props, "type": "mlflow_model"})
    assert backend.register_model({**props, "type": "custom_model"})["version"] == "1"
