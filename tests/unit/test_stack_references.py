"""What the YAMLs name must exist where the stack deploys; what the local target cannot run is refused.

On the local target and on a workspace the stack creates, an `azureml:` environment, data asset
or component is the stack's own or nothing; an existing workspace may hold it. Locally, datastore
paths need a datastore of the stack, cloud storage URIs and bayesian sampling cannot run, and two
assets of one kind and name would collide on every target.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from components.spec.preflight import check_stack
from components.spec.settings import SettingsError, StackSettings
from tests.unit.harness import last_run, run_stack
from tests.unit.stacks import PIPELINE, SCALE, SHARED, TARGETS, refusal, stack, write

TRAIN = {
    "type": "command",
    "code": "./src",
    "command": "python run.py ${{inputs.table}}",
    "environment": "azureml:py@latest",
    "inputs": {"table": {"type": "uri_file", "path": "./src/run.py"}},
}
SWEEP = {
    "type": "sweep",
    "trial": {"code": "./src", "command": "python run.py ${{search_space.c}}", "environment": "azureml:py@latest"},
    "search_space": {"c": {"type": "uniform", "min_value": 0, "max_value": 1}},
    "objective": {"goal": "maximize", "primary_metric": "accuracy"},
    "sampling_algorithm": "random",
    "limits": {"max_total_trials": 2},
}
JOBS = [{"file": "jobs/train.yml", "key": "train"}]


@pytest.fixture
def project(stack_project: Path) -> Path:
    write(stack_project, "jobs/train.yml", TRAIN)
    write(stack_project, "jobs/sweep.yml", SWEEP)
    write(stack_project, "jobs/data.yml", {"name": "table", "type": "uri_file", "path": "./src/run.py"})
    write(stack_project, "jobs/store.yml", {"name": "store", "type": "azure_blob", "account_name": "acct", "container_name": "c"})
    return stack_project


def with_input_path(project: Path, path: str) -> None:
    write(project, "jobs/train.yml", {**TRAIN, "inputs": {"table": {"type": "uri_file", "path": path}}})


def settings(target: str, **keys: Any) -> StackSettings:
    return stack(target, **{"jobs": JOBS, **keys})


@pytest.mark.parametrize("target", ["local", "created-workspace"])
def test_a_data_asset_the_stack_does_not_declare_is_refused(project: Path, target: str) -> None:
    with_input_path(project, "azureml:nosuchdata:1")
    where = "the local target has" if target == "local" else "a workspace this stack creates has"
    assert refusal(project, settings(target)) == (
        "jobs/train.yml: inputs.table.path: azureml:nosuchdata:1 is not a data asset of this stack (declared: none); "
        f"{where} only those listed under azureml-training:data"
    )


@pytest.mark.parametrize("reference", ["azureml:table:1", "azureml:table@latest", "azureml:table"])
def test_a_data_asset_the_stack_declares_passes_at_any_version(project: Path, reference: str) -> None:
    """A version other than the stack's may remain from an earlier deployment (archived, still usable)."""
    with_input_path(project, reference)
    check_stack(settings("local", data=[{"file": "jobs/data.yml"}]), "dev", project)


def test_an_existing_workspace_may_hold_what_the_stack_does_not_declare(project: Path) -> None:
    with_input_path(project, "azureml:team-data:4")
    pipeline = copy.deepcopy(PIPELINE)
    pipeline["jobs"]["shared"]["component"] = "azureml:team_component@latest"
    pipeline["jobs"]["start"]["environment"] = "azureml:team-env:2"
    write(project, "jobs/pipeline.yml", pipeline)
    check_stack(stack("existing-workspace", jobs=[*JOBS, {"file": "jobs/pipeline.yml", "key": "pipeline"}]), "dev", project)


