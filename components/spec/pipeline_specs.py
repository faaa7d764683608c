"""Pipeline job YAMLs: the steps they run and the local files each step runs from.

A pipeline's `jobs:` are its steps. A step is written inline (`type: command` with its own
`command`, `code`, `environment`), or uses a component: a local component YAML
(`component: ./train.yml`, or a sweep's `trial: ./train.yml`), a registered one
(`azureml:<name>@latest`, `azureml:<name>:<version>`), or an inline `component:` mapping. A
`type: pipeline` step uses a pipeline component, whose own `jobs:` are walked in turn, its
steps named `<outer>/<inner>`.

Pure YAML reading (no azure-ai-ml): the program walks this on every preview, and the spec
cache keeps a no-op preview from importing the SDK. See
https://learn.microsoft.com/azure/machine-learning/reference-yaml-job-pipeline
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.spec.local_paths import is_local

# Job types the local target runs; a pipeline step of another type (automl, spark, parallel,
# data_transfer, import ...) needs Azure ML's service.
LOCAL_JOB_TYPES = ("command", "sweep", "pipeline")

ReadYaml = Callable[[Path, str], dict[str, Any]]
"""Reads a component YAML (relative to the repository root); the text names who refers to it."""


@dataclass(frozen=True)
class PipelineStep:
    name: str
    """The step's key in `jobs:`; a nested pipeline's steps are `<outer>/<inner>`."""
    type: str
    file: Path
    """The YAML the step is written in: relative paths of its own fields start at its folder."""
    body: Mapping[str, Any]
    component_file: Path | None = None
    """The local component YAML the step uses."""
    component: Mapping[str, Any] | None = None
    """That component's fields (or an inline component's); None for a registered one."""

    @property
    def where(self) -> str:
        return f"jobs.{self.name.replace('/', '.jobs.')}"


def component_field(step: Mapping[str, Any]) -> str:
    """The field naming a step's component: a sweep step's `trial`, any other step's `component`."""
    return "trial" if step.get("type") == "sweep" else "component"


def is_pipeline(body: Mapping[str, Any]) -> bool:
    return body.get("type") == "pipeline"


def pipeline_steps(file: Path, body: Mapping[str, Any], read: ReadYaml, prefix: str = "") -> Iterator[PipelineStep]:
    """Every step of the pipeline in `file`, nested pipelines' steps after their own step."""
    for name, step in (body.get("jobs") or {}).items():
        where = f"jobs.{name}"
        if not isinstance(step, Mapping):
            raise ValueError(f"{where}: expected a mapping of the step's fields")
        uses = component_field(step)
        component_file, component = _component(file, step.get(uses), read, f"{where}.{uses}")
        kind = str(step.get("type") or (component or {}).get("type") or "command")
        found = PipelineStep(f"{prefix}{name}", kind, file, step, component_file, component)
        yield found
        if kind == "pipeline" and component is not None:
            yield from pipeline_steps(component_file or file, component, read, f"{found.name}/")


def referenced_files(steps: list[PipelineStep]) -> list[Path]:
    """Local files whose content the SDK's loader reads along with the pipeline: component YAMLs
    and the conda files of inline environments."""
    files: list[Path] = []
    for step in steps:
        if step.component_file is not None:
            files.append(step.component_file)
        for environment, written_in in step_environments(step):
            conda = environment.get("conda_file")
            if isinstance(conda, str):
                files.append(_join(written_in.parent, conda))
    return list(dict.fromkeys(files))


def step_code(step: PipelineStep) -> tuple[str, Path] | None:
    """The step's local code folder and the YAML it is written in: the step's own `code`, or its component's."""
    for fields, written_in in _layers(step):
        code = fields.get("code")
        if isinstance(code, str) and is_local(code):
            return code, written_in
    return None


def step_environments(step: PipelineStep) -> list[tuple[Mapping[str, Any], Path]]:
    """The inline environment a step runs (its own override, else its component's), with the YAML it is written in."""
    for fields, written_in in _layers(step):
        environment = fields.get("environment")
        if environment is not None:
            return [(environment, written_in)] if isinstance(environment, Mapping) else []
    return []


def step_environment_reference(step: PipelineStep) -> str | None:
    """The `azureml:` environment a step runs, when it names one (its own override first)."""
    for fields, _written_in in _layers(step):
        environment = fields.get("environment")
        if environment is not None:
            return environment if isinstance(environment, str) else None
    return None


def _layers(step: PipelineStep) -> list[tuple[Mapping[str, Any], Path]]:
    """Where a step's fields come from, the step's own overrides first, then its component's."""
    return [(step.body, step.file), (step.component or {}, step.component_file or step.file)]


def declare_bare_outputs(body: Mapping[str, Any], declares_outputs: bool = True) -> dict[str, Any]:
    """A job with every output written without a body (`outputs: {result: }`) declared as the
    `uri_folder` output Azure ML makes of it.

    Pulumi drops null values from resource properties, so a bare output would reach the provider
    as no output at all. A step using a component only overrides that component's outputs: its
    bare output adds nothing, and a type there would override the component's, so it is left alone."""
    declared = dict(body)
    outputs = body.get("outputs")
    if declares_outputs and isinstance(outputs, Mapping):
        declared["outputs"] = {name: {"type": "uri_folder"} if spec is None else spec for name, spec in outputs.items()}
    uses = component_field(body)
    if isinstance(body.get(uses), Mapping):
        declared[uses] = declare_bare_outputs(body[uses])
    if isinstance(body.get("jobs"), Mapping):
        declared["jobs"] = {name: _declare_step_outputs(step) for name, step in body["jobs"].items()}
    return declared


def _declare_step_outputs(step: Any) -> Any:
    """An inline step declares its own outputs; a step using a component only overrides them."""
    if not isinstance(step, Mapping):
        return step
    return declare_bare_outputs(step, declares_outputs=component_field(step) not in step)


def local_inputs(inputs: Any) -> dict[str, str]:
    """Inputs (`{type, path}`) whose path is a local file or folder, by name."""
    return {
        name: str(spec["path"])
        for name, spec in (inputs or {}).items()
        if isinstance(spec, Mapping) and isinstance(spec.get("path"), str) and is_local(spec["path"]) and "${{" not in spec["path"]
    }


def _component(file: Path, reference: Any, read: ReadYaml, where: str) -> tuple[Path | None, Mapping[str, Any] | None]:
    if isinstance(reference, Mapping):
        return None, reference
    if not isinstance(reference, str) or not is_local(reference):
        return None, None  # registered (azureml:...) or absent
    component_file = _join(file.parent, reference)
    return component_file, read(component_file, f"{where}: {reference!r}")


def _join(folder: Path, relative: str) -> Path:
    """A path relative to a YAML's folder, normalized (`./a/../b.yml` is `b.yml`), relative to the repository root."""
    return Path(os.path.normpath(folder / relative.removeprefix("file:")))


def step_outputs(steps: list[PipelineStep]) -> tuple[list[str], set[str]]:
    """The outputs of a pipeline's own steps as `<step>.<output>`, and the steps whose outputs are
    not known here (a registered component's)."""
    known: list[str] = []
    unknown: set[str] = set()
    for step in steps:
        if "/" in step.name:
            continue  # a nested pipeline's step: its outputs leave only through the nested pipeline's
        if step.component is None and isinstance(step.body.get(component_field(step.body)), str):
            unknown.add(step.name)
        names = dict.fromkeys([*((step.component or {}).get("outputs") or {}), *(step.body.get("outputs") or {})])
        known += [f"{step.name}.{name}" for name in names]
    return known, unknown
