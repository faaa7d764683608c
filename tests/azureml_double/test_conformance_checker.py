"""The conformance checker finds a double that answers otherwise than the recorded service.

Recordings here are made from a double itself (so they stay true whatever the double's behaviour is), under
another subscription, resource group and workspace, then altered the way a real service answer would differ.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.azureml_double.conformance.__main__ import main
from tests.azureml_double.conformance.allowlist import AllowlistError, load_allowlist
from tests.azureml_double.conformance.check import check, load_plans
from tests.azureml_double.conformance.client import DoubleClient
from tests.azureml_double.conformance.distill import distill, dumps
from tests.azureml_double.conformance.forms import string_form
from tests.azureml_double.server import AzureMLDouble

ARM = "https://management.azure.com"
BLOB = "https://recordedaccount.blob.core.windows.net"
IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest"


class Recorder:
    """Drives a double with another workspace identity and keeps every exchange in the test-proxy format."""

    def __init__(self, double: AzureMLDouble) -> None:
        self.double = double
        self.client = DoubleClient(double.port)
        self.entries: list[dict[str, Any]] = []

    def call(self, method: str, relative: str, body: Any = None, api_version: str = "2023-04-01-preview") -> dict[str, Any]:
        path = self.double.workspace_arm_id + relative + f"?api-version={api_version}"
        return self.call_path(method, path, body)

    def call_path(self, method: str, path_and_query: str, body: Any = None) -> dict[str, Any]:
        answer = self.client.send(method, path_and_query, body)
        entry = {
            "RequestUri": ARM + path_and_query,
            "RequestMethod": method,
            "RequestHeaders": {"Accept": "application/json"},
            "RequestBody": body,
            "StatusCode": answer.status,
            "ResponseHeaders": answer.headers,
            "ResponseBody": answer.body,
        }
        self.entries.append(entry)
        return entry

    def blob(self) -> None:
        """Traffic the double does not serve (Azurite does): counted out of scope."""
        self.entries.append(
            {
                "RequestUri": f"{BLOB}/container/LocalUpload/file.txt",
                "RequestMethod": "HEAD",
                "RequestBody": None,
                "StatusCode": 404,
                "ResponseHeaders": {},
                "ResponseBody": None,
            }
        )


def recording_double() -> AzureMLDouble:
    """A double under another identity than the checker's: the replay must rewrite it."""
    return AzureMLDouble(subscription_id="11111111-2222-4333-8444-555555555555", resource_group="rg-recorded", workspace="ws-recorded")


def _job_body(double: AzureMLDouble) -> dict[str, Any]:
    ws = double.workspace_arm_id
    return {
        "properties": {
            "jobType": "Command",
            "command": "python train.py",
            "environmentId": f"{ws}/environments/conformance-env/versions/1",
            "computeId": f"{ws}/computes/cpu-cluster",
            "experimentName": "conformance",
            "inputs": {},
            "outputs": {},
        }
    }


def record_session(*, cancel: bool = False) -> list[dict[str, Any]]:
    """An environment, a command job polled (one tick between reads) until it ends, or cancelled."""
    with recording_double() as double:
        if hasattr(double, "add_compute"):
            double.add_compute("cpu-cluster")
        recorder = Recorder(double)
        recorder.call("PUT", "/environments/conformance-env/versions/1", {"properties": {"image": IMAGE}})
        recorder.blob()
        recorder.call("PUT", "/jobs/conformance-job", _job_body(double), api_version="2025-01-01-preview")
        if cancel:
            accepted = recorder.call("POST", "/jobs/conformance-job/cancel")
            location = next(v for k, v in accepted["ResponseHeaders"].items() if k.lower() == "location")
            for _ in range(10):
                polled = recorder.call_path("GET", location.removeprefix(ARM))
                if polled["StatusCode"] != 202:
                    break
                double.tick()
            return recorder.entries
        for _ in range(10):
            read = recorder.call("GET", "/jobs/conformance-job", api_version="2024-01-01-preview")
            if read["ResponseBody"]["properties"]["status"] in ("Completed", "Failed", "Canceled"):
                break
            double.tick()
        return recorder.entries