@pytest.mark.parametrize("target", ["local", "created-workspace"])
def test_a_step_naming_a_component_the_stack_does_not_register_is_refused(project: Path, target: str) -> None:
    pipeline = copy.deepcopy(PIPELINE)
    pipeline["jobs"]["shared"]["component"] = "azureml:shared_scal@latest"
    write(project, "jobs/pipeline.yml", pipeline)
    assert refusal(project, settings(target, jobs=[{"file": "jobs/pipeline.yml", "key": "pipeline"}])).startswith(
        "jobs/pipeline.yml: jobs.shared.component: azureml:shared_scal@latest is not a component of this stack (declared: shared_scale)"
    )


def test_an_environment_a_local_component_file_names_is_checked_at_the_step(project: Path) -> None:
    write(project, "jobs/components/scale.yml", {**SCALE, "environment": "azureml:python@latest"})
    assert refusal(project, settings("local", jobs=[{"file": "jobs/pipeline.yml", "key": "pipeline"}])).startswith(
        "jobs/pipeline.yml: jobs.scale.component.environment: azureml:python@latest is not an environment of this stack (declared: py)"
    )


def test_an_environment_a_stack_component_names_is_checked_in_its_file(project: Path) -> None:
    write(project, "jobs/components/shared.yml", {**SHARED, "environment": "azureml:python:1"})
    assert refusal(project, settings("local", jobs=[])).startswith(
        "jobs/components/shared.yml: environment: azureml:python:1 is not an environment of this stack (declared: py)"
    )


@pytest.mark.parametrize(
    "environment",
    ["azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest", "azureml://registries/azureml/environments/sklearn-1.5/labels/latest"],
)
def test_curated_and_registry_environments_pass_everywhere(project: Path, environment: str) -> None:
    write(project, "jobs/train.yml", {**TRAIN, "environment": environment})
    check_stack(settings("local"), "dev", project)
    check_stack(settings("created-workspace"), "dev", project)


def test_a_datastore_path_needs_a_datastore_of_the_local_stack(project: Path) -> None:
    with_input_path(project, "azureml://datastores/workspaceblobstore/paths/table.csv")
    assert refusal(project, settings("local")) == (
        "jobs/train.yml: inputs.table.path: azureml://datastores/workspaceblobstore/paths/table.csv is in datastore "
        "'workspaceblobstore', not a datastore of this stack (declared: none); the local target has only those listed "
        "under azureml-training:datastores"
    )
    check_stack(settings("created-workspace"), "dev", project)  # every Azure ML workspace has workspaceblobstore
    with_input_path(project, "azureml://datastores/store/paths/table.csv")
    check_stack(settings("local", datastores=[{"file": "jobs/store.yml"}]), "dev", project)


def test_a_data_assets_datastore_path_is_checked_in_its_file(project: Path) -> None:
    write(project, "jobs/data.yml", {"name": "table", "type": "uri_file", "path": "azureml://datastores/stor/paths/t.csv"})
    assert refusal(project, settings("local", data=[{"file": "jobs/data.yml"}], datastores=[{"file": "jobs/store.yml"}])).startswith(
        "jobs/data.yml: path: azureml://datastores/stor/paths/t.csv is in datastore 'stor', not a datastore of this stack (declared: store)"
    )


@pytest.mark.parametrize(
    "path",
    [
        "wasbs://datasets@azuremlexamples.blob.core.windows.net/iris.csv",
        "abfss://c@acct.dfs.core.windows.net/t.csv",
        "adl://acct.azuredatalakestore.net/t.csv",
    ],
)
def test_cloud_storage_is_refused_on_the_local_target_only(project: Path, path: str) -> None:
    with_input_path(project, path)
    assert refusal(project, settings("local")) == (
        f"jobs/train.yml: inputs.table.path: {path} is cloud storage the local target cannot read "
        "(it reads local paths, azureml://datastores/ paths of the stack's datastores and http(s) URLs)"
    )
    check_stack(settings("existing-workspace"), "dev", project)


