"""Job YAMLs shaped like Azure ML's public examples, declared in a stack exactly as written.

The fixtures under tests/unit/examples/ follow the shapes of Azure/azureml-examples
`cli/jobs/`: command jobs on curated and inline environments, PyTorch, TensorFlow and MPI
distributed jobs, sweeps with early termination, URL inputs, optional `$[[ ]]` arguments.
An existing-workspace stack that lists them all gets one Job resource per file, whose
definition is the file's fields as written, and nothing else in Azure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from components.spec.settings import SettingsError
from tests.unit.harness import REPO, SUBSCRIPTION, Registered, Run, last_run, run_stack

EXAMPLES = Path("tests/unit/examples")
INVALID = EXAMPLES / "invalid"

# Job key in the stack -> fixture; the public examples call most of their files job.yml, so the stack names them.
JOBS: dict[str, Path] = {
    "hello-world": EXAMPLES / "basics/hello-world.yml",
    "hello-world-output": EXAMPLES / "basics/hello-world-output.yml",
    "hello-world-env-var": EXAMPLES / "basics/hello-world-env-var.yml",
    "hello-code": EXAMPLES / "basics/hello-code.yml",
    "hello-optional-inputs": EXAMPLES / "basics/hello-optional-inputs.yml",
    "pytorch-cifar-distributed": EXAMPLES / "pytorch/cifar-distributed/job.yml",
    "tensorflow-mnist-distributed": EXAMPLES / "tensorflow/mnist-distributed/job.yml",
    "tensorflow-mnist-horovod": EXAMPLES / "tensorflow/mnist-horovod/job.yml",
    "lightgbm-iris-sweep": EXAMPLES / "lightgbm/iris/job-sweep.yml",
    "sklearn-iris-grid-sweep": EXAMPLES / "scikit-learn/iris/job-sweep-grid.yml",
    "sklearn-iris-bayesian-sweep": EXAMPLES / "scikit-learn/iris/job-sweep-bayesian.yml",
    "sklearn-iris-truncation-sweep": EXAMPLES / "scikit-learn/iris/job-sweep-truncation.yml",
}

WORKSPACE = {"existing": True, "subscriptionId": SUBSCRIPTION, "resourceGroup": "team-rg", "name": "team-ws"}


def stack_with_jobs(jobs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"target": "azure", "workspace": WORKSPACE, "jobs": jobs}


def as_written(file: Path) -> dict[str, Any]:
    """A job YAML's fields, less the editor hint `$schema`."""
    body = yaml.safe_load((REPO / file).read_text())
    return {key: value for key, value in body.items() if key != "$schema"}


def job_resources(run: Run) -> dict[str, Registered]:
    return {r.name: r for r in run.resources if r.type.endswith("azureml:Job")}


@pytest.fixture(scope="module")
def run() -> Run:
    return run_stack("dev", config=stack_with_jobs([{"file": str(file), "key": key} for key, file in JOBS.items()]))


@pytest.fixture(scope="module")
def jobs(run: Run) -> dict[str, Registered]:
    return job_resources(run)


def definition(jobs: dict[str, Registered], key: str) -> dict[str, Any]:
    return jobs[key].inputs["definition"]


def test_the_stack_declares_every_valid_example() -> None:
    written = {path.relative_to(REPO) for path in (REPO / EXAMPLES).rglob("*.yml") if path.name != "conda.yml"}
    assert {file for file in written if INVALID not in file.parents} == set(JOBS.values())


@pytest.mark.parametrize("file", list(JOBS.values()), ids=list(JOBS))
def test_each_example_is_a_job_azure_ml_itself_accepts(file: Path) -> None:
    from azure.ai.ml import load_job

    job = load_job(REPO / file)
    assert job.type == as_written(file).get("type", "command")


def test_each_example_becomes_exactly_one_job_resource(run: Run, jobs: dict[str, Registered]) -> None:
    assert sorted(r.name for r in run.resources if r.type.endswith("azureml:Job")) == sorted(JOBS)
    assert {key: job.inputs["key"] for key, job in jobs.items()} == {key: key for key in JOBS}


def test_the_examples_register_nothing_in_azure_and_ask_azure_nothing(run: Run) -> None:
    assert run.azure == []
    assert run.calls == []


@pytest.mark.parametrize("key", list(JOBS))
def test_each_job_definition_is_its_yaml_as_written(jobs: dict[str, Registered], key: str) -> None:
    assert definition(jobs, key) == as_written(JOBS[key])


def test_curated_environments_are_passed_through_by_reference(jobs: dict[str, Registered]) -> None:
    environments = {key: definition(jobs, key).get("environment") or definition(jobs, key)["trial"]["environment"] for key in JOBS}
    assert environments == {
        "hello-world": "azureml://registries/azureml/environments/sklearn-1.5/labels/latest",
        "hello-world-output": {"image": "python:latest"},
        "hello-world-env-var": "azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest",
        "hello-code": "azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:33",
        "hello-optional-inputs": "azureml://registries/azureml/environments/sklearn-1.5/labels/latest",
        "pytorch-cifar-distributed": {
            "image": "mcr.microsoft.com/azureml/openmpi4.1.0-cuda11.8-cudnn8-ubuntu22.04:latest",
            "conda_file": "conda.yml",
        },
        "tensorflow-mnist-distributed": "azureml:AzureML-tensorflow-2.12-cuda11@latest",
        "tensorflow-mnist-horovod": "azureml:AzureML-tensorflow-2.12-cuda11@latest",
        "lightgbm-iris-sweep": "azureml://registries/azureml/environments/lightgbm-3.3/labels/latest",
        "sklearn-iris-grid-sweep": "azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest",
        "sklearn-iris-bayesian-sweep": "azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest",
        "sklearn-iris-truncation-sweep": "azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:33",
    }


