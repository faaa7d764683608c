"""The double refuses and answers what the recorded service refuses and answers (raw HTTP, no SDK: fast).

Each test names the recording (../shared/azureml-recordings) the rule comes from.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.azureml_double import AzureMLDouble
from tests.azureml_double.conformance.client import DoubleClient

JOBS_API = "2025-01-01-preview"
READ_API = "2024-01-01-preview"


@pytest.fixture(scope="module")
def _server() -> Iterator[AzureMLDouble]:
    with AzureMLDouble() as double:
        yield double


@pytest.fixture
def double(_server: AzureMLDouble) -> AzureMLDouble:
    _server.reset()
    _server.add_compute("cpu-cluster")
    _server.add_environment("sklearn", "1")
    return _server


@pytest.fixture
def client(double: AzureMLDouble) -> Iterator[DoubleClient]:
    connection = DoubleClient(double.port)
    yield connection
    connection.close()


def url(double: AzureMLDouble, rest: str, api: str) -> str:
    return f"{double.workspace_arm_id}{rest}?api-version={api}"


def command_job(double: AzureMLDouble, **changes: Any) -> dict[str, Any]:
    ws = double.workspace_arm_id
    props = {
        "jobType": "Command",
        "command": "python train.py",
        "environmentId": f"{ws}/environments/sklearn/versions/1",
        "computeId": f"{ws}/computes/cpu-cluster",
        "experimentName": "rules",
        "inputs": {},
        "outputs": {},
    }
    return {"properties": {**props, **changes}}


def put_job(double: AzureMLDouble, client: DoubleClient, name: str = "job-1", **changes: Any):
    return client.send("PUT", url(double, f"/jobs/{name}", JOBS_API), command_job(double, **changes))


def error_of(answer) -> dict[str, Any]:
    error = answer.body["error"]
    assert {"code", "message", "details", "additionalInfo"} <= set(error)
    return error


def inner_codes(error: dict[str, Any]) -> list[str]:
    inner = next(i["info"]["value"] for i in error["additionalInfo"] if i["type"] == "InnerError")
    codes = []
    while inner:
        codes.append(inner["code"])
        inner = inner["innerError"]
    return codes


def test_unknown_compute_is_refused_with_the_services_error(double, client) -> None:
    # test_command_job_invalid_datastore
    answer = put_job(double, client, computeId=f"{double.workspace_arm_id}/computes/testCompute")

    assert answer.status == 400
    error = error_of(answer)
    assert (error["code"], error["message"]) == ("UserError", "Unknown compute target 'testCompute'.")
    assert inner_codes(error) == ["BadArgument", "UnknownTargetType"]
    assert "testCompute" not in double.jobs


def test_computes_are_only_those_a_test_made(double, client) -> None:
    assert client.send("GET", url(double, "/computes/cpu-cluster", "2023-08-01-preview"), None).status == 200
    assert client.send("GET", url(double, "/computes/gpu-cluster", "2023-08-01-preview"), None).status == 404


def test_unknown_member_on_an_output_is_refused_for_every_output_before_the_compute(double, client) -> None:
    # test_command_job_register_output: assetVersion is no member of a 2025-01-01-preview job output.
    outputs = {name: {"assetName": name, "assetVersion": "2", "jobOutputType": "uri_folder"} for name in ("a", "b")}
    answer = put_job(double, client, outputs=outputs, computeId=f"{double.workspace_arm_id}/computes/testCompute")

    assert answer.status == 400
    error = error_of(answer)
    assert error["message"] == "Request is invalid and/or missing fields."
    assert [d["code"] for d in error["details"]] == ["RequestInvalid", "RequestInvalid"]
    assert error["details"][0]["message"].startswith("Could not find member 'assetVersion' on object of type 'UriFolderJobOutput'.")


def test_missing_environment_is_refused(double, client) -> None:
    answer = put_job(double, client, environmentId=f"{double.workspace_arm_id}/environments/sklearn/versions/9")

    assert answer.status == 404
    assert "sklearn:9" in error_of(answer)["message"]


def test_invalid_job_name_is_refused(double, client) -> None:
    answer = put_job(double, client, name="-starts-with-a-dash")

    assert answer.status == 400
    assert inner_codes(error_of(answer)) == ["BadArgument", "InvalidName"]


def test_repeating_a_put_with_another_command_is_refused_and_changes_nothing(double, client) -> None:
    put_job(double, client)

    answer = put_job(double, client, command="python other.py")

    assert answer.status == 400
    assert "command cannot be changed" in error_of(answer)["message"]
    assert double.job("job-1").resource["properties"]["command"] == "python train.py"
    assert put_job(double, client, displayName="renamed").status == 200


def test_an_api_version_the_sdk_does_not_send_is_refused(double, client) -> None:
    answer = client.send("PUT", url(double, "/jobs/job-1", "2099-01-01"), command_job(double))

    assert answer.status == 400
    assert answer.body["error"]["code"] == "NoRegisteredProviderFound"
    assert "job-1" not in double.jobs


def test_command_job_goes_through_the_services_statuses(double, client) -> None:
    # test_command_job_dependency_label_resolution (201 Starting), test_command_job_with_dataset (GET Preparing)
    created = put_job(double, client)
    seen = [created.body["properties"]["status"]]
    while not double.job("job-1").terminal:
        double.tick()
        seen.append(client.send("GET", url(double, "/jobs/job-1", READ_API), None).body["properties"]["status"])

    assert (created.status, "Location" in created.headers) == (201, True)
    assert seen == ["Starting", "Preparing", "Queued", "Running", "Finalizing", "Completed"]


def test_a_serverless_job_has_no_cluster_name_and_its_queue_settings_a_priority(double, client) -> None:
    # test_command_job_serverless: no computeId; queueSettings sent with a jobTier only
    put = put_job(double, client, computeId=None, queueSettings={"jobTier": "Standard"}).body["properties"]
    read = client.send("GET", url(double, "/jobs/job-1", READ_API), None).body["properties"]

    assert put["properties"]["_azureml.ClusterName"] is None and read["properties"]["_azureml.ClusterName"] is None
    assert put["queueSettings"] == {"jobTier": "Standard"}
    assert read["queueSettings"] == {"jobTier": "Standard", "priority": None}


def test_a_job_input_answers_the_members_of_its_model_at_the_api_version(double, client) -> None:
    # test_command_job_with_dataset, test_command_job_serverless, test_schedule_lifetime (a literal input's description)
    data = {"jobInputType": "uri_folder", "uri": "azureml://datastores/workspaceblobstore/paths/x/", "pathOnCompute": "/mnt/x"}
    inputs = {"data": data, "n": {"jobInputType": "literal", "value": "3"}}

    put = put_job(double, client, inputs=inputs).body["properties"]["inputs"]
    read = client.send("GET", url(double, "/jobs/job-1", READ_API), None).body["properties"]["inputs"]

    assert put["data"] == {"jobInputType": "uri_folder", "description": None, "uri": data["uri"], "mode": "ReadOnlyMount"}
    assert put["n"] == read["n"] == {"jobInputType": "literal", "description": None, "value": "3"}
    assert read["data"]["pathOnCompute"] is None  # not a member at the PUT's api-version: not kept


def test_a_put_of_a_finished_job_as_read_is_accepted_and_answers_its_state(double, client) -> None:
    # a PUT of an existing job changes its metadata only and answers the job as it is; the SDK archives a job by
    # sending it back as read, with the members the service filled in
    put_job(double, client)
    double.run_to_completion("job-1")
    read = client.send("GET", url(double, "/jobs/job-1", READ_API), None).body

    again = client.send("PUT", url(double, "/jobs/job-1", READ_API), {"properties": {**read["properties"], "isArchived": True}})

    assert (again.status, again.body["properties"]["status"], again.body["properties"]["isArchived"]) == (200, "Completed", True)


def test_the_service_adds_a_default_output(double, client) -> None:
    outputs = put_job(double, client).body["properties"]["outputs"]

    assert outputs["default"]["uri"] == "azureml://datastores/workspaceartifactstore/ExperimentRun/dcid.job-1"


def test_a_paused_job_stays_paused_on_the_clock(double, client) -> None:
    double.script_next_job(outcome="Paused")
    put_job(double, client)

    assert double.run_to_completion("job-1") == "Paused"
    double.tick(5)
    assert double.job_status("job-1") == "Paused"


def cancel(double: AzureMLDouble, client: DoubleClient, name: str = "job-1"):
    return client.send("POST", url(double, f"/jobs/{name}/cancel", "2023-04-01-preview"), None)


def test_cancel_answers_a_subscription_scoped_operation_without_retry_after(double, client) -> None:
    # test_simple_foreach_string_item: 202, Location …/locations/{region}/mfeOperationResults/jc:{workspace id}:{job}
    put_job(double, client)

    answer = cancel(double, client)

    assert answer.status == 202
    location = answer.headers["Location"]
    expected = f"/subscriptions/{double.subscription_id}/providers/Microsoft.MachineLearningServices/locations/{double.location}"
    assert f"{expected}/mfeOperationResults/jc:{double.workspace_id}:job-1?" in location
    assert "Retry-After" not in answer.headers
    assert double.job_status("job-1") == "CancelRequested"


def test_the_cancel_operation_answers_202_for_the_set_number_of_polls_then_the_job_is_canceled(double, client) -> None:
    double.cancel_polls = 3
    put_job(double, client)
    location = cancel(double, client).headers["Location"]
    path = location.split("management.azure.com", 1)[1]

    statuses = [client.send("GET", path, None).status for _ in range(4)]

    assert statuses == [202, 202, 202, 200]
    assert double.job_status("job-1") == "Canceled"


def test_canceling_a_job_that_ended_changes_nothing(double, client) -> None:
    put_job(double, client)
    double.complete_job("job-1")

    answer = cancel(double, client)
    path = answer.headers["Location"].split("management.azure.com", 1)[1]

    assert (answer.status, client.send("GET", path, None).status) == (202, 200)
    assert double.job_status("job-1") == "Completed"


def test_sweep_job_runs_at_once_and_answers_its_goal_capitalised(double, client) -> None:
    # test_sweep_job_await_completion: 201 Running, objective.goal "Maximize"
    ws = double.workspace_arm_id
    trial = {"command": "python train.py", "environmentId": f"{ws}/environments/sklearn/versions/1"}
    sweep = {
        "jobType": "Sweep",
        "trial": trial,
        "objective": {"goal": "maximize", "primaryMetric": "accuracy"},
        "samplingAlgorithm": {"samplingAlgorithmType": "Random"},
        "searchSpace": {"lr": ["uniform", [0.01, 0.1]]},
        "limits": {"jobLimitsType": "Sweep", "maxTotalTrials": 2},
        "computeId": f"{ws}/computes/cpu-cluster",
    }
    answer = client.send("PUT", url(double, "/jobs/sweep-1", READ_API), {"properties": sweep})

    assert answer.body["properties"]["status"] == "Running"
    assert answer.body["properties"]["objective"]["goal"] == "Maximize"


def test_a_model_name_never_registered_lists_as_model_not_found(double, client) -> None:
    # test_crud_file
    answer = client.send("GET", url(double, "/models/never/versions", "2023-08-01-preview") + "&$top=1", None)

    assert answer.status == 404
    error = error_of(answer)
    assert error["details"][0]["code"] == "ModelNotFound"


def test_environment_comes_back_as_the_service_stores_it(double, client) -> None:
    # test_environment_create_conda
    conda = "name: train\ndependencies:\n- python=3.11\n"
    body = {"properties": {"image": "python:3.11-slim", "condaFile": conda}}
    props = client.send("PUT", url(double, "/environments/conda-env/versions/1", "2023-04-01-preview"), body).body["properties"]

    assert json.loads(props["condaFile"]) == {"name": "train", "dependencies": ["python=3.11"]}
    assert (props["autoRebuild"], props["stage"], props["properties"]["azureml.labels"]) == ("Disabled", "Development", "latest")


def test_data_version_comes_back_with_the_long_form_datastore_uri(double, client) -> None:
    # test_create_uri_file
    body = {"properties": {"dataType": "uri_file", "dataUri": "azureml://datastores/workspaceblobstore/paths/LocalUpload/x/a.csv"}}
    props = client.send("PUT", url(double, "/data/table/versions/1", "2023-04-01-preview"), body).body["properties"]

    prefix = f"azureml://subscriptions/{double.subscription_id}/resourcegroups/{double.resource_group}/workspaces/{double.workspace}"
    assert props["dataUri"] == f"{prefix}/datastores/workspaceblobstore/paths/LocalUpload/x/a.csv"


def test_list_secrets_for_an_expirable_secret_answers_a_sas(double, client) -> None:
    # test_blob_store: expirableSecret -> secretsType Sas, whatever the datastore stores
    path = url(double, "/datastores/workspaceblobstore/listSecrets", "2024-07-01-preview")

    sas = client.send("POST", path, {"expirableSecret": True, "expireAfterHours": 1}).body
    stored = client.send("POST", path, None).body

    assert sas["secretsType"] == "Sas" and sas["sasToken"].startswith("?") and "srt=co" in sas["sasToken"]
    assert stored["secretsType"] == "AccountKey"


def test_anonymous_component_is_one_version_per_content(double, client) -> None:
    # test_pipeline_job__with_inline_component_file_in_component_folder: PUT …/azureml_anonymous/versions/{hash}
    spec = {"name": "azureml_anonymous", "version": "1", "type": "command", "command": "python hello.py", "is_deterministic": True}
    body = {"properties": {"isAnonymous": True, "componentSpec": spec}}
    path = url(double, "/components/azureml_anonymous/versions/0123abcd", "2024-01-01-preview")

    first, again = client.send("PUT", path, body), client.send("PUT", path, body)

    assert (first.status, again.status) == (201, 201)
    assert first.body["name"] == again.body["name"] != "0123abcd"
    assert first.body["properties"]["componentSpec"]["is_deterministic"] == "True"
    assert first.body["properties"]["componentSpec"]["resources"] == {"instance_count": "1"}


def test_anonymous_components_are_told_apart_by_their_content_not_the_hash_in_the_url(double, client) -> None:
    # test_schedule_lifetime: three steps' components PUT under the same (sanitised) hash, three versions answered
    path = url(double, "/components/azureml_anonymous/versions/000000", "2024-01-01-preview")
    hello, world = (
        {"properties": {"isAnonymous": True, "componentSpec": {"type": "command", "command": f"echo {w}"}}} for w in ("hello", "world")
    )

    first, second = client.send("PUT", path, hello), client.send("PUT", path, world)

    assert first.body["name"] != second.body["name"]
    assert second.body["properties"]["componentSpec"]["command"] == "echo world"


def component_spec(**changes: Any) -> dict[str, Any]:
    spec = {
        "$schema": "https://azuremlschemas.azureedge.net/development/commandComponent.schema.json",
        "name": "train",
        "version": "1",
        "type": "command",
        "is_deterministic": True,
        "command": "python train.py --n ${{inputs.n}} --data ${{inputs.data}} --out ${{outputs.model}}",
        "environment": "azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:33",
        "inputs": {"n": {"type": "number", "optional": True, "default": "10.99"}, "data": {"type": "uri_folder"}},
        "outputs": {"model": {"type": "uri_folder"}},
        "_source": "YAML.COMPONENT",
    }
    return {**spec, **changes}


def test_a_component_answers_the_spec_it_was_given_with_the_services_additions(double, client) -> None:
    # test_component_archive_restore_version, test_schedule_lifetime (@latest)
    latest = "azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest"
    body = {
        "properties": {
            "description": "trains",
            "isAnonymous": False,
            "componentSpec": component_spec(environment=latest, description="trains"),
        }
    }

    props = client.send("PUT", url(double, "/components/train/versions/1", "2024-01-01-preview"), body).body["properties"]
    spec = props["componentSpec"]

    sent = component_spec()
    assert (spec["$schema"], spec["outputs"], spec["command"]) == (sent["$schema"], sent["outputs"], sent["command"])
    assert "_source" not in spec and spec["is_deterministic"] == "True"
    assert (props["description"], spec["description"]) == (None, "trains")
    assert spec["inputs"] == {
        "n": {"type": "number", "optional": "True", "default": "10.99"},
        "data": {"type": "uri_folder", "optional": "False"},
    }
    assert spec["environment"].startswith("azureml://registries/azureml/environments/AzureML-sklearn-1.0-ubuntu20.04-py38-cpu/versions/")


def test_the_sdks_archive_reput_of_a_component_with_inputs_is_accepted(double, client) -> None:
    # test_component_archive_restore_version: the SDK archives by sending back the component as answered
    path = url(double, "/components/train/versions/1", "2024-01-01-preview")
    created = client.send("PUT", path, {"properties": {"isAnonymous": False, "componentSpec": component_spec()}}).body["properties"]

    archived = client.send("PUT", path, {"properties": {**created, "isArchived": True}})
    restored = client.send("PUT", path, {"properties": {**archived.body["properties"], "isArchived": False}})  # as read: stage Archived

    assert (archived.status, archived.body["properties"]["stage"]) == (200, "Archived")
    assert (restored.status, restored.body["properties"]["stage"]) == (200, "Development")


def test_a_version_a_user_registers_is_in_development_one_the_sdk_makes_anonymously_is_logged(double, client) -> None:
    # test_online_deployment_create (anonymous environment and model), test_crud_file, test_schedule_lifetime
    image = {"image": "python:3.11-slim"}
    named = client.send("PUT", url(double, "/environments/named/versions/1", "2023-04-01-preview"), {"properties": image}).body
    anonymous_path = url(double, "/environments/CliV2AnonymousEnvironment/versions/0a1b", "2023-04-01-preview")
    anonymous = client.send("PUT", anonymous_path, {"properties": {**image, "isAnonymous": True}}).body

    assert (named["properties"]["stage"], named["properties"]["properties"]["azureml.labels"]) == ("Development", "latest")
    assert (anonymous["properties"]["stage"], anonymous["properties"]["properties"]["azureml.labels"]) == ("Logged", "")


def test_a_version_list_leaves_out_anonymous_versions(double, client) -> None:
    # test_online_deployment_create: the endpoint's anonymous model exists, its name lists no version
    body = {
        "properties": {"isAnonymous": True, "modelType": "custom_model", "modelUri": "azureml://datastores/workspaceblobstore/paths/m/"}
    }
    client.send("PUT", url(double, "/models/endpoint-model/versions/1", "2023-08-01-preview"), body)

    listed = client.send("GET", url(double, "/models/endpoint-model/versions", "2023-08-01-preview") + "&$top=1", None)

    assert (listed.status, listed.body["value"]) == (200, [])


def test_a_model_uri_in_long_form_is_stored_with_resource_groups_capitalised(double, client) -> None:
    # test_crud_file, test_promote_model: sent ".../resourcegroups/...", answered ".../resourceGroups/..."
    ids = f"azureml://subscriptions/{double.subscription_id}/resourcegroups/{double.resource_group}/workspaces/{double.workspace}"
    body = {"properties": {"modelType": "custom_model", "modelUri": f"{ids}/datastores/workspaceblobstore/paths/m/"}}
    path = url(double, "/models/m/versions/1", "2023-08-01-preview")

    created = client.send("PUT", path, body).body["properties"]["modelUri"]
    again = client.send("PUT", path, body)

    assert created == body["properties"]["modelUri"].replace("/resourcegroups/", "/resourceGroups/")
    assert again.status == 200


def test_list_secrets_of_an_identity_based_datastore_is_refused(double, client) -> None:
    # test_online_deployment_create: the workspace's blob store has credentials of type None
    double.set_datastore_credentials_type("workspaceblobstore", "None")

    answer = client.send("POST", url(double, "/datastores/workspaceblobstore/listSecrets", "2024-07-01-preview"), {"expirableSecret": True})

    assert answer.status == 400
    assert error_of(answer)["message"] == "No secrets for credentials of type None."


def test_an_unknown_member_of_a_job_is_refused(double, client) -> None:
    answer = put_job(double, client, commandLine="python train.py")

    assert answer.status == 400
    assert error_of(answer)["details"][0]["message"].startswith("Could not find member 'commandLine' on object of type 'CommandJob'.")


def test_an_environment_version_keeps_its_image(double, client) -> None:
    path = url(double, "/environments/sklearn/versions/1", "2023-04-01-preview")

    answer = client.send("PUT", path, {"properties": {"image": "python:3.12-slim"}})

    assert answer.status == 400
    assert "image cannot be changed" in error_of(answer)["message"]
    archived = client.send(
        "PUT", path, {"properties": {"image": double.versions["environments"]["sklearn"]["1"]["properties"]["image"], "isArchived": True}}
    )
    assert (archived.status, archived.body["properties"]["isArchived"]) == (201, True)


def test_asset_names_may_hold_dots_but_not_start_with_one(double, client) -> None:
    body = {"properties": {"image": "python:3.11-slim"}}

    dotted = client.send("PUT", url(double, "/environments/sklearn-1.0/versions/1", "2023-04-01-preview"), body)
    leading = client.send("PUT", url(double, "/environments/.hidden/versions/1", "2023-04-01-preview"), body)

    assert (dotted.status, leading.status) == (201, 400)


def run_pipeline_with_a_failed_step(double: AzureMLDouble, client: DoubleClient) -> str:
    """A pipeline of two independent steps, ``prep`` scripted to fail; ran to its end."""
    spec = {"type": "command", "command": "python prep.py", "environment": "azureml:sklearn:1"}
    component = client.send(
        "PUT",
        url(double, "/components/azureml_anonymous/versions/0a1b", READ_API),
        {"properties": {"isAnonymous": True, "componentSpec": spec}},
    ).body["id"]
    steps = {name: {"type": "command", "componentId": component} for name in ("prep", "report")}
    body = {"properties": {"jobType": "Pipeline", "computeId": f"{double.workspace_arm_id}/computes/cpu-cluster", "jobs": steps}}
    double.script_next_job(steps={"prep": {"outcome": "Failed", "error_message": "no rows"}})
    assert client.send("PUT", url(double, "/jobs/pipe-1", READ_API), body).status == 201
    assert double.run_to_completion("pipe-1") == "Failed"
    return "pipe-1"


def test_a_pipelines_children_are_its_steps_runs_each_with_every_member_and_its_error(double, client) -> None:
    # test_pipeline_job_child_run_download: GET …/runs/{pipeline}/children, one page of run history Runs
    name = run_pipeline_with_a_failed_step(double, client)
    history = f"/history/v1.0{double.workspace_arm_id}/runs/{name}/children"

    answer = client.send("GET", history, None)

    assert answer.status == 200 and list(answer.body) == ["value"]
    runs = {run["displayName"]: run for run in answer.body["value"]}
    assert {step: run["status"] for step, run in runs.items()} == {"prep": "Failed", "report": "Completed"}
    failed = runs["prep"]
    assert (failed["error"]["error"]["code"], failed["error"]["error"]["message"]) == ("UserError", "no rows")
    assert (failed["runType"], failed["runTypeV2"]["traits"][0], failed["parentRunId"]) == ("azureml.StepRun", "azureml.StepRun", name)
    assert failed["compute"]["target"] == failed["target"] == "cpu-cluster"
    assert {"runNumber", "createdBy", "cancelUri", "actionUris", "inputDatasets", "queueingInfo"} <= set(failed)
    assert runs["report"]["error"] is None


def test_the_latest_label_is_on_the_newest_environment_version_only(double, client) -> None:
    # test_environment_archive_restore_version: after version 2, version 1 reads azureml.labels ""
    for version in ("1", "2"):
        client.send(
            "PUT", url(double, f"/environments/labelled/versions/{version}", "2023-04-01-preview"), {"properties": {"image": "python:3.11"}}
        )

    labels = {
        version: client.send("GET", url(double, f"/environments/labelled/versions/{version}", "2023-04-01-preview"), None).body[
            "properties"
        ]["properties"]["azureml.labels"]
        for version in ("1", "2")
    }

    assert labels == {"1": "", "2": "latest"}


def test_a_component_versions_display_name_and_description_may_change_not_what_it_runs(double, client) -> None:
    # test_component_update: the same version PUT again with another display name and description answers 200
    path = url(double, "/components/train/versions/1", "2024-01-01-preview")
    client.send("PUT", path, {"properties": {"componentSpec": component_spec()}})

    updated = client.send("PUT", path, {"properties": {"componentSpec": component_spec(display_name="Updated", description="Updated")}})
    changed = client.send("PUT", path, {"properties": {"componentSpec": component_spec(command="python other.py")}})

    assert updated.status == 200
    assert (updated.body["properties"]["componentSpec"]["display_name"], updated.body["properties"]["componentSpec"]["description"]) == (
        "Updated",
        "Updated",
    )
    assert changed.status == 400 and "componentSpec cannot be changed" in error_of(changed)["message"]


# Online endpoints and deployments (online.py) ---------------------------------------------------------------------
ENDPOINTS_API = "2022-02-01-preview"
DEPLOYMENTS_API = "2023-04-01-preview"


def put_endpoint(double: AzureMLDouble, client: DoubleClient, **properties: Any):
    body = {"location": "westus", "identity": {"type": "SystemAssigned"}, "properties": {"authMode": "Key", **properties}}
    return client.send("PUT", url(double, "/onlineEndpoints/ept", ENDPOINTS_API), body)


def put_deployment(double: AzureMLDouble, client: DoubleClient, name: str = "blue", model_version: str = "1"):
    model = f"{double.workspace_arm_id}/models/clf/versions/{model_version}"
    body = {"location": "westus", "properties": {"model": model, "instanceType": "Standard_DS3_v2", "endpointComputeType": "Managed"}}
    body["sku"] = {"name": "Default", "capacity": 1}
    return client.send("PUT", url(double, f"/onlineEndpoints/ept/deployments/{name}", DEPLOYMENTS_API), body)


def header(answer, name: str) -> str | None:
    return next((v for k, v in answer.headers.items() if k.lower() == name.lower()), None)


def test_an_endpoint_put_is_an_operation_the_endpoint_reads_creating_until_it_ends(double, client) -> None:
    # test_online_endpoint_e2e, test_online_deployment_create
    created = put_endpoint(double, client)

    assert created.status == 201
    assert "/mfeOperationsStatus/oeidp:" in header(created, "Azure-AsyncOperation")
    assert header(created, "x-ms-async-operation-timeout") == "PT30M"
    assert (created.body["properties"]["provisioningState"], created.body["properties"]["scoringUri"]) == ("Creating", None)
    operation = header(created, "Azure-AsyncOperation").split("management.azure.com", 1)[1]
    assert client.send("GET", operation, None).body["status"] == "Updating"
    double.tick(2)
    assert client.send("GET", operation, None).body["status"] == "Succeeded"
    read = client.send("GET", url(double, "/onlineEndpoints/ept", ENDPOINTS_API), None).body["properties"]
    assert (read["provisioningState"], read["scoringUri"]) == ("Succeeded", "https://ept.westus.inference.ml.azure.com/score")


def test_an_endpoint_update_answers_201_without_what_the_service_made_at_creation(double, client) -> None:
    # test_online_deployment_create: the traffic update
    put_endpoint(double, client)
    double.tick(2)

    updated = put_endpoint(double, client, description="now described")

    assert updated.status == 201
    assert not {"location", "identity"} & set(updated.body)
    assert set(updated.body["systemData"]) == {"lastModifiedAt"}
    assert "azureml.onlineendpointid" not in updated.body["properties"]["properties"]


def test_a_deployment_needs_its_model_and_traffic_needs_its_deployment(double, client) -> None:
    put_endpoint(double, client)
    double.tick(2)

    assert put_deployment(double, client).status == 404  # no model clf:1 yet
    double.add_model("clf", "1")
    assert put_deployment(double, client).status == 201
    refused = put_endpoint(double, client, traffic={"green": 100})
    assert refused.status == 400 and "green" in error_of(refused)["message"]


def test_a_deployment_with_traffic_is_not_deleted_and_the_endpoints_delete_takes_its_deployments(double, client) -> None:
    double.add_model("clf", "1")
    put_endpoint(double, client)
    double.tick(2)
    put_deployment(double, client)
    double.tick(3)
    put_endpoint(double, client, traffic={"blue": 100})
    double.tick(2)

    assert client.send("DELETE", url(double, "/onlineEndpoints/ept/deployments/blue", DEPLOYMENTS_API), None).status == 400
    deleted = client.send("DELETE", url(double, "/onlineEndpoints/ept", ENDPOINTS_API), None)
    assert deleted.status == 202 and deleted.body is None
    assert "/mfeOperationResults/oeidp:" in header(deleted, "Location")
    double.tick(2)
    assert client.send("GET", url(double, "/onlineEndpoints/ept", ENDPOINTS_API), None).status == 404
    assert double.online.deployments == {}


def test_a_failed_deployments_operation_carries_its_error_and_get_logs_its_tail(double, client) -> None:
    double.add_model("clf", "1")
    put_endpoint(double, client)
    double.tick(2)
    double.online.script_deployment("ept", "blue", outcome="Failed", error_message="Out of quota.", log="a\nb\nc\n")
    operation = header(put_deployment(double, client), "Azure-AsyncOperation").split("management.azure.com", 1)[1]
    double.tick(3)

    status = client.send("GET", operation, None).body
    assert (status["status"], status["error"]["message"]) == ("Failed", "Out of quota.")
    logs = client.send("POST", url(double, "/onlineEndpoints/ept/deployments/blue/getLogs", DEPLOYMENTS_API), {"tail": 2})
    assert logs.body == {"content": "b\nc\n"}


SCHEDULES_API = "2023-06-01-preview"


def put_schedule(double: AzureMLDouble, client: DoubleClient, **changes: Any):
    job = command_job(double)["properties"]
    trigger = {"triggerType": "Cron", "expression": "15 10 * * 1", "timeZone": "UTC"}
    props = {"displayName": "weekly", "trigger": trigger, "action": {"actionType": "CreateJob", "jobDefinition": job}, **changes}
    return client.send("PUT", url(double, "/schedules/weekly", SCHEDULES_API), {"properties": props})


def settle(double: AzureMLDouble, client: DoubleClient, answer) -> dict:
    operation = header(answer, "Azure-AsyncOperation").split("management.azure.com", 1)[1]
    double.tick(2)
    return client.send("GET", operation, None).body


def test_an_enabled_schedule_is_not_deleted_a_disabled_one_is(double, client) -> None:
    # test_schedule_lifetime: a DELETE of an enabled schedule is accepted, and its operation fails
    created = put_schedule(double, client)
    assert (created.status, created.body["properties"]["provisioningState"]) == (201, "Creating")
    assert settle(double, client, created)["status"] == "Succeeded"

    refused = client.send("DELETE", url(double, "/schedules/weekly", SCHEDULES_API), None)
    assert refused.status == 202
    failed = settle(double, client, refused)
    assert (failed["status"], failed["error"]["message"]) == ("Failed", "Cannot delete an active trigger weekly")
    assert client.send("GET", url(double, "/schedules/weekly", SCHEDULES_API), None).body["properties"]["isEnabled"] is True

    settle(double, client, put_schedule(double, client, isEnabled=False))
    assert settle(double, client, client.send("DELETE", url(double, "/schedules/weekly", SCHEDULES_API), None))["status"] == "Succeeded"
    gone = client.send("GET", url(double, "/schedules/weekly", SCHEDULES_API), None)
    assert (gone.status, gone.body["error"]["message"]) == (404, "Resource Trigger weekly not found")


def test_a_schedule_of_a_job_on_an_unknown_compute_is_refused(double, client) -> None:
    # As a job's own PUT (test_command_job_invalid_datastore): the service checks the job when the schedule is put.
    job = command_job(double, computeId=f"{double.workspace_arm_id}/computes/gpu-cluster")["properties"]
    refused = put_schedule(double, client, action={"actionType": "CreateJob", "jobDefinition": job})
    assert (refused.status, refused.body["error"]["message"]) == (400, "Unknown compute target 'gpu-cluster'.")
