"""purgeOnDestroy: resource hooks purge the workspace and vault so their names are free at once."""

from __future__ import annotations

import inspect
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from components.infra import teardown
from components.infra.teardown import PURGE_TIMEOUT_SECONDS, AzureClients, PurgeError, PurgeHooks, purge_key_vault, purge_workspace
from tests.unit.harness import REPO, SUBSCRIPTION, VAULT, WORKSPACE, Run, components_program, run_stack

WORKSPACE_ID = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-x/providers/Microsoft.MachineLearningServices/workspaces/mlw-x"
VAULT_ID = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-x/providers/Microsoft.KeyVault/vaults/kv-x-123456"
PERMANENTLY = {"delete_dependent_resources": False, "permanently_delete": True}

# azure-ai-ml builds its marshmallow schemas on import and warns about them: not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::marshmallow.warnings.Marshmallow4Warning")


@dataclass
class FakePoller:
    """An LROPoller that records how long it was waited on; `error` fails the operation, `finished` False hangs it."""

    error: Exception | None = None
    finished: bool = True
    waits: list[float | None] = field(default_factory=list)

    def result(self, timeout: float | None = None) -> None:
        self.waits.append(timeout)
        if self.error:
            raise self.error

    def done(self) -> bool:
        return self.finished


@dataclass
class FakeClients:
    """Both SDK clients in one: records which clients were built and every call made on them."""

    poller: FakePoller = field(default_factory=FakePoller)
    refuse: Exception | None = None  # raised by the call itself, before any operation starts
    built: list[tuple[str, ...]] = field(default_factory=list)
    calls: list[tuple[Any, ...]] = field(default_factory=list)

    def workspaces(self, subscription_id: str, resource_group: str) -> FakeClients:
        self.built.append(("workspaces", subscription_id, resource_group))
        return self

    def vaults(self, subscription_id: str) -> FakeClients:
        self.built.append(("vaults", subscription_id))
        return self

    def begin_delete(self, name: str, **kwargs: Any) -> FakePoller:
        self.calls.append(("begin_delete", name, kwargs))
        return self._start()

    def begin_purge_deleted(self, vault_name: str, location: str) -> FakePoller:
        self.calls.append(("begin_purge_deleted", vault_name, location))
        return self._start()

    def _start(self) -> FakePoller:
        if self.refuse:
            raise self.refuse
        return self.poller


def hook_args(
    resource_id: str, old_outputs: dict[str, Any] | None = None, old_inputs: dict[str, Any] | None = None
) -> pulumi.ResourceHookArgs:
    return pulumi.ResourceHookArgs(urn="urn:x", id=resource_id, name="x", type="t", old_outputs=old_outputs or {}, old_inputs=old_inputs)


# --- Which resources carry which hooks ------------------------------------------------------


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


def test_hooks_registered_with_purge_off_leave_soft_deleted_resources_alone() -> None:
    """A stack that turned purgeOnDestroy off still registers the hooks its state names, and they do nothing."""
    clients = FakeClients()

    def program() -> None:
        hooks = PurgeHooks("aml", enabled=False, clients=clients)
        assert (hooks.workspace_binding(), hooks.key_vault_binding()) == (None, None)
        hooks.workspace.callback(hook_args(WORKSPACE_ID))
        hooks.key_vault.callback(hook_args(VAULT_ID, {"location": "westeurope"}))

    run_stack("dev", program=program)
    assert (clients.built, clients.calls) == ([], [])


def test_hooks_with_purge_on_purge_through_the_clients_given() -> None:
    clients = FakeClients()

    def program() -> None:
        hooks = PurgeHooks("aml", enabled=True, clients=clients)
        hooks.workspace.callback(hook_args(WORKSPACE_ID))
        hooks.key_vault.callback(hook_args(VAULT_ID, {"location": "westeurope"}))

    run_stack("dev", program=program)
    assert clients.calls == [("begin_delete", "mlw-x", PERMANENTLY), ("begin_purge_deleted", "kv-x-123456", "westeurope")]


# --- The workspace: azure-ai-ml deletes it permanently ---------------------------------------


def test_workspace_purge_deletes_it_permanently_and_waits_for_azure() -> None:
    clients = FakeClients()
    purge_workspace(hook_args(WORKSPACE_ID), clients)
    assert clients.built == [("workspaces", SUBSCRIPTION, "rg-x")]
    assert clients.calls == [("begin_delete", "mlw-x", PERMANENTLY)]
    assert clients.poller.waits == [PURGE_TIMEOUT_SECONDS]


def test_workspace_already_gone_is_taken_as_purged() -> None:
    purge_workspace(hook_args(WORKSPACE_ID), FakeClients(refuse=ResourceNotFoundError("Workspace mlw-x not found")))


def test_refused_workspace_purge_stops_the_destroy_saying_what_to_run() -> None:
    clients = FakeClients(refuse=HttpResponseError(message="AuthorizationFailed: no delete permission"))
    with pytest.raises(PurgeError) as raised:
        purge_workspace(hook_args(WORKSPACE_ID), clients)
    assert str(raised.value) == (
        "permanently deleting workspace mlw-x failed: AuthorizationFailed: no delete permission. "
        "Run `az ml workspace delete --name mlw-x --resource-group rg-x --permanently-delete`, then retry"
    )


