"""Models: registered from a job's output (a sweep's best trial's), adopted on re-run, archived on delete."""

from __future__ import annotations

import pytest

from components.provider.azure.backend import AzureBackend
from components.provider.azure.errors import ModelSourceError, ModelVersionError
from tests.azureml_double import AzureMLDouble, Azurite
from tests.provider.azure.builders import Project, command_job, model_props, sweep_job

JOB = "azureml-training-dev-train-0a1b2c"
pytestmark = pytest.mark.usefixtures("registered_environment")  # the jobs here name azureml:sklearn:1
SWEEP = "azureml-training-dev-sweep-3d4e5f"


@pytest.fixture
def trained(backend: AzureBackend, aml_double: AzureMLDouble, project: Project) -> str:
    return backend.submit_job(command_job(aml_double, project))["name"]


def model_puts(double: AzureMLDouble) -> list:
    return double.find("PUT", r"/models/iris-classifier/versions/[^/]+$")


def test_model_is_registered_from_the_job_output_with_its_lineage(backend: AzureBackend, aml_double: AzureMLDouble, trained: str) -> None:
    outs = backend.register_model(model_props(aml_double, trained))

    assert outs == {"version": "1", "uri": "azureml:iris-classifier:1"}
    body = model_puts(aml_double)[0].body["properties"]
    assert body["modelUri"].endswith(f"jobs/{trained}/outputs/model")
    assert (body["modelType"], body["description"]) == ("mlflow_model", "a classifier")
    assert body["properties"]["azureml-training.job"] == trained
    assert body["tags"]["azureml-training.output"] == "model"


def test_rerun_create_adopts_the_version_registered_from_the_same_output(
    backend: AzureBackend, aml_double: AzureMLDouble, trained: str
) -> None:
    first = backend.register_model(model_props(aml_double, trained))
    again = backend.register_model(model_props(aml_double, trained))

    assert first == again
    assert len(model_puts(aml_double)) == 1


def test_description_change_updates_the_same_version(backend: AzureBackend, aml_double: AzureMLDouble, trained: str) -> None:
    outs = backend.register_model(model_props(aml_double, trained))

    updated = backend.register_model(model_props(aml_double, trained, description="better words", version=outs["version"]))

    assert updated == outs
    assert model_puts(aml_double)[-1].body["properties"]["description"] == "better words"


def test_sweep_model_comes_from_the_best_trial(backend: AzureBackend, aml_double: AzureMLDouble, project: Project) -> None:
    aml_double.script_next_job(metrics=[0.71, 0.93, 0.88])
    job = backend.submit_job(sweep_job(aml_double, project))

    outs = backend.register_model(model_props(aml_double, job["name"]))

    assert job["best_trial"] == f"{SWEEP}_1"
    assert job["outputs"] == {"model": f"azureml://jobs/{SWEEP}/outputs/model"}
    assert model_puts(aml_double)[0].body["properties"]["modelUri"].endswith(f"jobs/{SWEEP}_1/outputs/model")
    assert outs["version"] == "1"


def test_model_from_an_unfinished_job_is_refused(backend: AzureBackend, aml_double: AzureMLDouble, project: Project) -> None:
    running = backend.submit_job(command_job(aml_double, project, wait=False))["name"]

    with pytest.raises(ModelSourceError, match="is Starting: a model is registered from a completed job"):
        backend.register_model(model_props(aml_double, running))
    assert not model_puts(aml_double)


def test_model_reads_back_and_is_gone_once_archived(backend: AzureBackend, aml_double: AzureMLDouble, trained: str) -> None:
    props = model_props(aml_double, trained)
    outs = {**props, **backend.register_model(props)}

    assert backend.read_model(outs) == {"version": "1", "uri": "azureml:iris-classifier:1"}
    backend.archive_model(outs)
    assert backend.read_model(outs) is None


def model_version(double: AzureMLDouble, version: str) -> dict:
    return double.versions["models"]["iris-classifier"][version]["properties"]


@pytest.mark.parametrize(
    "change", [{"type": "custom_model"}, {"definition": {"properties": {"framework": "sklearn"}}}], ids=["type", "model-file"]
)
def test_replacement_is_a_new_active_version_that_outlives_the_old_ones_archiving(
    backend: AzureBackend, aml_double: AzureMLDouble, azurite: Azurite, trained: str, change: dict
) -> None:
    old = {**model_props(aml_double, trained), **backend.register_model(model_props(aml_double, trained))}
    # The engine creates the replacement first, then deletes the resource it replaces.
    new = {**model_props(aml_double, trained, **change), **backend.register_model(model_props(aml_double, trained, **change))}
    backend.archive_model(old)

    assert (old["version"], new["version"]) == ("1", "2")
    assert backend.read_model(old) is None
    assert backend.read_model(new) == {"version": "2", "uri": "azureml:iris-classifier:2"}
    assert (model_version(aml_double, "1")["isArchived"], model_version(aml_double, "2")["isArchived"]) == (True, False)
    assert model_version(aml_double, "2")["modelUri"].endswith(f"jobs/{trained}/outputs/model")
    assert azurite.list_blobs(aml_double.blob_container, prefix=f"azureml/{trained}/model/") == [f"azureml/{trained}/model/MLmodel"]


def test_an_archived_version_is_never_adopted(backend: AzureBackend, aml_double: AzureMLDouble, trained: str) -> None:
    props = model_props(aml_double, trained)
    first = {**props, **backend.register_model(props)}
    backend.archive_model(first)  # say, the stack replaced this model, then came back to it

    again = backend.register_model(props)

    assert (first["version"], again["version"]) == ("1", "2")
    assert backend.read_model({**props, **again}) == again


def test_a_pinned_version_that_exists_with_other_content_is_refused(backend: AzureBackend, aml_double: AzureMLDouble, trained: str) -> None:
    backend.register_model(model_props(aml_double, trained, definition={"version": "7"}))

    with pytest.raises(ModelVersionError, match="iris-classifier:7 already exists"):
        backend.register_model(model_props(aml_double, trained, type="custom_model", definition={"version": "7"}))
    assert model_version(aml_double, "7")["modelType"] == "mlflow_model"