def test_distributed_jobs_keep_their_distribution_and_node_count(jobs: dict[str, Registered]) -> None:
    distributed = ("pytorch-cifar-distributed", "tensorflow-mnist-distributed", "tensorflow-mnist-horovod")
    assert {key: (definition(jobs, key)["distribution"], definition(jobs, key)["resources"]["instance_count"]) for key in distributed} == {
        "pytorch-cifar-distributed": ({"type": "pytorch", "process_count_per_instance": 2}, 2),
        "tensorflow-mnist-distributed": ({"type": "tensorflow", "worker_count": 2}, 2),
        "tensorflow-mnist-horovod": ({"type": "mpi", "process_count_per_instance": 2}, 2),
    }
    assert definition(jobs, "tensorflow-mnist-horovod")["resources"]["shm_size"] == "8g"


def test_sweeps_keep_sampling_early_termination_and_limits(jobs: dict[str, Registered]) -> None:
    sweeps = ("lightgbm-iris-sweep", "sklearn-iris-grid-sweep", "sklearn-iris-bayesian-sweep", "sklearn-iris-truncation-sweep")
    assert {key: (definition(jobs, key)["sampling_algorithm"], definition(jobs, key).get("early_termination")) for key in sweeps} == {
        "lightgbm-iris-sweep": ("random", {"type": "bandit", "slack_factor": 0.1, "evaluation_interval": 1, "delay_evaluation": 5}),
        "sklearn-iris-grid-sweep": ("grid", {"type": "median_stopping", "evaluation_interval": 1, "delay_evaluation": 2}),
        "sklearn-iris-bayesian-sweep": ("bayesian", None),
        "sklearn-iris-truncation-sweep": (
            {"type": "random", "seed": 42},
            {"type": "truncation_selection", "truncation_percentage": 20, "evaluation_interval": 1, "delay_evaluation": 4},
        ),
    }
    assert definition(jobs, "lightgbm-iris-sweep")["limits"] == {
        "max_total_trials": 20,
        "max_concurrent_trials": 10,
        "timeout": 7200,
        "trial_timeout": 600,
    }


def test_sweeps_keep_every_kind_of_search_space(jobs: dict[str, Registered]) -> None:
    kinds = {
        space["type"]
        for key in ("lightgbm-iris-sweep", "sklearn-iris-bayesian-sweep", "sklearn-iris-truncation-sweep")
        for space in definition(jobs, key)["search_space"].values()
    }
    assert sorted(kinds) == ["choice", "loguniform", "normal", "quniform", "randint", "uniform"]
    assert definition(jobs, "sklearn-iris-bayesian-sweep")["search_space"]["degree"] == {
        "type": "quniform",
        "min_value": 2,
        "max_value": 5,
        "q": 1,
    }
    assert definition(jobs, "sklearn-iris-grid-sweep")["search_space"]["kernel"] == {"type": "choice", "values": ["rbf", "linear", "poly"]}


def test_url_inputs_are_passed_through_and_not_hashed(jobs: dict[str, Registered]) -> None:
    assert definition(jobs, "lightgbm-iris-sweep")["inputs"]["iris_csv"] == {
        "type": "uri_file",
        "path": "https://azuremlexamples.blob.core.windows.net/datasets/iris.csv",
    }
    assert definition(jobs, "sklearn-iris-grid-sweep")["inputs"]["iris_csv"]["path"] == (
        "wasbs://datasets@azuremlexamples.blob.core.windows.net/iris.csv"
    )
    assert definition(jobs, "pytorch-cifar-distributed")["inputs"]["cifar"]["path"] == "azureml:cifar-10-example:1"
    assert {key: job.inputs["input_hashes"] for key, job in jobs.items() if job.inputs["input_hashes"]} == {}


def test_local_code_folders_are_hashed_next_to_their_yaml(jobs: dict[str, Registered]) -> None:
    assert jobs["hello-world"].inputs.get("code_hash") is None  # no code, nothing to upload
    hello_code = jobs["hello-code"].inputs
    assert hello_code["base_dir"] == "tests/unit/examples/basics"
    assert len(hello_code["code_hash"]) == 16
    # Both basics jobs upload the same src folder; the sweeps' trials upload theirs.
    assert jobs["hello-optional-inputs"].inputs["code_hash"] == hello_code["code_hash"]
    assert jobs["lightgbm-iris-sweep"].inputs["code_hash"] not in (None, hello_code["code_hash"])


def test_optional_arguments_are_kept_for_azure_ml_to_resolve(jobs: dict[str, Registered]) -> None:
    job = definition(jobs, "hello-optional-inputs")
    assert job["command"] == (
        "python hello.py --greeting ${{inputs.greeting}} --output ${{outputs.greetings}} "
        "$[[--repeat ${{inputs.repeat}}]] $[[--shout ${{inputs.shout}}]]"
    )
    assert job["inputs"] == {"greeting": "hello", "repeat": 3}


def test_a_job_yaml_with_a_wrong_field_stops_the_program_with_one_line_naming_stack_file_and_field() -> None:
    bad = INVALID / "instance-count-in-words.yml"
    with pytest.raises(SettingsError) as raised:
        run_stack("dev", config=stack_with_jobs([{"file": str(bad)}]))
    assert str(raised.value) == f"stacks/Pulumi.dev.yaml: {bad}: resources.instance_count: Not a valid integer."
    assert job_resources(last_run[0]) == {}
