"""Registries against the double: a registered model version shared to a registry (discovery, then the import of the
workspace's version), adopted on a re-run, and taken by another stack at its exact registry version."""

from __future__ import annotations

import pytest

from components.provider.azure.backend import AzureBackend
from components.provider.azure.errors import ModelVersionError
from tests.azureml_double import AzureMLDouble
from tests.provider.azure.builders import Project, command_job, model_props, workspace

pytestmark = pytest.mark.usefixtures("registered_environment")  # the job here names azureml:sklearn:1
URI = "azureml://registries/shared/models/iris-classifier/versions/{}"


@pytest.fixture
def registered(backend: AzureBackend, aml_double: AzureMLDouble, project: Project) -> dict:
    aml_double.add_registry("shared")
    trained = backend.submit_job(command_job(aml_double, project))["name"]
    return backend.register_model(model_props(aml_double, trained))


def share_props(aml_double: AzureMLDouble, version: str) -> dict:
    return {"workspace": workspace(aml_double), "registry": "shared", "name": "iris-classifier", "version": version}


def test_a_registered_version_is_shared_to_the_registry_under_its_version(
    backend: AzureBackend, aml_double: AzureMLDouble, registered: dict
) -> None:
    shared = backend.share_model(share_props(aml_double, registered["version"]))

    assert shared == {"registry_version": registered["version"], "uri": URI.format(registered["version"])}
    assert aml_double.find("GET", r"^/registrymanagement/v1\.0/registries/shared/discovery$", 200)
    (imported,) = aml_double.find("POST", r"/registries/shared/import$", 202)
    source = imported.body["properties"]["sourceAssetId"]
    assert source == f"azureml://locations/{aml_double.location}/workspaces/{aml_double.workspace_id}/models/iris-classifier/versions/1"
    copied = aml_double.registries.model("shared", "iris-classifier", registered["version"])
    assert copied["properties"]["properties"]["azureml-training.output"] == "model", "the copy keeps the version's lineage"


def test_sharing_again_adopts_the_version_instead_of_importing_twice(
    backend: AzureBackend, aml_double: AzureMLDouble, registered: dict
) -> None:
    first = backend.share_model(share_props(aml_double, registered["version"]))
    again = AzureBackend(workspace(aml_double)).share_model(share_props(aml_double, registered["version"]))

    assert first == again
    assert len(aml_double.find("POST", r"/registries/shared/import$")) == 1


def test_a_registry_version_shared_from_elsewhere_is_refused_message_first(
    backend: AzureBackend, aml_double: AzureMLDouble, registered: dict
) -> None:
    backend.share_model(share_props(aml_double, registered["version"]))
    copied = aml_double.registries.model("shared", "iris-classifier", registered["version"])
    copied["properties"]["properties"]["azureml-training.run"] = "another-run"

    with pytest.raises(ModelVersionError, match=r"^registry shared already holds model iris-classifier:1, shared from another"):
        backend.share_model(share_props(aml_double, registered["version"]))


def test_another_stack_takes_the_exact_registry_version(backend: AzureBackend, aml_double: AzureMLDouble, registered: dict) -> None:
    shared = backend.share_model(share_props(aml_double, registered["version"]))
    taken = {**share_props(aml_double, shared["registry_version"])}

    assert backend.resolve_registry_model(taken) == {"uri": URI.format(shared["registry_version"])}
    assert backend.read_registry_model(taken) == {"uri": URI.format(shared["registry_version"])}
    assert aml_double.find("GET", r"/registries/shared/models/iris-classifier/versions/1$", 200)


def test_taking_a_version_the_registry_lacks_fails_message_first(
    backend: AzureBackend, aml_double: AzureMLDouble, registered: dict
) -> None:
    with pytest.raises(ModelVersionError, match=r"^model iris-classifier: version 9 is not in registry shared; run `pulumi up`"):
        backend.resolve_registry_model(share_props(aml_double, "9"))
    assert backend.read_registry_model(share_props(aml_double, "9")) is None


def test_a_deployment_of_the_consuming_workspace_serves_the_registry_version(
    backend: AzureBackend, aml_double: AzureMLDouble, registered: dict
) -> None:
    shared = backend.share_model(share_props(aml_double, registered["version"]))
    definition = {"name": "blue", "endpoint_name": "clf", "instance_type": "Standard_DS3_v2", "instance_count": 1}
    deployment = {"workspace": workspace(aml_double), "endpoint_name": "clf", "name": "blue", "definition": definition}
    backend.put_endpoint({"workspace": workspace(aml_double), "name": "clf", "definition": {"name": "clf", "auth_mode": "key"}})

    backend.put_deployment({**deployment, "model": shared["uri"]})

    (put,) = aml_double.find("PUT", r"/onlineEndpoints/clf/deployments/blue$", 201)
    assert put.body["properties"]["model"] == URI.format(1)
    with pytest.raises(Exception, match=r"iris-classifier:9 .* could not be found"):
        backend.put_deployment({**deployment, "model": URI.format(9)})
