"""Environments and data assets: created from their YAML relative to its folder, read back, archived on delete."""

from __future__ import annotations

from components.provider.azure.backend import AzureBackend
from tests.azureml_double import AzureMLDouble, Azurite
from tests.provider.azure.builders import Project, data_props, environment_props


def test_environment_is_created_with_its_conda_file_resolved_from_the_yaml_folder(
    backend: AzureBackend, aml_double: AzureMLDouble, project: Project
) -> None:
    outs = backend.put_environment(environment_props(aml_double, project, version="3"))

    assert outs == {"asset_id": "azureml:sklearn:3"}
    put = aml_double.find("PUT", r"/environments/sklearn/versions/3$")[-1]
    assert "scikit-learn==1.5.2" in put.body["properties"]["condaFile"]


def test_environment_reads_back_and_is_gone_once_archived(backend: AzureBackend, aml_double: AzureMLDouble, project: Project) -> None:
    props = environment_props(aml_double, project)
    outs = {**props, **backend.put_environment(props)}

    assert backend.read_environment(outs) == {"asset_id": "azureml:sklearn:1"}
    backend.archive_environment(outs)
    assert backend.read_environment(outs) is None
    backend.archive_environment(outs)  # archiving again is harmless


def test_missing_environment_reads_as_none(backend: AzureBackend, aml_double: AzureMLDouble, project: Project) -> None:
    assert backend.read_environment(environment_props(aml_double, project, version="9")) is None


def test_data_file_is_uploaded_and_its_datastore_path_returned(
    backend: AzureBackend, aml_double: AzureMLDouble, azurite: Azurite, project: Project
) -> None:
    outs = backend.put_data(data_props(aml_double, project))

    assert outs["asset_id"] == "azureml:iris:1"
    # The service answers the long form of the datastore URI (recorded: test_create_uri_file).
    workspace = (
        f"azureml://subscriptions/{aml_double.subscription_id}/resourcegroups/{aml_double.resource_group}/workspaces/{aml_double.workspace}"
    )
    assert outs["path"].startswith(f"{workspace}/datastores/workspaceblobstore/paths/LocalUpload/")
    assert outs["path"].endswith("/iris.csv")
    blob = outs["path"].split("/paths/", 1)[1]
    assert azurite.read_blob(aml_double.blob_container, blob) == (project.root / "data" / "iris.csv").read_bytes()


def test_data_reads_back_and_is_gone_once_archived(backend: AzureBackend, aml_double: AzureMLDouble, project: Project) -> None:
    props = data_props(aml_double, project)
    outs = {**props, **backend.put_data(props)}

    assert backend.read_data(outs) == {"asset_id": "azureml:iris:1", "path": outs["path"]}
    backend.archive_data(outs)
    assert backend.read_data(outs) is None
