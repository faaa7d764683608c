"""What a production stack must hold to: no public network access, no shared keys, a vault that can't be purged.

Each reads the input the program sets (components/infra/workspace.py) and names the stack key that sets it.
An input the program leaves unset takes Azure's default, which is the open one in every case here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from .policy import guardrail
from .resources import KEY_VAULT, STORAGE_ACCOUNT, WORKSPACE, known, mapping, name_of


def _workspace_private(args: ResourceValidationArgs, _config: Mapping[str, Any]) -> Iterator[str]:
    if args.resource_type != WORKSPACE:
        return
    access = known(args.props, "publicNetworkAccess", "Enabled")
    if access != "Disabled":
        name = name_of(args.props, "workspaceName", args.name)
        yield f"workspace {name}: publicNetworkAccess is {access}; set workspace.publicNetworkAccess: Disabled (with a privateEndpoint)"


def _storage_private(args: ResourceValidationArgs, _config: Mapping[str, Any]) -> Iterator[str]:
    if args.resource_type != STORAGE_ACCOUNT:
        return
    access = known(args.props, "publicNetworkAccess", "Enabled")
    denied = known(mapping(known(args.props, "networkRuleSet")), "defaultAction") == "Deny"
    if access != "Disabled" and not denied:
        name = name_of(args.props, "accountName", args.name)
        # The stack has no key for it yet: a private account needs private endpoints for whoever uploads (README, Guardrails).
        yield f"storage account {name} is open to public networks (publicNetworkAccess {access}, and no networkRuleSet denies them)"


def _storage_shared_key(args: ResourceValidationArgs, _config: Mapping[str, Any]) -> Iterator[str]:
    if args.resource_type != STORAGE_ACCOUNT:
        return
    if known(args.props, "allowSharedKeyAccess", True) is not False:
        name = name_of(args.props, "accountName", args.name)
        yield f"storage account {name} allows shared-key access; set workspace.storageSharedKeyAccess: false"


def _vault_purge_protection(args: ResourceValidationArgs, _config: Mapping[str, Any]) -> Iterator[str]:
    if args.resource_type != KEY_VAULT:
        return
    if known(mapping(known(args.props, "properties")), "enablePurgeProtection") is not True:
        name = name_of(args.props, "vaultName", args.name)
        yield f"key vault {name} has no purge protection; set workspace.purgeProtection: true"


workspace_private = guardrail(
    "workspace-private",
    "In production, the Azure ML workspace takes no public network access.",
    _workspace_private,
    {},
    production=True,
)

storage_private = guardrail(
    "storage-private",
    "In production, the workspace's storage account takes no public network access.",
    _storage_private,
    {},
    production=True,
)

storage_shared_key = guardrail(
    "storage-shared-key",
    "In production, storage accounts allow no shared-key access (Entra ID only).",
    _storage_shared_key,
    {},
    production=True,
)

vault_purge_protection = guardrail(
    "vault-purge-protection",
    "In production, the key vault has purge protection.",
    _vault_purge_protection,
    {},
    production=True,
)
