"""Azure resource names derived from project and stack, by each resource type's rules.

Pure functions, no Pulumi: `derive_names(project, stack, subscription_id, workspace_settings)`
gives every name the Workspace component needs; an explicit override in the stack file wins.

Names that must be unique across all of Azure (storage account, key vault, container
registry: their names become DNS names, `<name>.blob.core.windows.net` and so on) always end
in a suffix hashed from the subscription, the resource group, the project and the stack, so
everyone who deploys this project's `dev` stack gets names of their own, and the same
subscription always gets the same ones. Names that only need to be unique in their resource
group (or subscription, for the group itself) carry a suffix of project and stack only when
they had to be shortened, so two stacks never collide even when their cut names look alike.

Rules: https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from components.spec.settings import WorkspaceSettings

SUFFIX_LENGTH = 6
# Global names share their prefix with every other deployer of the project: 32 bits of hash
# keep a clash between two of them negligible (about 1 in 10^6 for a hundred deployers).
GLOBAL_SUFFIX_LENGTH = 8

# Maximum lengths by Azure's naming rules.
RESOURCE_GROUP_MAX = 90
WORKSPACE_MAX = 33
STORAGE_ACCOUNT_MAX = 24
KEY_VAULT_MAX = 24
CONTAINER_REGISTRY_MAX = 50
MONITORING_MAX = 63


@dataclass(frozen=True)
class AzureNames:
    """The Azure names of everything the Workspace component creates or uses."""

    resource_group: str
    workspace: str
    storage_account: str
    key_vault: str
    container_registry: str
    application_insights: str
    log_analytics: str


def suffix(project: str, stack: str) -> str:
    """A short, stable, lowercase hex hash of the raw project and stack names (no subscription needed)."""
    return hashlib.sha256(f"{project}/{stack}".encode()).hexdigest()[:SUFFIX_LENGTH]


def global_suffix(subscription_id: str, resource_group: str, project: str, stack: str) -> str:
    """The hash that makes a global name this deployment's own.

    Subscription ids and resource group names are case-insensitive in ARM, so they are
    lowercased: the same group, however spelled, keeps the same names.
    """
    scope = f"{subscription_id.lower()}/{resource_group.lower()}/{project}/{stack}"
    return hashlib.sha256(scope.encode()).hexdigest()[:GLOBAL_SUFFIX_LENGTH]


def _hyphenated(text: str) -> str:
    """Lowercase, every run of characters other than letters and digits becomes one hyphen."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _alphanumeric(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _join(*parts: str, separator: str = "-") -> str:
    return separator.join(part for part in parts if part)


def _body(project: str, stack: str, room: int, separator: str) -> str:
    """Project and stack in `room` characters; when cut, the stack keeps at least half so stacks stay apart."""
    whole = _join(project, stack, separator=separator)
    if len(whole) <= room:
        return whole
    stack_cut = stack[: max(room // 2, room - len(project) - len(separator))].strip("-")
    project_cut = project[: max(room - len(stack_cut) - len(separator), 0)].strip("-")
    return _join(project_cut, stack_cut, separator=separator)


def _hyphenated_name(prefix: str, project: str, stack: str, max_length: int, tag: str | None = None) -> str:
    """`prefix-project-stack`, or a shortened `prefix-project-stack-suffix` when too long; always `...-tag` when given."""
    parts = (_hyphenated(project), _hyphenated(stack))
    whole = _join(prefix, *parts)
    if tag is None and len(whole) <= max_length and any(parts):
        return whole
    tag = tag or suffix(project, stack)
    room = max_length - len(prefix) - len(tag) - 2  # the hyphens around the body
    return _join(prefix, _body(*parts, room, "-"), tag)


def _alphanumeric_name(prefix: str, project: str, stack: str, max_length: int, tag: str) -> str:
    """`prefix + project + stack + tag`, shortened to fit: for globally unique names without hyphens."""
    room = max_length - len(prefix) - len(tag)
    return prefix + _body(_alphanumeric(project), _alphanumeric(stack), room, "") + tag


def resource_group_name(project: str, stack: str) -> str:
    return _hyphenated_name("rg", project, stack, RESOURCE_GROUP_MAX)


def workspace_name(project: str, stack: str) -> str:
    return _hyphenated_name("mlw", project, stack, WORKSPACE_MAX)


def storage_account_name(project: str, stack: str, tag: str) -> str:
    return _alphanumeric_name("st", project, stack, STORAGE_ACCOUNT_MAX, tag)


def key_vault_name(project: str, stack: str, tag: str) -> str:
    return _hyphenated_name("kv", project, stack, KEY_VAULT_MAX, tag)


def container_registry_name(project: str, stack: str, tag: str) -> str:
    return _alphanumeric_name("cr", project, stack, CONTAINER_REGISTRY_MAX, tag)


def application_insights_name(project: str, stack: str) -> str:
    return _hyphenated_name("appi", project, stack, MONITORING_MAX)


def log_analytics_name(project: str, stack: str) -> str:
    return _hyphenated_name("log", project, stack, MONITORING_MAX)


def cluster_identity_name(workspace: str, cluster: str) -> str:
    """A cluster's user-assigned identity: `id-<workspace>-<cluster>`, unique in the group since both names are.

    Identity names take 3-128 letters, digits, hyphens and underscores; a workspace name (at
    most 33) and a cluster name (at most 16) always fit.
    """
    return f"id-{workspace}-{cluster}"


def private_endpoint_name(workspace: str) -> str:
    """`pe-<workspace>`: private endpoints take 2-64 letters, digits, '_', '.' and '-', ending in a letter, digit or '_'."""
    return f"pe-{workspace}".rstrip("-")


def derive_names(project: str, stack: str, subscription_id: str, settings: WorkspaceSettings) -> AzureNames:
    """Every name, overridden by `workspace.name`, `workspace.resourceGroup` or `workspace.names.*` when set."""
    overrides = settings.names
    group = settings.resource_group or overrides.resource_group or resource_group_name(project, stack)
    tag = global_suffix(subscription_id, group, project, stack)
    return AzureNames(
        resource_group=group,
        workspace=settings.name or workspace_name(project, stack),
        storage_account=overrides.storage_account or storage_account_name(project, stack, tag),
        key_vault=overrides.key_vault or key_vault_name(project, stack, tag),
        container_registry=overrides.container_registry or container_registry_name(project, stack, tag),
        application_insights=overrides.application_insights or application_insights_name(project, stack),
        log_analytics=overrides.log_analytics or log_analytics_name(project, stack),
    )
