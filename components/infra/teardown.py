"""Purge on destroy: resource hooks that free the workspace's and the vault's names at once.

Azure keeps a deleted AML workspace (14 days) and a deleted Key Vault (7-90 days) soft-deleted,
and their names stay taken, so a destroyed stack could not be re-created under the same names.
pulumi-azure-native v3 has no switch for this: its delete is a plain ARM DELETE (no
`forceToPurge`) and it never purges vaults. So `Workspace` binds these Pulumi resource hooks,
which run in the program around the provider's delete:

- before the workspace is deleted, azure-ai-ml deletes it permanently (what
  `az ml workspace delete --permanently-delete` does); the provider's own delete then finds
  nothing left, which it treats as done. Running before the delete means a failed purge stops
  the destroy with the workspace still in the state, ready for a retry.
- after the vault is deleted, azure-mgmt-keyvault purges the soft-deleted vault.

The hooks run on every delete of those two resources: a destroy, their removal from the
program, or a change that replaces them. Both wait for Azure's long-running operation, so a
`pulumi up` straight after the destroy finds the names free. Delete hooks only run when the
program runs: `pulumi destroy` must be given `--run-program` (the engine refuses a destroy
without it while hooks are bound). They sign in as the azure-native provider does:
ARM_CLIENT_ID/ARM_CLIENT_SECRET/ARM_TENANT_ID when set, otherwise azure-identity's
DefaultAzureCredential (Azure CLI login, managed identity, ...). Log Analytics needs no purge:
re-creating a soft-deleted one by name recovers it.

Nothing Azure is imported at module level: only a destroy with purgeOnDestroy on needs the
SDKs, and every other run (local and existing-workspace stacks above all) stays lean.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Protocol

import pulumi

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

PURGE_TIMEOUT_SECONDS = 30 * 60


class PurgeError(RuntimeError):
    """Azure refused or failed a purge; the message says what to run by hand."""


class Poller(Protocol):
    """The part of azure-core's LROPoller a purge uses."""

    def result(self, timeout: float | None = None) -> object: ...

    def done(self) -> bool: ...


class WorkspaceOperations(Protocol):
    """The part of azure-ai-ml's `MLClient.workspaces` a purge uses."""

    def begin_delete(self, name: str, *, delete_dependent_resources: bool, permanently_delete: bool = False) -> Poller: ...


class VaultOperations(Protocol):
    """The part of azure-mgmt-keyvault's `KeyVaultManagementClient.vaults` a purge uses."""

    def begin_purge_deleted(self, vault_name: str, location: str) -> Poller: ...


class Clients(Protocol):
    """Builds the SDK clients a purge needs, for the subscription (and group) of the resource at hand."""

    def workspaces(self, subscription_id: str, resource_group: str) -> WorkspaceOperations: ...

    def vaults(self, subscription_id: str) -> VaultOperations: ...


class AzureClients:
    """The real SDK clients, signed in as the deploying identity; SDKs are imported on first use."""

    def workspaces(self, subscription_id: str, resource_group: str) -> WorkspaceOperations:
        from azure.ai.ml import MLClient

        return MLClient(self._credential, subscription_id, resource_group).workspaces

    def vaults(self, subscription_id: str) -> VaultOperations:
        from azure.mgmt.keyvault import KeyVaultManagementClient

        return KeyVaultManagementClient(self._credential, subscription_id).vaults

    @cached_property
    def _credential(self) -> TokenCredential:
        return credential()


def credential() -> TokenCredential:
    """The identity the azure-native provider uses: a service principal from ARM_* variables, else the default chain."""
    from azure.identity import ClientSecretCredential, DefaultAzureCredential

    tenant, client, secret = (os.environ.get(k) for k in ("ARM_TENANT_ID", "ARM_CLIENT_ID", "ARM_CLIENT_SECRET"))
    if tenant and client and secret:
        return ClientSecretCredential(tenant, client, secret)
    return DefaultAzureCredential()


