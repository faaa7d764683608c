"""Azure resource names derived from project and stack, by each resource type's rules.

Pure functions, no Pulumi: `derive_names(project, stack, workspace_settings)` gives every
name the Workspace component needs; an explicit override in the stack file wins.

Names that must be unique across all of Azure (storage account, key vault, container
registry) always end in a short suffix hashed from the raw project and stack, so two
stacks never collide even when their cleaned-up or truncated names look alike. Names that
only need to be unique in their resource group carry the suffix only when they had to be
shortened, for the same reason.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from components.settings import WorkspaceSettings

SUFFIX_LENGTH = 6

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


def _hyphenated_name(prefix: str, project: str, stack: str, max_length: int, always_suffix: bool) -> str:
    """`prefix-project-stack`, or a shortened `prefix-project-stack-suffix` when too long (or always_suffix)."""
    parts = (_hyphenated(project), _hyphenated(stack))
    whole = _join(prefix, *parts)
    if not always_suffix and len(whole) <= max_length and any(parts):
        return whole
    tag = suffix(project, stack)
    room = max_length - len(prefix) - len(tag) - 2  # the hyphens around the body
    return _join(prefix, _body(*parts, room, "-"), tag)


def _alphanumeric_name(prefix: str, project: str, stack: str, max_length: int) -> str:
    """`prefix + project + stack + suffix`, shortened to fit: for globally unique names without hyphens."""
    tag = suffix(project, stack)
    room = max_length - len(prefix) - len(tag)
    return prefix + _body(_alphanumeric(project), _alphanumeric(stack), room, "") + tag


def resource_group_name(project: str, stack: str) -> str:
    return _hyphenated_name("rg", project, stack, RESOURCE_GROUP_MAX, always_suffix=False)


def workspace_name(project: str, stack: str) -> str:
    return _hyphenated_name("mlw", project, stack, WORKSPACE_MAX, always_suffix=False)


def storage_account_name(project: str, stack: str) -> str:
    return _alphanumeric_name("st", project, stack, STORAGE_ACCOUNT_MAX)


def key_vault_name(project: str, stack: str) -> str:
    return _hyphenated_name("kv", project, stack, KEY_VAULT_MAX, always_suffix=True)


def container_registry_name(project: str, stack: str) -> str:
    return _alphanumeric_name("cr", project, stack, CONTAINER_REGISTRY_MAX)


def application_insights_name(project: str, stack: str) -> str:
    return _hyphenated_name("appi", project, stack, MONITORING_MAX, always_suffix=False)


def log_analytics_name(project: str, stack: str) -> str:
    return _hyphenated_name("log", project, stack, MONITORING_MAX, always_suffix=False)


def derive_names(project: str, stack: str, settings: WorkspaceSettings) -> AzureNames:
    """Every name, overridden by `workspace.name`, `workspace.resourceGroup` or `workspace.names.*` when set."""
    overrides = settings.names
    return AzureNames(
        resource_group=settings.resource_group or overrides.resource_group or resource_group_name(project, stack),
        workspace=settings.name or workspace_name(project, stack),
        storage_account=overrides.storage_account or storage_account_name(project, stack),
        key_vault=overrides.key_vault or key_vault_name(project, stack),
        container_registry=overrides.container_registry or container_registry_name(project, stack),
        application_insights=overrides.application_insights or application_insights_name(project, stack),
        log_analytics=overrides.log_analytics or log_analytics_name(project, stack),
    )
