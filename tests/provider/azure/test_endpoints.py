"""Online endpoints, deployments and traffic on Azure ML (the double), through azure-ai-ml: created in order, keys as
outputs the resource keeps secret, a failed deployment message first with its log, and destroy in reverse order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from components.provider.azure.backend import AzureBackend
from components.provider.azure.errors import ProvisioningFailedError
from tests.azureml_double import AzureMLDouble
from tests.provider.azure.builders import workspace

ENDPOINT = "breast-cancer"
MODEL = "azureml:breast-cancer-classifier:1"


@pytest.fixture(autouse=True)
def registered_model(aml_double: AzureMLDouble) -> str:
    """The model the deployments serve, registered before the test: the service refuses a deployment of a missing one."""
    aml_double.add_model("breast-cancer-classifier", "1")
    return MODEL


def endpoint_props(double: AzureMLDouble, **definition: Any) -> dict[str, Any]:
    body = {"name": ENDPOINT, "auth_mode": "key", **definition}
    return {"workspace": workspace(double), "name": ENDPOINT, "definition": body}


def deployment_props(double: AzureMLDouble, name: str = "blue", model: str = MODEL) -> dict[str, Any]:
    definition = {"name": name, "endpoint_name": ENDPOINT, "instance_type": "Standard_DS3_v2", "instance_count": 1}
    return {"workspace": workspace(double), "endpoint_name": ENDPOINT, "name": name, "model": model, "definition": definition}


def traffic_props(double: AzureMLDouble, traffic: dict[str, int]) -> dict[str, Any]:
    return {"workspace": workspace(double), "name": ENDPOINT, "traffic": traffic, "mirror_traffic": {}}


@pytest.fixture
def served(backend: AzureBackend, aml_double: AzureMLDouble) -> dict[str, Any]:
    """An endpoint serving the model from one deployment that takes all its traffic."""
    endpoint = backend.put_endpoint(endpoint_props(aml_double))
    backend.put_deployment(deployment_props(aml_double))
    backend.put_traffic(traffic_props(aml_double, {"blue": 100}))
    return endpoint


def test_endpoint_is_created_and_waited_for_with_its_scoring_uri_and_the_services_keys(
    backend: AzureBackend, aml_double: AzureMLDouble
) -> None:
    outs = backend.put_endpoint(endpoint_props(aml_double))

    assert outs["scoring_uri"] == f"https://{ENDPOINT}.{aml_double.location}.inference.ml.azure.com/score"
    keys = aml_double.online.endpoints[ENDPOINT].keys
    assert (outs["primary_key"], outs["secondary_key"]) == (keys["primary"], keys["secondary"])
    assert aml_double.find("POST", rf"/onlineEndpoints/{ENDPOINT}/listKeys$")
    assert aml_double.online.endpoints[ENDPOINT].state == "Succeeded"


def test_keys_are_never_reported(backend: AzureBackend, aml_double: AzureMLDouble, capsys: pytest.CaptureFixture[str]) -> None:
    outs = backend.put_endpoint(endpoint_props(aml_double))

    said = capsys.readouterr()
    assert outs["primary_key"] not in said.err + said.out
    assert outs["secondary_key"] not in said.err + said.out


def test_deployment_serves_the_stacks_model_version_and_traffic_goes_to_it(
    backend: AzureBackend, aml_double: AzureMLDouble, served: dict[str, Any]
) -> None:
    put = aml_double.find("PUT", rf"/onlineEndpoints/{ENDPOINT}/deployments/blue$")[0].body["properties"]
    assert put["model"].endswith("/models/breast-cancer-classifier/versions/1")
    assert put["instanceType"] == "Standard_DS3_v2"
    assert aml_double.online.deployments[(ENDPOINT, "blue")].state == "Succeeded"
    assert aml_double.online.endpoints[ENDPOINT].body["properties"]["traffic"] == {"blue": 100}
    assert backend.read_traffic(traffic_props(aml_double, {"blue": 100})) == {"traffic": {"blue": 100}, "mirror_traffic": {}}


def test_deployment_progress_is_reported_while_it_provisions(
    backend: AzureBackend, aml_double: AzureMLDouble, capsys: pytest.CaptureFixture[str]
) -> None:
    backend.put_endpoint(endpoint_props(aml_double))
    capsys.readouterr()

    backend.put_deployment(deployment_props(aml_double))

    err = capsys.readouterr().err
    assert f"deployment {ENDPOINT}/blue: creating it to serve {MODEL}" in err
    assert f"deployment {ENDPOINT}/blue: Creating" in err
    assert f"deployment {ENDPOINT}/blue: Succeeded after" in err


def test_traffic_can_name_only_deployments_that_exist(backend: AzureBackend, aml_double: AzureMLDouble) -> None:
    backend.put_endpoint(endpoint_props(aml_double))

    with pytest.raises(Exception, match="Deployment green does not exist"):
        backend.put_traffic(traffic_props(aml_double, {"green": 100}))


def test_a_new_model_version_updates_the_deployment_in_place(
    backend: AzureBackend, aml_double: AzureMLDouble, served: dict[str, Any]
) -> None:
    aml_double.add_model("breast-cancer-classifier", "2")

    backend.put_deployment(deployment_props(aml_double, model="azureml:breast-cancer-classifier:2"))

    puts = aml_double.find("PUT", rf"/onlineEndpoints/{ENDPOINT}/deployments/blue$")
    assert puts[-1].body["properties"]["model"].endswith("/versions/2")
    assert aml_double.find("DELETE", r"/deployments/") == []
    assert aml_double.online.endpoints[ENDPOINT].body["properties"]["traffic"] == {"blue": 100}


def test_an_endpoint_update_keeps_its_traffic_and_keys(backend: AzureBackend, aml_double: AzureMLDouble, served: dict[str, Any]) -> None:
    updated = backend.put_endpoint(endpoint_props(aml_double, description="serves the classifier"))

    endpoint = aml_double.online.endpoints[ENDPOINT]
    assert endpoint.body["properties"]["description"] == "serves the classifier"
    assert endpoint.body["properties"]["traffic"] == {"blue": 100}
    assert updated["primary_key"] == served["primary_key"]


def test_a_failed_deployment_reads_message_first_with_its_log_tail(backend: AzureBackend, aml_double: AzureMLDouble) -> None:
    backend.put_endpoint(endpoint_props(aml_double))
    log = "\n".join(f"line {i}" for i in range(50)) + "\nModuleNotFoundError: No module named 'sklearn'"
    aml_double.online.script_deployment(
        ENDPOINT,
        "blue",
        outcome="Failed",
        error_code="ResourceNotReady",
        error_message="User container has crashed or terminated.",
        log=log,
    )

    with pytest.raises(ProvisioningFailedError) as failure:
        backend.put_deployment(deployment_props(aml_double))

    message = str(failure.value)
    first, *rest = message.splitlines()
    assert first == (
        f"deployment {ENDPOINT}/blue (serving {MODEL}) ended Failed: ResourceNotReady: User container has crashed or terminated."
    )
    assert "  last 30 lines of its inference-server container's log:" in rest
    assert rest[-2] == "    ModuleNotFoundError: No module named 'sklearn'"
    assert "line 19" not in message  # only the tail
    assert rest[-1].startswith("Fix what the log names")


def test_read_says_gone_when_the_endpoint_was_deleted_outside_the_stack(
    backend: AzureBackend, aml_double: AzureMLDouble, served: dict[str, Any]
) -> None:
    aml_double.online.endpoints.clear()
    aml_double.online.deployments.clear()

    assert backend.read_endpoint({"workspace": workspace(aml_double), "name": ENDPOINT}) is None
    assert backend.read_deployment(deployment_props(aml_double)) is None
    assert backend.read_traffic(traffic_props(aml_double, {"blue": 100})) is None


def test_destroy_removes_traffic_then_the_deployment_then_the_endpoint(
    backend: AzureBackend, aml_double: AzureMLDouble, served: dict[str, Any]
) -> None:
    backend.delete_traffic(traffic_props(aml_double, {"blue": 100}))
    backend.delete_deployment(deployment_props(aml_double))
    backend.delete_endpoint({"workspace": workspace(aml_double), "name": ENDPOINT})

    deletes = [r.path.rsplit("/onlineEndpoints/", 1)[1] for r in aml_double.find("DELETE", r"/onlineEndpoints/")]
    assert deletes == [f"{ENDPOINT}/deployments/blue", ENDPOINT]
    assert aml_double.online.endpoints == {}
    assert aml_double.online.deployments == {}


def test_a_deployment_that_still_takes_traffic_cannot_be_deleted(
    backend: AzureBackend, aml_double: AzureMLDouble, served: dict[str, Any]
) -> None:
    with pytest.raises(Exception, match="still takes traffic"):
        backend.delete_deployment(deployment_props(aml_double))


def test_a_scoring_scripts_code_is_uploaded_from_the_deployments_folder(
    backend: AzureBackend, aml_double: AzureMLDouble, tmp_path: Path
) -> None:
    (tmp_path / "endpoints" / "src").mkdir(parents=True)
    (tmp_path / "endpoints" / "src" / "score.py").write_text("def init():\n    pass\n\n\ndef run(raw):\n    return raw\n")
    aml_double.add_environment("sklearn", "1")
    backend.put_endpoint(endpoint_props(aml_double))
    props = deployment_props(aml_double)
    props["definition"] |= {"code_configuration": {"code": "src", "scoring_script": "score.py"}, "environment": "azureml:sklearn:1"}

    backend.put_deployment({**props, "base_dir": str(tmp_path / "endpoints"), "code_hash": "h"})

    put = aml_double.find("PUT", rf"/onlineEndpoints/{ENDPOINT}/deployments/blue$")[0].body["properties"]
    assert put["codeConfiguration"]["scoringScript"] == "score.py"
    assert aml_double.find("PUT", r"/codes/[^/]+/versions/[^/]+$")
    assert put["environmentId"].endswith("/environments/sklearn/versions/1")


def test_a_token_authenticated_endpoint_has_no_keys(backend: AzureBackend, aml_double: AzureMLDouble) -> None:
    outs = backend.put_endpoint(endpoint_props(aml_double, auth_mode="aml_token"))

    assert outs["primary_key"] is None and outs["secondary_key"] is None
    assert outs["scoring_uri"].endswith("/score")
    assert aml_double.find("POST", r"/listKeys$") == []


def test_a_deployment_still_provisioning_after_an_interrupted_up_is_waited_for_then_updated(
    backend: AzureBackend, aml_double: AzureMLDouble, capsys: pytest.CaptureFixture[str]
) -> None:
    from azure.ai.ml import load_online_deployment

    from components.provider.azure.loading import load_entity

    backend.put_endpoint(endpoint_props(aml_double))
    props = deployment_props(aml_double)
    interrupted = load_entity(load_online_deployment, {**props["definition"], "model": MODEL}, None)
    backend.ml.online_deployments.begin_create_or_update(interrupted)  # the killed `up`'s PUT, never waited for
    capsys.readouterr()

    backend.put_deployment(props)

    err = capsys.readouterr().err
    assert err.index(f"deployment {ENDPOINT}/blue: Succeeded after") < err.index(f"deployment {ENDPOINT}/blue: updating it")
    assert len(aml_double.find("PUT", rf"/onlineEndpoints/{ENDPOINT}/deployments/blue$")) == 2


def test_a_failed_endpoint_reads_message_first_with_the_services_reason(backend: AzureBackend, aml_double: AzureMLDouble) -> None:
    aml_double.online.script_endpoint(ENDPOINT, outcome="Failed", error_code="QuotaExceeded", error_message="No endpoint quota left.")

    with pytest.raises(ProvisioningFailedError) as failure:
        backend.put_endpoint(endpoint_props(aml_double))

    first, advice = str(failure.value).splitlines()
    assert first == f"endpoint {ENDPOINT} ended Failed: QuotaExceeded: No endpoint quota left."
    assert advice.startswith("Fix what it names")
