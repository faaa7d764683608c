"""What a stack's YAML files name that the stack itself must define, checked across files at preview.

An `azureml:<name>[:<version>|@<label>]` environment, data asset or component that a job, a
pipeline step or a stack component names exists only if the stack declares it, on the local
target and on a workspace the stack creates: neither has anything else (curated `AzureML-*`
environments and `azureml://registries/...` references excepted). An existing workspace may
hold it, so there it passes through. A pinned version other than the one the stack declares
passes too: an earlier deployment may have made it, and archived versions stay usable.

On the local target, a path `azureml://datastores/<name>/paths/...` needs a datastore `<name>`
of the stack (there is no `workspaceblobstore` here), and cloud storage URIs (`wasbs://`,
`abfss://`, `adl://`, ...) cannot be read at all.

Pure reading of the specs already loaded: cheap enough for every preview.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from components.spec.asset_references import asset_reference
from components.spec.local_paths import is_cloud_storage
from components.spec.pipeline_specs import PipelineStep, component_field
from components.spec.settings import NAMESPACE, SettingsError

Scope = Literal["local", "created", "existing"]
"""Where the stack deploys: the local target, a workspace it creates, or an existing one."""

_DATASTORE_PATH = re.compile(r"^azureml://datastores/(?P<name>[^/]+)(/|$)")


@dataclass(frozen=True)
class Declared:
    """The names of what the stack declares, by kind."""

    environments: frozenset[str]
    data: frozenset[str]
    components: frozenset[str]
    datastores: frozenset[str]


@dataclass(frozen=True)
class Named:
    """A value a YAML file the stack lists gives a field: `(jobs/train.yml, inputs.table.path, azureml:t:1)`."""

    file: str
    field: str
    value: Any


@dataclass(frozen=True)
class _Kind:
    noun: str
    key: str
    """The stack key that declares them."""


_ENVIRONMENT = _Kind("an environment", "environments")
_DATA = _Kind("a data asset", "data")
_COMPONENT = _Kind("a component", "components")


def check_references(
    scope: Scope,
    declared: Declared,
    jobs: Sequence[tuple[str, Mapping[str, Any], Sequence[PipelineStep]]],
    components: Sequence[tuple[str, Mapping[str, Any]]],
    data: Sequence[tuple[str, Mapping[str, Any]]],
    stack_file: str,
) -> None:
    """Raise one SettingsError line for the first reference the stack's target cannot resolve.

    `jobs` are (file, definition, pipeline steps); `components` and `data` (file, definition)."""
    environments = [n for file, job, steps in jobs for n in _environments(file, job, steps)]
    environments += [Named(file, "environment", body.get("environment")) for file, body in components]
    paths = [n for file, job, steps in jobs for n in _input_paths(file, job, steps)]
    paths += [Named(file, "path", body.get("path")) for file, body in data]
    step_components = [n for file, _job, steps in jobs for n in _step_components(file, steps)]
    if scope != "existing":
        _check_assets(scope, _ENVIRONMENT, environments, declared.environments, stack_file)
        _check_assets(scope, _DATA, paths, declared.data, stack_file)
        _check_assets(scope, _COMPONENT, step_components, declared.components, stack_file)
    if scope == "local":
        _check_local_paths(paths, declared.datastores, stack_file)


def _environments(file: str, job: Mapping[str, Any], steps: Sequence[PipelineStep]) -> Iterator[Named]:
    yield Named(file, "environment", job.get("environment"))
    yield Named(file, "trial.environment", _mapping(job.get("trial")).get("environment"))
    for step in steps:
        if "environment" in step.body:
            yield Named(file, f"{step.where}.environment", step.body["environment"])
        elif step.component is not None:
            yield Named(file, f"{step.where}.{component_field(step.body)}.environment", step.component.get("environment"))


def _input_paths(file: str, job: Mapping[str, Any], steps: Sequence[PipelineStep]) -> Iterator[Named]:
    """Every `path` of an input: the job's (a pipeline's own too) and its steps'."""
    for prefix, inputs in [("", job.get("inputs")), *((f"{step.where}.", step.body.get("inputs")) for step in steps)]:
        for name, spec in _mapping(inputs).items():
            if isinstance(spec, Mapping) and isinstance(spec.get("path"), str):
                yield Named(file, f"{prefix}inputs.{name}.path", spec["path"])


def _step_components(file: str, steps: Sequence[PipelineStep]) -> Iterator[Named]:
    for step in steps:
        uses = component_field(step.body)
        yield Named(file, f"{step.where}.{uses}", step.body.get(uses))


def _check_assets(scope: Scope, kind: _Kind, named: Sequence[Named], declared: frozenset[str], stack_file: str) -> None:
    for item in named:
        reference = asset_reference(item.value)
        if reference is None or reference.name in declared or (kind is _ENVIRONMENT and reference.curated):
            continue
        where = "the local target has" if scope == "local" else "a workspace this stack creates has"
        raise SettingsError(
            f"{stack_file}: {item.file}: {item.field}: {item.value} is not {kind.noun} of this stack "
            f"(declared: {_listed(declared)}); {where} only those listed under {NAMESPACE}:{kind.key}"
        )


def _check_local_paths(paths: Sequence[Named], datastores: frozenset[str], stack_file: str) -> None:
    for item in paths:
        path = item.value if isinstance(item.value, str) else ""
        store = _DATASTORE_PATH.match(path)
        if store and store["name"] not in datastores:
            raise SettingsError(
                f"{stack_file}: {item.file}: {item.field}: {path} is in datastore {store['name']!r}, not a datastore of this stack "
                f"(declared: {_listed(datastores)}); the local target has only those listed under {NAMESPACE}:datastores"
            )
        if is_cloud_storage(path):
            raise SettingsError(
                f"{stack_file}: {item.file}: {item.field}: {path} is cloud storage the local target cannot read "
                "(it reads local paths, azureml://datastores/ paths of the stack's datastores and http(s) URLs)"
            )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _listed(names: frozenset[str]) -> str:
    return ", ".join(sorted(names)) or "none"