def test_a_data_asset_in_cloud_storage_is_refused_locally_naming_its_file(project: Path) -> None:
    write(project, "jobs/data.yml", {"name": "table", "type": "uri_file", "path": "wasbs://c@acct.blob.core.windows.net/t.csv"})
    assert refusal(project, settings("local", data=[{"file": "jobs/data.yml"}])).startswith(
        "jobs/data.yml: path: wasbs://c@acct.blob.core.windows.net/t.csv is cloud storage the local target cannot read"
    )


@pytest.mark.parametrize("algorithm", ["bayesian", {"type": "bayesian"}])
def test_bayesian_sampling_is_refused_on_the_local_target_only(project: Path, algorithm: Any) -> None:
    write(project, "jobs/sweep.yml", {**SWEEP, "sampling_algorithm": algorithm})
    jobs = [{"file": "jobs/sweep.yml", "key": "sweep"}]
    assert refusal(project, settings("local", jobs=jobs)) == (
        "jobs/sweep.yml: sampling_algorithm: bayesian sampling runs only on Azure ML (the local target samples random or grid)"
    )
    check_stack(settings("existing-workspace", jobs=jobs), "dev", project)


def test_a_bayesian_sweep_step_is_refused_on_the_local_target(project: Path) -> None:
    pipeline = copy.deepcopy(PIPELINE)
    pipeline["jobs"]["tune"] = {
        **{k: v for k, v in SWEEP.items() if k not in ("trial", "search_space")},
        "trial": "./components/scale.yml",
        "search_space": {"factor": {"type": "uniform", "min_value": 1, "max_value": 3}},
        "sampling_algorithm": "bayesian",
        "inputs": {"source": "${{parent.jobs.start.outputs.result}}"},
    }
    write(project, "jobs/pipeline.yml", pipeline)
    assert refusal(project, settings("local", jobs=[{"file": "jobs/pipeline.yml", "key": "pipeline"}])) == (
        "jobs/pipeline.yml: jobs.tune.sampling_algorithm: bayesian sampling runs only on Azure ML (the local target samples random or grid)"
    )


@pytest.mark.parametrize(
    ("key", "file", "copy_of"),
    [
        ("components", "jobs/components/shared-copy.yml", "jobs/components/shared.yml"),
        ("environments", "jobs/environment-copy.yml", "jobs/environment.yml"),
        ("data", "jobs/data-copy.yml", "jobs/data.yml"),
        ("datastores", "jobs/store-copy.yml", "jobs/store.yml"),
    ],
)
@pytest.mark.parametrize("target", TARGETS)
def test_two_assets_of_one_kind_and_name_are_refused(project: Path, key: str, file: str, copy_of: str, target: str) -> None:
    """Each is a resource named for it: two would collide in Pulumi's state (`Duplicate resource URN`)."""
    text = (project / copy_of).read_text()
    write(project, file, text.replace("conda_file: conda.yml", "conda_file: conda.yml\ndescription: a copy"))
    entries = {"components": [], "environments": [], "data": [], "datastores": []}
    entries[key] = [{"file": copy_of}, {"file": file}]
    refused = refusal(project, settings(target, jobs=[], **entries))
    assert refused.startswith(f"{file}: name: ")
    assert refused.endswith(f"is also the name of {copy_of} (azureml-training:{key}[0]); each of a stack's {key} needs a name of its own")


def test_the_program_registers_nothing_for_a_local_job_naming_data_the_stack_lacks() -> None:
    """Under mocks: azureml-examples' distributed CIFAR job names `azureml:cifar-10-example:1`."""
    job = "tests/unit/examples/pytorch/cifar-distributed/job.yml"
    with pytest.raises(SettingsError) as refused:
        run_stack("local", config={"target": "local", "jobs": [{"file": job, "key": "cifar"}]})
    assert str(refused.value).startswith(
        f"stacks/Pulumi.local.yaml: {job}: inputs.cifar.path: azureml:cifar-10-example:1 is not a data asset of this stack"
    )
    assert last_run[0].resources == []
