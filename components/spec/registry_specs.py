"""Registries as a stack declares them, and the models it shares to them or takes from other stacks.

A registry the stack creates is an Azure ML registry YAML (`name`, `location`, `replication_locations`,
`public_network_access`, `tags`, `description`; https://learn.microsoft.com/azure/machine-learning/reference-yaml-registry),
loaded with azure-ai-ml's `load_registry` in the program (components/spec/specs.py), never in `check` or `diff`.
An existing one is named in the stack file. Checked here, before any resource: registry names (one each), a model's
`registry` naming one the stack declares, and for a model taken `from` another stack, what that stack exports
(read from the state backend, as the StackReference that then carries it reads it): the model, shared to a registry,
and that registry declared here too (the stack grants itself access to every registry it uses).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from components.spec.settings import NAMESPACE, REGISTRY_NAME, REGISTRY_NAME_RULE, ModelEntry, SettingsError, StackSettings

# The engine's built-in function behind `pulumi.StackReference`: a stack's outputs, by `<org>/<project>/<stack>`.
READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs"

# Reads a stack's outputs by its full name; raises when the backend has no such stack.
StackOutputs = Callable[[str], Mapping[str, Any]]


@dataclass(frozen=True)
class RegistrySpec:
    """One registry of the stack: created from its YAML (`definition`), or existing (no definition)."""

    index: int
    name: str
    definition: dict[str, Any] | None = None
    file: str | None = None
    resource_group: str | None = None
    subscription_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def existing(self) -> bool:
        return self.definition is None


@dataclass(frozen=True)
class SourceModel:
    """A model another stack shared: where it is and which version, as that stack's outputs say."""

    stack: str
    model: str
    registry: str
    version: str


def check_registries(registries: Sequence[RegistrySpec], models: Sequence[ModelEntry], stack_file: str) -> None:
    """One line for the first problem: a YAML's name, two registries of one name, a model's undeclared registry."""
    seen: dict[str, int] = {}
    for registry in registries:
        key = f"{NAMESPACE}:registries[{registry.index}]"
        where = f"{stack_file}: {registry.file}" if registry.file else f"{stack_file}: {key}"
        if not re.fullmatch(REGISTRY_NAME, registry.name):
            raise SettingsError(f"{where}: name: {registry.name!r} is not a valid registry name: {REGISTRY_NAME_RULE}")
        if registry.name in seen:
            raise SettingsError(f"{where}: name: {registry.name!r} is also {NAMESPACE}:registries[{seen[registry.name]}]'s")
        seen[registry.name] = registry.index
    for i, model in enumerate(models):
        if model.registry is not None and model.registry not in seen:
            raise SettingsError(
                f"{stack_file}: {NAMESPACE}:models[{i}].registry: {model.registry!r} is not a registry of this stack "
                f"(registries: {', '.join(seen) or 'none'}; declare it, or name an existing one with existing: true)"
            )


def read_sources(settings: StackSettings, declared: Sequence[str], read: StackOutputs, stack_file: str) -> dict[str, SourceModel]:
    """The model each `from` entry takes, by the entry's name; one line for the first that cannot be taken."""
    outputs: dict[str, Mapping[str, Any]] = {}
    sources: dict[str, SourceModel] = {}
    for i, entry in enumerate(settings.models):
        if entry.source is None:
            continue
        key = f"{stack_file}: {NAMESPACE}:models[{i}].from"
        stack = entry.source.stack
        if stack not in outputs:
            outputs[stack] = _read(read, stack, key)
        sources[entry.name] = _source(outputs[stack], stack, entry.source_model, declared, key)
    return sources


def _read(read: StackOutputs, stack: str, key: str) -> Mapping[str, Any]:
    try:
        return read(stack)
    except Exception as err:  # noqa: BLE001 - the engine answers a missing stack with an RPC error
        # The engine wraps its reason (`unknown stack "<name>"`) in two layers of "invoke ... failed" text.
        reason = str(err).strip().splitlines()[0].rsplit("returned an error: ", 1)[-1]
        raise SettingsError(f"{key}: stack {stack} cannot be read from this state backend ({reason}); `pulumi up` it first") from None


def _source(outputs: Mapping[str, Any], stack: str, model: str, declared: Sequence[str], key: str) -> SourceModel:
    models = outputs.get("models")
    exported = models.get(model) if isinstance(models, Mapping) else None
    if not isinstance(exported, Mapping):
        known = ", ".join(sorted(models)) if isinstance(models, Mapping) else "none"
        raise SettingsError(f"{key}: stack {stack} exports no model {model!r} (its models: {known or 'none'})")
    registry, version = exported.get("registry"), exported.get("registryVersion")
    if not registry or version is None:
        raise SettingsError(
            f"{key}: model {model!r} of stack {stack} is not shared to a registry; give it `registry: <name>` in that stack"
        )
    if registry not in declared:
        raise SettingsError(
            f"{key}: model {model!r} of stack {stack} is in registry {registry!r}, which this stack does not declare "
            f"(add {{name: {registry}, existing: true}} to {NAMESPACE}:registries)"
        )
    return SourceModel(stack, model, str(registry), str(version))


def engine_stack_outputs(stack: str) -> Mapping[str, Any]:
    """A stack's outputs through the engine (the state backend the deployment uses), synchronously: the program checks
    them before it registers anything. Secret outputs arrive as they are stored; `models` holds none."""
    import pulumi

    result = pulumi.runtime.invoke(READ_STACK_OUTPUTS, {"name": stack})
    return (result.value or {}).get("outputs") or {}