class PurgeHooks:
    """The named hooks of one Workspace component.

    They are registered on every run, even with purgeOnDestroy off, because the engine looks
    delete hooks up by the names it stored when the resources were last deployed; the current
    setting then decides whether they purge.
    """

    def __init__(self, component: str, enabled: bool, clients: Clients | None = None) -> None:
        self.enabled = enabled
        self._clients = clients or AzureClients()
        self.workspace = pulumi.ResourceHook(f"{component}-purge-workspace", self._guard(purge_workspace))
        self.key_vault = pulumi.ResourceHook(f"{component}-purge-key-vault", self._guard(purge_key_vault))

    def workspace_binding(self) -> pulumi.ResourceHookBinding | None:
        return pulumi.ResourceHookBinding(before_delete=[self.workspace]) if self.enabled else None

    def key_vault_binding(self) -> pulumi.ResourceHookBinding | None:
        return pulumi.ResourceHookBinding(after_delete=[self.key_vault]) if self.enabled else None

    def _guard(self, purge: Callable[[pulumi.ResourceHookArgs, Clients], None]) -> Callable[[pulumi.ResourceHookArgs], None]:
        def hook(args: pulumi.ResourceHookArgs) -> None:
            if self.enabled:
                purge(args, self._clients)
            else:
                pulumi.log.info(f"purgeOnDestroy is off: {args.id} stays soft-deleted")

        hook.__name__ = purge.__name__
        hook.__doc__ = purge.__doc__
        return hook


@dataclass(frozen=True)
class _ArmId:
    subscription: str
    resource_group: str
    name: str

    @classmethod
    def parse(cls, resource_id: str) -> _ArmId:
        from azure.mgmt.core.tools import parse_resource_id

        parts = parse_resource_id(resource_id)
        return cls(parts["subscription"], parts["resource_group"], parts["name"])


def purge_workspace(args: pulumi.ResourceHookArgs, clients: Clients) -> None:
    """Before the provider deletes the workspace: delete it permanently, skipping soft delete."""
    from azure.core.exceptions import AzureError, ResourceNotFoundError

    ws = _ArmId.parse(args.id)
    by_hand = f"az ml workspace delete --name {ws.name} --resource-group {ws.resource_group} --permanently-delete"
    try:
        operations = clients.workspaces(ws.subscription, ws.resource_group)
        # The workspace's storage, vault and registry are Pulumi's to delete, not the SDK's.
        _wait(operations.begin_delete(ws.name, delete_dependent_resources=False, permanently_delete=True), by_hand)
    except ResourceNotFoundError:
        pulumi.log.info(f"workspace {ws.name} is already gone")
    except AzureError as error:
        raise PurgeError(f"permanently deleting workspace {ws.name} failed: {error.message}. Run `{by_hand}`, then retry") from error


def purge_key_vault(args: pulumi.ResourceHookArgs, clients: Clients) -> None:
    """After the provider deleted the vault (soft delete): purge it, freeing its name."""
    from azure.core.exceptions import AzureError, ResourceNotFoundError

    vault = _ArmId.parse(args.id)
    # Deleted vaults are listed by location; the vault's last state knows it.
    location = (args.old_outputs or {}).get("location") or (args.old_inputs or {}).get("location")
    if not location:
        raise PurgeError(f"the state of vault {vault.name} has no location: purge it with `az keyvault purge --name {vault.name}`")
    by_hand = f"az keyvault purge --name {vault.name} --location {location}"
    try:
        _wait(clients.vaults(vault.subscription).begin_purge_deleted(vault.name, location), by_hand)
    except ResourceNotFoundError:
        pulumi.log.info(f"vault {vault.name} is not among the deleted vaults in {location}: nothing to purge")
    except AzureError as error:
        raise PurgeError(f"purging vault {vault.name} failed: {error.message}. Run `{by_hand}`") from error


def _wait(poller: Poller, by_hand: str) -> None:
    """Wait for Azure's operation, so the name is free when the destroy ends; a hung one fails rather than hangs the destroy."""
    poller.result(timeout=PURGE_TIMEOUT_SECONDS)
    if not poller.done():
        raise PurgeError(f"Azure did not finish within {PURGE_TIMEOUT_SECONDS} s: check, or run `{by_hand}`")