def test_failed_workspace_operation_stops_the_destroy() -> None:
    clients = FakeClients(poller=FakePoller(error=HttpResponseError(message="operation Failed")))
    with pytest.raises(PurgeError, match="permanently deleting workspace mlw-x failed: operation Failed"):
        purge_workspace(hook_args(WORKSPACE_ID), clients)


def test_workspace_purge_that_never_ends_stops_the_destroy() -> None:
    with pytest.raises(PurgeError, match=f"did not finish within {PURGE_TIMEOUT_SECONDS} s.*--permanently-delete"):
        purge_workspace(hook_args(WORKSPACE_ID), FakeClients(poller=FakePoller(finished=False)))


# --- The vault: azure-mgmt-keyvault purges the soft-deleted vault ----------------------------


def test_vault_purge_purges_the_deleted_vault_in_its_location() -> None:
    clients = FakeClients()
    purge_key_vault(hook_args(VAULT_ID, {"location": "westeurope"}), clients)
    assert clients.built == [("vaults", SUBSCRIPTION)]
    assert clients.calls == [("begin_purge_deleted", "kv-x-123456", "westeurope")]
    assert clients.poller.waits == [PURGE_TIMEOUT_SECONDS]


def test_vault_location_falls_back_to_its_inputs() -> None:
    clients = FakeClients()
    purge_key_vault(hook_args(VAULT_ID, old_inputs={"location": "northeurope"}), clients)
    assert clients.calls == [("begin_purge_deleted", "kv-x-123456", "northeurope")]


def test_vault_not_among_the_deleted_is_fine() -> None:
    clients = FakeClients(poller=FakePoller(error=ResourceNotFoundError("DeletedVault kv-x-123456 not found")))
    purge_key_vault(hook_args(VAULT_ID, {"location": "westeurope"}), clients)
    assert len(clients.calls) == 1


def test_refused_vault_purge_says_what_to_run() -> None:
    clients = FakeClients(refuse=HttpResponseError(message="Conflict: purge protection is on"))
    with pytest.raises(PurgeError) as raised:
        purge_key_vault(hook_args(VAULT_ID, {"location": "westeurope"}), clients)
    assert str(raised.value) == (
        "purging vault kv-x-123456 failed: Conflict: purge protection is on. "
        "Run `az keyvault purge --name kv-x-123456 --location westeurope`"
    )


def test_vault_without_a_location_is_not_guessed() -> None:
    clients = FakeClients()
    with pytest.raises(PurgeError, match="vault kv-x-123456 has no location"):
        purge_key_vault(hook_args(VAULT_ID), clients)
    assert clients.built == []


# --- The real clients and identity -----------------------------------------------------------


class NoToken:
    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        raise AssertionError("building a client must not sign in")


def test_default_clients_are_the_azure_sdks_for_the_resource_at_hand(monkeypatch: pytest.MonkeyPatch) -> None:
    from azure.ai.ml.operations import WorkspaceOperations
    from azure.mgmt.keyvault.operations import VaultsOperations

    monkeypatch.setattr(teardown, "credential", NoToken)
    clients = AzureClients()
    workspaces, vaults = clients.workspaces(SUBSCRIPTION, "rg-x"), clients.vaults(SUBSCRIPTION)
    assert isinstance(workspaces, WorkspaceOperations)
    assert (workspaces._subscription_id, workspaces._resource_group_name) == (SUBSCRIPTION, "rg-x")
    assert isinstance(vaults, VaultsOperations)
    assert vaults._config.subscription_id == SUBSCRIPTION


def test_the_sdk_calls_take_the_arguments_the_purges_pass() -> None:
    """The fakes above mirror these signatures; this keeps them honest when the SDKs move."""
    from azure.ai.ml.operations import WorkspaceOperations
    from azure.mgmt.keyvault.operations import VaultsOperations

    inspect.signature(WorkspaceOperations.begin_delete).bind(None, "mlw-x", **PERMANENTLY)
    inspect.signature(VaultsOperations.begin_purge_deleted).bind(None, "kv-x-123456", "westeurope")


def test_hooks_sign_in_as_the_service_principal_the_provider_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    from azure.identity import ClientSecretCredential

    for key, value in {"ARM_TENANT_ID": "tenant", "ARM_CLIENT_ID": "client", "ARM_CLIENT_SECRET": "secret"}.items():
        monkeypatch.setenv(key, value)
    assert isinstance(teardown.credential(), ClientSecretCredential)


def test_hooks_without_a_service_principal_use_the_default_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    from azure.identity import DefaultAzureCredential

    monkeypatch.delenv("ARM_CLIENT_SECRET", raising=False)
    assert isinstance(teardown.credential(), DefaultAzureCredential)


def test_the_program_loads_no_azure_sdk_until_a_purge_runs() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, components.infra.workspace; print(sorted(m for m in sys.modules if m.startswith('azure')))"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "[]"