def write_recording(folder: Path, entries: list[dict[str, Any]], *, crlf: bool = False) -> Path:
    path = folder / "recorded" / "session.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"Entries": entries, "Variables": {}}, indent=2)
    path.write_bytes((text.replace("\n", "\r\n") if crlf else text).encode())
    return folder


def run_checker(folder: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = main([str(folder), *extra])
    return code, capsys.readouterr().out


def _jobs(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in entries if "/jobs/" in e["RequestUri"] and e["RequestMethod"] == "GET"]


@pytest.fixture(scope="module")
def session() -> list[dict[str, Any]]:
    return record_session()


@pytest.fixture(scope="module")
def cancelled_session() -> list[dict[str, Any]]:
    return record_session(cancel=True)


def test_the_doubles_own_answers_match(session, tmp_path, capsys):
    code, out = run_checker(write_recording(tmp_path, session, crlf=True), capsys)
    replayed = len(session) - 1
    assert out.splitlines()[-1] == f"{replayed} of {replayed} recorded answers match (1 out of scope)"
    assert code == 0, out


def test_a_cancel_and_its_polls_match(cancelled_session, tmp_path, capsys):
    code, out = run_checker(write_recording(tmp_path, cancelled_session), capsys)
    assert "{Location of an earlier answer}" in out
    assert code == 0, out


def _set_status(entries: list[dict[str, Any]]) -> None:
    entries[2]["ResponseBody"]["properties"]["status"] = "Bogus"


def _drop_key(entries: list[dict[str, Any]]) -> None:
    del entries[2]["ResponseBody"]["properties"]["jobType"]


def _add_key(entries: list[dict[str, Any]]) -> None:
    entries[0]["ResponseBody"]["properties"]["probeOfTheChecker"] = "Development"


def _uri_form(entries: list[dict[str, Any]]) -> None:
    entries[2]["ResponseBody"]["properties"]["environmentId"] = "azureml://registries/azureml/environments/e/versions/1"


def _status_code(entries: list[dict[str, Any]]) -> None:
    entries[2]["StatusCode"] = 400
    entries[2]["ResponseBody"] = {"error": {"code": "UserError", "message": "The request is invalid."}}


def _toggle_location(entries: list[dict[str, Any]]) -> None:
    headers = entries[0]["ResponseHeaders"]
    present = [k for k in headers if k.lower() == "location"]
    for key in present:
        del headers[key]
    if not present:
        headers["Location"] = ARM + "/somewhere"


@pytest.mark.parametrize(
    ("alter", "expected"),
    [
        (_set_status, "value properties.status: service Bogus"),
        (_drop_key, "extra-key properties.jobType"),
        (_add_key, "missing-key properties.probeOfTheChecker"),
        (_status_code, "status: service 400, double 201"),
        (_toggle_location, "header Location: service "),
        (_uri_form, "form properties.environmentId: service azureml://registries/{}/environments/{}/versions/{}"),
    ],
    ids=["enum value", "key the service lacks", "key the double lacks", "status code", "LRO header", "URI form"],
)
def test_a_different_answer_is_reported_and_fails(session, tmp_path, capsys, alter: Callable, expected: str):
    entries = copy.deepcopy(session)
    alter(entries)
    code, out = run_checker(write_recording(tmp_path, entries), capsys)
    assert code == 1
    assert "MISMATCH" in out
    assert expected in out


def test_an_error_body_is_compared_with_its_message_and_details(tmp_path, capsys):
    with recording_double() as double:
        recorder = Recorder(double)
        entry = recorder.call("GET", "/datastores/missing", api_version="2024-10-01-preview")
    assert entry["StatusCode"] == 404
    error = entry["ResponseBody"]["error"]
    error["message"] = "Some other text."
    error["details"] = [{"code": "Inner", "message": "x"}]
    code, out = run_checker(write_recording(tmp_path, recorder.entries), capsys)
    assert code == 1
    assert "message error.message: service 'Some other text.'" in out
    assert "error.details" in out


def test_statuses_must_come_in_an_order_the_double_can_produce(session, tmp_path, capsys):
    reads = _jobs(session)
    assert len({r["ResponseBody"]["properties"]["status"] for r in reads}) > 1, "the double's job never moved"
    held = copy.deepcopy(session)
    held[3:3] = copy.deepcopy([reads[0], reads[0]])  # the first status, read three times: no tick needed
    code, out = run_checker(write_recording(tmp_path / "held", held), capsys)
    assert code == 0, out

    backwards = copy.deepcopy(session)
    statuses = [r["ResponseBody"]["properties"]["status"] for r in _jobs(backwards)]
    for read, status in zip(_jobs(backwards), reversed(statuses), strict=True):
        read["ResponseBody"]["properties"]["status"] = status
    code, out = run_checker(write_recording(tmp_path / "backwards", backwards), capsys)
    assert code == 1
    assert "while its clock moved 1 tick, the double answered 200 Completed" in out


def test_what_the_recording_shows_existed_is_seeded(session, tmp_path, capsys):
    # Without its PUT, the environment the job names existed before the recording: it is seeded.
    entries = copy.deepcopy(session)[1:]
    code, out = run_checker(write_recording(tmp_path, entries), capsys)
    assert code == 0, out


def test_an_allowlisted_difference_passes_and_needs_a_reason(session, tmp_path, capsys):
    entries = copy.deepcopy(session)
    _add_key(entries)
    folder = write_recording(tmp_path, entries)
    allowlist = tmp_path / "allowlist.txt"
    allowlist.write_text("PUT .../environments/* missing-key properties.probeOfTheChecker -- the provider never reads it\n")
    code, out = run_checker(folder, capsys, "--allowlist", str(allowlist))
    assert code == 0, out
    assert "ok (1 allowed)" in out

    allowlist.write_text("PUT …/environments/* missing-key properties.probeOfTheChecker\n")
    with pytest.raises(AllowlistError, match="reason"):
        load_allowlist(allowlist)


def test_the_distilled_fixture_gives_the_same_verdicts(session, tmp_path):
    entries = copy.deepcopy(session)
    _set_status(entries)
    folder = write_recording(tmp_path, entries)
    fixture = tmp_path / "expectations.json"
    fixture.write_text(dumps(distill(load_plans(folder))))
    from_recordings: list[str] = []
    from_fixture: list[str] = []
    assert check(folder, [], from_recordings.append).failing == 1
    assert check(fixture, [], from_fixture.append).failing == 1
    assert from_fixture == from_recordings


def test_differences_can_be_listed_once_per_operation(session, tmp_path, capsys):
    entries = copy.deepcopy(session)
    _add_key(entries)
    code, out = run_checker(write_recording(tmp_path, entries), capsys, "--by-operation")
    grouped = out.split("differences by operation:\n", 1)[1].splitlines()
    assert grouped[:2] == ["PUT …/environments/{name}/versions/{version}", "    1x missing-key properties.probeOfTheChecker"]
    assert code == 1


@pytest.mark.parametrize(("message", "seeded"), [("Unknown compute target 'cpu-cluster'.", False), ("The request is invalid.", True)])
def test_a_rejected_request_seeds_what_it_references_except_what_its_error_names(session, tmp_path, message, seeded):
    entries = copy.deepcopy(session)
    _status_code(entries)
    entries[2]["ResponseBody"]["error"]["message"] = message
    (plan,) = load_plans(write_recording(tmp_path, entries))
    assert (("computes", "cpu-cluster") in {(seed.kind, seed.name) for seed in plan.seeds}) is seeded


def test_a_later_request_follows_the_url_the_double_gave_in_place_of_the_recorded_one():
    from tests.azureml_double.conformance.compare import Answer
    from tests.azureml_double.conformance.recording import exchange_from_entry
    from tests.azureml_double.conformance.replay import urls_to_follow
    from tests.azureml_double.conformance.rewrite import Rewriter

    recorded_ws = "/subscriptions/s1/resourceGroups/r1/providers/Microsoft.MachineLearningServices/workspaces/w1"
    entry = {
        "RequestUri": f"{ARM}{recorded_ws}/data/d/versions?api-version=1",
        "RequestMethod": "GET",
        "StatusCode": 202,
        "ResponseHeaders": {"Location": f"{ARM}/subscriptions/s1/providers/x/operations/recorded-op"},
        "ResponseBody": {"value": [], "nextLink": f"{ARM}{recorded_ws}/data/d/versions?$skipToken=recorded-token"},
    }
    rewriter = Rewriter([recorded_ws], "s2", "r2", "w2")
    # The double's body is compared renamed to the recording's identity; its URLs are followed under its own.
    ours = Answer(
        202,
        {"location": f"{ARM}/subscriptions/s2/providers/x/operations/op-2"},
        {"nextLink": f"{ARM}{recorded_ws}/data/d/versions?$skipToken=2"},
    )
    assert urls_to_follow(exchange_from_entry(1, entry), ours, rewriter) == {
        "/subscriptions/s1/providers/x/operations/recorded-op": "/subscriptions/s2/providers/x/operations/op-2",
        f"{recorded_ws}/data/d/versions?$skipToken=recorded-token": (
            "/subscriptions/s2/resourceGroups/r2/providers/Microsoft.MachineLearningServices/workspaces/w2/data/d/versions?$skipToken=2"
        ),
    }


def test_an_allowance_can_name_the_two_values_it_waives(session, tmp_path, capsys):
    entries = copy.deepcopy(session)
    _set_status(entries)
    folder = write_recording(tmp_path, entries)
    double_status = session[2]["ResponseBody"]["properties"]["status"]
    allowlist = tmp_path / "allowlist.txt"
    allowlist.write_text(f"PUT .../jobs/{{name}} value properties.status Other->{double_status} -- another pair\n")
    assert run_checker(folder, capsys, "--allowlist", str(allowlist))[0] == 1
    allowlist.write_text(f"PUT .../jobs/{{name}} value properties.status Bog*->{double_status} -- the pair\n")
    assert run_checker(folder, capsys, "--allowlist", str(allowlist))[0] == 0


@pytest.mark.parametrize(
    ("value", "form"),
    [
        (
            "azureml://subscriptions/s/resourcegroups/r/workspaces/w/datastores/d/paths/a/b.csv",
            "azureml://subscriptions/{}/resourcegroups/{}/workspaces/{}/datastores/{}/paths/…",
        ),
        ("azureml://datastores/workspaceblobstore/paths/LocalUpload/x/", "azureml://datastores/{}/paths/…"),
        ("https://acct.blob.core.windows.net:443/container", "https://{}.blob.core.windows.net/{}"),
        ("http://127.0.0.1:10000/devstoreaccount1/container/blob?sv=1", "http://{ip}/{}/…"),
        ("azureml:sklearn:1", "azureml:{}:{}"),
        (
            "/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w/codes/c/versions/1",
            "/subscriptions/{}/resourcegroups/{}/providers/microsoft.machinelearningservices/workspaces/{}/codes/{}/versions/{}",
        ),
        ('{"channels": ["conda-forge"]}', "{}"),
        ("channels:\n- conda-forge\n", None),
        ("Unknown compute target: x", None),
    ],
)
def test_the_form_of_a_value_masks_its_names_and_is_its_own_form(value: str, form: str | None):
    assert string_form(value) == form
    if form is not None:
        assert string_form(form) == form


def test_a_put_of_a_job_that_moved_on_meanwhile_is_sent_again_after_ticks(tmp_path, capsys):
    # The recorded job ran to its end between its PUT and a second PUT (an archive): that PUT answers Completed.
    with recording_double() as double:
        double.add_compute("cpu-cluster")
        recorder = Recorder(double)
        recorder.call("PUT", "/environments/conformance-env/versions/1", {"properties": {"image": IMAGE}})
        recorder.call("PUT", "/jobs/conformance-job", _job_body(double), api_version="2025-01-01-preview")
        double.run_to_completion("conformance-job")
        again = recorder.call("PUT", "/jobs/conformance-job", _job_body(double), api_version="2025-01-01-preview")
    assert (again["StatusCode"], again["ResponseBody"]["properties"]["status"]) == (200, "Completed")

    code, out = run_checker(write_recording(tmp_path, recorder.entries), capsys)

    assert code == 0, out
    assert "200/200 after" in out


def test_a_read_of_a_job_no_request_in_scope_made_is_out_of_scope(session, tmp_path, capsys):
    # A schedule's run: made by a call the double does not serve, read with the provider's GET.
    entries = [e for e in copy.deepcopy(session) if not (e["RequestMethod"] == "PUT" and "/jobs/" in e["RequestUri"])]

    code, out = run_checker(write_recording(tmp_path, entries), capsys)

    assert code == 0, out
    assert f"reads a job made out of scope: GET …/jobs/{{}} x{len(_jobs(entries))}" in out


def test_a_version_a_put_updated_is_seeded_when_its_answer_says_it_was_made_before_the_recording(tmp_path, capsys):
    # An endpoint's anonymous model, registered again by the SDK: the service answers 200, an update.
    body = {
        "properties": {"isAnonymous": True, "modelType": "custom_model", "modelUri": "azureml://datastores/workspaceblobstore/paths/m/"}
    }
    with recording_double() as double:
        recorder = Recorder(double)
        recorder.call("PUT", "/models/endpoint-model/versions/1", body, api_version="2023-08-01-preview")
        updated = recorder.call("PUT", "/models/endpoint-model/versions/1", body, api_version="2023-08-01-preview")
    updated["ResponseBody"]["systemData"]["createdAt"] = "2020-01-01T00:00:00.0000000+00:00"
    folder = write_recording(tmp_path, [updated])

    (plan,) = load_plans(folder)
    code, out = run_checker(folder, capsys)

    assert ("models", "endpoint-model", "1") in {(seed.kind, seed.name, seed.version) for seed in plan.seeds}
    assert code == 0, out


@pytest.mark.parametrize(
    ("path", "template"),
    [
        (
            "/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w/schedules/nightly/trigger",
            "…/schedules/{}/trigger",
        ),
        (
            "/subscriptions/s/providers/Microsoft.MachineLearningServices/locations/eastus/mfeOperationsStatus/s:1:abc",
            "/subscriptions/{}/providers/Microsoft.MachineLearningServices/locations/{}/mfeOperationsStatus/{}",
        ),
        (
            "/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/registries/shared",
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.MachineLearningServices/registries/{}",
        ),
    ],
)
def test_an_operation_out_of_scope_is_named_with_its_names_masked(path: str, template: str):
    from tests.azureml_double.conformance.plan import rough_template

    assert rough_template(path) == template


def test_a_default_datastore_takes_the_kind_of_credentials_the_recording_shows(tmp_path, capsys):
    # A workspace with identity-based storage access: its blob store has no secrets to list.
    with recording_double() as double:
        double.set_datastore_credentials_type("workspaceblobstore", "None")
        recorder = Recorder(double)
        recorder.call("GET", "/datastores/workspaceblobstore", api_version="2024-10-01-preview")
        refused = recorder.call("POST", "/datastores/workspaceblobstore/listSecrets", {"expirableSecret": True}, "2024-10-01-preview")
    assert refused["StatusCode"] == 400

    code, out = run_checker(write_recording(tmp_path, recorder.entries), capsys)

    assert code == 0, out


def test_a_pipeline_step_the_recorded_children_show_failing_is_scripted_to_fail(tmp_path, capsys):
    with recording_double() as double:
        double.add_compute("cpu-cluster")
        recorder = Recorder(double)
        spec = {"type": "command", "command": "python prep.py", "environment": f"azureml:{IMAGE}"}
        component = recorder.call(
            "PUT",
            "/components/azureml_anonymous/versions/0a1b",
            {"properties": {"isAnonymous": True, "componentSpec": spec}},
            "2024-01-01-preview",
        )["ResponseBody"]["id"]
        steps = {name: {"type": "command", "componentId": component} for name in ("prep", "report")}
        body = {"properties": {"jobType": "Pipeline", "computeId": f"{double.workspace_arm_id}/computes/cpu-cluster", "jobs": steps}}
        double.script_next_job(steps={"prep": {"outcome": "Failed", "error_message": "no rows"}})
        recorder.call("PUT", "/jobs/conformance-pipeline", body, api_version="2024-01-01-preview")
        double.run_to_completion("conformance-pipeline")
        recorder.call("GET", "/jobs/conformance-pipeline", api_version="2024-01-01-preview")
        children = recorder.call_path("GET", f"/history/v1.0{double.workspace_arm_id}/runs/conformance-pipeline/children")
    assert {run["displayName"]: run["status"] for run in children["ResponseBody"]["value"]} == {"prep": "Failed", "report": "Completed"}
    folder = write_recording(tmp_path, recorder.entries)

    (plan,) = load_plans(folder)
    code, out = run_checker(folder, capsys)

    assert plan.outcomes == {"conformance-pipeline": "Failed", "conformance-pipeline/prep": "Failed"}
    assert code == 0, out


def test_a_job_submitted_again_that_existed_before_the_recording_is_seeded_in_its_recorded_status(tmp_path, capsys):
    # The same name submitted again: the service answers the job as it is (Completed), not a new one.
    with recording_double() as double:
        double.add_compute("cpu-cluster")
        recorder = Recorder(double)
        recorder.call("PUT", "/environments/conformance-env/versions/1", {"properties": {"image": IMAGE}})
        recorder.call("PUT", "/jobs/conformance-job", _job_body(double), api_version="2025-01-01-preview")
        double.run_to_completion("conformance-job")
        again = recorder.call("PUT", "/jobs/conformance-job", _job_body(double), api_version="2025-01-01-preview")
    again["ResponseBody"]["systemData"]["createdAt"] = "2020-01-01T00:00:00.0000000+00:00"
    folder = write_recording(tmp_path, [again])  # what the job runs existed before too

    (plan,) = load_plans(folder)
    code, out = run_checker(folder, capsys)

    assert ("jobs", "conformance-job") in {(seed.kind, seed.name) for seed in plan.seeds}
    assert code == 0, out
    assert "1 of 1 recorded answers match" in out


def record_endpoint_session() -> list[dict[str, Any]]:
    """An online endpoint created, its operation polled (one tick between polls) until it ends, then read."""
    with recording_double() as double:
        recorder = Recorder(double)
        body = {"location": "westus", "identity": {"type": "SystemAssigned"}, "properties": {"authMode": "Key", "traffic": {}}}
        created = recorder.call("PUT", "/onlineEndpoints/conformance-ept", body, api_version="2022-02-01-preview")
        operation = next(v for k, v in created["ResponseHeaders"].items() if k.lower() == "azure-asyncoperation")
        for _ in range(10):
            polled = recorder.call_path("GET", operation.removeprefix(ARM))
            if polled["ResponseBody"]["status"] != "Updating":
                break
            double.tick()
        recorder.call("GET", "/onlineEndpoints/conformance-ept", api_version="2022-02-01-preview")
        return recorder.entries


def test_an_endpoints_operation_is_followed_and_must_end_as_recorded(tmp_path, capsys):
    entries = record_endpoint_session()
    polls = [e for e in entries if "mfeOperationsStatus" in e["RequestUri"]]
    assert [p["ResponseBody"]["status"] for p in polls][-1] == "Succeeded" and len(polls) > 1
    code, out = run_checker(write_recording(tmp_path / "as made", entries), capsys)
    assert code == 0, out
    assert "GET {Location of an earlier answer}" in out

    failed = copy.deepcopy(entries)
    polls = [e for e in failed if "mfeOperationsStatus" in e["RequestUri"]]
    polls[-1]["ResponseBody"] |= {"status": "Failed", "error": {"code": "InternalServerError", "message": "x"}}
    code, out = run_checker(write_recording(tmp_path / "failed", failed), capsys)
    assert code == 1
    assert "value status: service Failed" in out
