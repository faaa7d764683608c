"""purgeOnDestroy: resource hooks purge the workspace and vault so their names are free at once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pytest

from components import workspace
from components.workspace import PurgeError, _AzureArm, purge_key_vault, purge_workspace
from tests.unit.harness import SUBSCRIPTION, Run, components_program, run_stack

VAULT = "azure-native:keyvault:Vault"
WORKSPACE = "azure-native:machinelearningservices:Workspace"
WORKSPACE_ID = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-x/providers/Microsoft.MachineLearningServices/workspaces/mlw-x"
VAULT_ID = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-x/providers/Microsoft.KeyVault/vaults/kv-x-123456"


class FakeArm:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []

    def delete(self, path: str, params: Mapping[str, str]) -> None:
        self.requests.append(("DELETE", path, dict(params)))

    def post(self, path: str, params: Mapping[str, str]) -> None:
        self.requests.append(("POST", path, dict(params)))


def hook_args(resource_id: str, old_outputs: dict[str, Any] | None = None) -> pulumi.ResourceHookArgs:
    return pulumi.ResourceHookArgs(urn="urn:x", id=resource_id, name="x", type="t", old_outputs=old_outputs or {})


@pytest.fixture(scope="module")
def dev() -> Run:
    return run_stack("dev", program=components_program)


def test_dev_purges_the_workspace_before_the_provider_deletes_it(dev: Run) -> None:
    ml = dev.one(WORKSPACE)
    assert (ml.before_delete, ml.after_delete) == (("aml-purge-workspace",), ())


def test_dev_purges_the_vault_after_the_provider_soft_deleted_it(dev: Run) -> None:
    vault = dev.one(VAULT)
    assert (vault.before_delete, vault.after_delete) == ((), ("aml-purge-key-vault",))


def test_no_other_resource_has_delete_hooks(dev: Run) -> None:
    hooked = {r.type for r in dev.resources if r.before_delete or r.after_delete}
    assert hooked == {WORKSPACE, VAULT}


def test_without_purge_on_destroy_nothing_is_purged() -> None:
    prod = run_stack("prod", program=components_program)
    assert [r.name for r in prod.resources if r.before_delete or r.after_delete] == []


def test_workspace_purge_deletes_it_permanently() -> None:
    arm = FakeArm()
    purge_workspace(hook_args(WORKSPACE_ID), arm)
    assert arm.requests == [("DELETE", WORKSPACE_ID, {"api-version": "2024-10-01", "forceToPurge": "true"})]


def test_vault_purge_purges_the_deleted_vault_in_its_location() -> None:
    arm = FakeArm()
    purge_key_vault(hook_args(VAULT_ID, {"location": "westeurope"}), arm)
    path = f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.KeyVault/locations/westeurope/deletedVaults/kv-x-123456/purge"
    assert arm.requests == [("POST", path, {"api-version": "2023-07-01"})]


def test_hooks_registered_with_purge_off_leave_soft_deleted_resources_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stack that turned purgeOnDestroy off still registers the hooks its state names, and they do nothing."""
    arm = FakeArm()
    monkeypatch.setattr(workspace, "arm_client", lambda: arm)

    def program() -> None:
        hooks = workspace._PurgeHooks("aml", enabled=False)
        assert (hooks.workspace_binding(), hooks.key_vault_binding()) == (None, None)
        hooks.workspace.callback(hook_args(WORKSPACE_ID))
        hooks.key_vault.callback(hook_args(VAULT_ID, {"location": "westeurope"}))

    run_stack("dev", program=program)
    assert arm.requests == []


def test_hooks_with_purge_on_purge_through_the_arm_client(monkeypatch: pytest.MonkeyPatch) -> None:
    arm = FakeArm()
    monkeypatch.setattr(workspace, "arm_client", lambda: arm)

    def program() -> None:
        hooks = workspace._PurgeHooks("aml", enabled=True)
        hooks.workspace.callback(hook_args(WORKSPACE_ID))

    run_stack("dev", program=program)
    assert [method for method, _, _ in arm.requests] == ["DELETE"]


# --- The ARM client: Azure's long-running-operation protocol -------------------------------


class Response:
    def __init__(self, status: int, headers: dict[str, str] | None = None, body: dict[str, Any] | None = None) -> None:
        self.status_code = status
        self.headers = headers or {}
        self._body = body or {}
        self.text = str(self._body)

    def json(self) -> dict[str, Any]:
        return self._body


class FakeSession:
    def __init__(self, *responses: Response) -> None:
        self.responses = list(responses)
        self.sent: list[tuple[str, str, Any]] = []

    def request(self, method: str, url: str, params: Any = None, headers: Any = None, timeout: float = 0) -> Response:
        assert headers == {"Authorization": "Bearer token"}
        self.sent.append((method, url, params))
        return self.responses.pop(0)


class Credential:
    def get_token(self, scope: str) -> Any:
        assert scope == "https://management.azure.com/.default"
        return type("Token", (), {"token": "token"})()


def arm_with(*responses: Response) -> tuple[_AzureArm, FakeSession, list[float]]:
    session, sleeps = FakeSession(*responses), []
    return _AzureArm(Credential(), session=session, sleep=sleeps.append), session, sleeps


def test_arm_waits_on_the_async_operation_until_it_succeeds() -> None:
    operation = "https://management.azure.com/operations/1"
    arm, session, sleeps = arm_with(
        Response(202, {"Azure-AsyncOperation": operation, "Retry-After": "5"}),
        Response(200, {"Retry-After": "7"}, {"status": "InProgress"}),
        Response(200, body={"status": "Succeeded"}),
    )
    arm.delete("/subscriptions/s/x", {"forceToPurge": "true"})
    assert [(method, url) for method, url, _ in session.sent] == [
        ("DELETE", "https://management.azure.com/subscriptions/s/x"),
        ("GET", operation),
        ("GET", operation),
    ]
    assert sleeps == [5.0, 7.0]


def test_arm_follows_the_location_header_until_the_operation_is_done() -> None:
    arm, session, _ = arm_with(Response(202, {"Location": "https://management.azure.com/poll"}), Response(202), Response(200))
    arm.post("/subscriptions/s/purge", {})
    assert [method for method, _, _ in session.sent] == ["POST", "GET", "GET"]


def test_arm_takes_not_found_as_already_purged() -> None:
    arm, session, _ = arm_with(Response(404))
    arm.post("/subscriptions/s/purge", {})
    assert len(session.sent) == 1


def test_arm_reports_a_refused_purge_with_what_to_do() -> None:
    arm, _, _ = arm_with(Response(403, body={"error": "AuthorizationFailed"}))
    with pytest.raises(PurgeError, match=r"POST /subscriptions/s/purge failed with 403: .*AuthorizationFailed.*purge it by hand"):
        arm.post("/subscriptions/s/purge", {})


def test_arm_reports_a_failed_operation() -> None:
    arm, _, _ = arm_with(Response(202, {"Azure-AsyncOperation": "https://op"}), Response(200, body={"status": "Failed"}))
    with pytest.raises(PurgeError, match="purging /subscriptions/s/x ended Failed"):
        arm.delete("/subscriptions/s/x", {})


def test_hooks_sign_in_as_the_service_principal_the_provider_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    from azure.identity import ClientSecretCredential

    for key, value in {"ARM_TENANT_ID": "tenant", "ARM_CLIENT_ID": "client", "ARM_CLIENT_SECRET": "secret"}.items():
        monkeypatch.setenv(key, value)
    assert isinstance(workspace._credential(), ClientSecretCredential)
