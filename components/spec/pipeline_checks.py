"""A pipeline job's steps and wiring, checked before anything is created or run.

azure-ai-ml's loader finds some of these with a message that names neither the step nor the
field (`Failed to find referenced source for input binding ...`, `jobs.a.component: Missing
data for required field.`), others only the service or the local runner find:

- every `${{parent.jobs.<step>.outputs.<output>}}` names a step of the same pipeline and an
  output that step declares; every `${{parent.inputs.<input>}}` an input the pipeline declares;
- a step output bound to `${{parent.outputs.<output>}}` is one the step declares, and the
  pipeline declares that output;
- no steps bind each other's outputs in a cycle;
- an inline command step has a command, and every step's local code folder exists inside the
  repository; environment variables are strings (validation.py).

Nested pipeline components are checked the same way, each against its own inputs, outputs and
steps. A step's outputs come from its inline definition, its component (a local YAML, an inline
one, or one the stack registers); a component registered outside the stack cannot be read, so
bindings to its outputs pass. Pure YAML reading, run on every preview.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from components.spec.asset_references import asset_reference
from components.spec.pipeline_specs import PipelineStep, component_field, step_code
from components.spec.validation import DefinitionError, Location, check_environment_variables, check_exists

_BINDING = re.compile(
    r"\$\{\{\s*parent\.(?:jobs\.(?P<step>[\w-]+)\.outputs\.(?P<step_output>[\w-]+)"
    r"|inputs\.(?P<input>[\w-]+)|outputs\.(?P<output>[\w-]+))\s*\}\}"
)


@dataclass(frozen=True)
class StackComponent:
    """A component the stack registers: the version it registers and its fields."""

    version: str
    definition: Mapping[str, Any]


@dataclass(frozen=True)
class _Pipeline:
    """The job itself, or a pipeline component inside it, with its own steps by their key."""

    body: Mapping[str, Any]
    steps: dict[str, PipelineStep]
    where: str
    """Its `jobs:` field: `jobs`, or `jobs.<step>.jobs` for a nested one."""


def check_pipeline(
    body: Mapping[str, Any], steps: Sequence[PipelineStep], components: Mapping[str, StackComponent], where: Location
) -> None:
    """Raise `DefinitionError("<field>: <problem>")` for the first step or binding that cannot run."""
    for step in steps:
        _check_step(step, where)
    for pipeline in _pipelines(body, steps):
        needs = {key: _check_bindings(pipeline, step, components) for key, step in pipeline.steps.items()}
        _refuse_cycles(pipeline, needs)


def _pipelines(body: Mapping[str, Any], steps: Sequence[PipelineStep]) -> Iterator[_Pipeline]:
    def own(prefix: str) -> dict[str, PipelineStep]:
        return {s.name.removeprefix(prefix): s for s in steps if s.name.startswith(prefix) and "/" not in s.name.removeprefix(prefix)}

    yield _Pipeline(body, own(""), "jobs")
    for step in steps:
        if step.type == "pipeline" and step.component is not None:
            yield _Pipeline(step.component, own(f"{step.name}/"), f"{step.where}.jobs")


def _check_step(step: PipelineStep, where: Location) -> None:
    uses = component_field(step.body)
    if uses not in step.body and step.type == "command" and not step.body.get("command"):
        raise DefinitionError(f"{step.where}.command: an inline command step needs a command (or a component to run)")
    if code := step_code(step):
        path, written_in = code
        field = "code" if step.body.get("code") == path else f"{uses}.code"
        check_exists(f"{step.where}.{field}", path, Location(where.root, where.root / written_in.parent, where.external))
    check_environment_variables(f"{step.where}.environment_variables", step.body.get("environment_variables"))
    if step.component is not None:
        check_environment_variables(f"{step.where}.{uses}.environment_variables", step.component.get("environment_variables"))


def _check_bindings(pipeline: _Pipeline, step: PipelineStep, components: Mapping[str, StackComponent]) -> set[str]:
    """Check what the step binds; the steps whose outputs it takes."""
    needs: set[str] = set()
    uses = component_field(step.body)
    for field, text in _strings(step.body, f"{step.where}", skip=("outputs", uses)):
        for binding in _BINDING.finditer(text):
            if binding["step"]:
                _check_step_output(pipeline, binding["step"], binding["step_output"], f"{field}: {binding[0]}", components)
                needs.add(binding["step"])
            if binding["input"]:
                _check_declared(pipeline.body, "inputs", binding["input"], f"{field}: {binding[0]}")
    for name, value in _mapping(step.body.get("outputs")).items():
        text = value if isinstance(value, str) else _mapping(value).get("path")
        for binding in _BINDING.finditer(text if isinstance(text, str) else ""):
            if binding["output"]:
                field = f"{step.where}.outputs.{name}: {binding[0]}"
                declared = _declared_outputs(step, components)
                if declared is not None and name not in declared:
                    raise DefinitionError(f"{field}: the step's component declares no output {name!r} (declares: {_listed(declared)})")
                _check_declared(pipeline.body, "outputs", binding["output"], field)
    return needs


def _check_step_output(pipeline: _Pipeline, step: str, output: str, field: str, components: Mapping[str, StackComponent]) -> None:
    if step not in pipeline.steps:
        raise DefinitionError(f"{field}: the pipeline has no step {step!r} (steps: {_listed(pipeline.steps)})")
    declared = _declared_outputs(pipeline.steps[step], components)
    if declared is not None and output not in declared:
        raise DefinitionError(f"{field}: step {step} declares no output {output!r} (declares: {_listed(declared)})")


def _check_declared(pipeline: Mapping[str, Any], namespace: str, name: str, field: str) -> None:
    declared = _mapping(pipeline.get(namespace))
    if name not in declared:
        raise DefinitionError(f"{field}: the pipeline declares no {namespace[:-1]} {name!r} (declares: {_listed(declared)})")


def _declared_outputs(step: PipelineStep, components: Mapping[str, StackComponent]) -> list[str] | None:
    """The outputs a step declares; None when they cannot be read here (a component registered elsewhere)."""
    uses = component_field(step.body)
    if uses not in step.body:
        return list(_mapping(step.body.get("outputs")))  # an inline step declares its own
    if step.component is not None:
        return list(_mapping(step.component.get("outputs")))
    reference = asset_reference(step.body[uses])
    component = components.get(reference.name) if reference else None
    if reference is None or component is None or reference.version not in (None, component.version):
        return None
    return list(_mapping(component.definition.get("outputs")))


def _refuse_cycles(pipeline: _Pipeline, needs: Mapping[str, set[str]]) -> None:
    """Depth-first: a step met again while its own inputs are being followed closes a cycle."""
    done: set[str] = set()

    def visit(step: str, path: list[str]) -> None:
        if step in path:
            cycle = [*path[path.index(step) :], step]
            raise DefinitionError(f"{pipeline.where}: steps {' -> '.join(cycle)} bind each other's outputs in a cycle: none can start")
        if step in done:
            return
        for needed in sorted(needs.get(step, ())):
            visit(needed, [*path, step])
        done.add(step)

    for step in needs:
        visit(step, [])


def _strings(value: Any, field: str, skip: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    """(field, text) for every string inside a step's fields."""
    if isinstance(value, str):
        yield field, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if key not in skip:
                yield from _strings(item, f"{field}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{field}[{index}]")


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _listed(names: Any) -> str:
    return ", ".join(names) or "none"
