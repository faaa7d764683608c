"""Pipeline jobs: steps run as a graph, each as the command, sweep or pipeline job it is.

A step starts once every step whose outputs it binds (`${{parent.jobs.<step>.outputs.<name>}}`)
has completed; steps that don't depend on each other run at the same time, sharing their
compute's slots. A step's fields come from its component (a local component YAML, one
registered in this workspace, or an inline one) with the step's own `inputs`, `outputs`,
`compute`, `environment` and the like laid over them; `${{parent.inputs.<name>}}` binds the
pipeline's inputs, and `${{parent.outputs.<name>}}` makes a step's output the pipeline's.
Compute falls back to the pipeline's `settings.default_compute`, then its `compute`.

Each step runs in `steps/<step>/` of the pipeline's folder (its log in
`steps/<step>/user_logs/std_log.txt`) as an MLflow child run of the pipeline's run. A failed
step fails the pipeline with the step's name and its log's tail; steps that need its outputs
never start, while the others run to their end, as Azure ML does by default
(`settings.continue_on_step_failure` is not needed for that here).

A command or sweep step that does what a step completed earlier in the workspace did is reused,
not run: see step_reuse.py. That is decided before the step starts any process, and never for a
step an interrupted deployment started (that one is waited for or adopted, as every run is).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from components.provider.local.command_jobs import run_command_job
from components.provider.local.components import registered_component
from components.provider.local.errors import InvalidDefinitionError, JobFailedError, UnsupportedLocallyError
from components.provider.local.inputs import input_identity
from components.provider.local.job import JobContext, JobResult
from components.provider.local.progress import report
from components.provider.local.records import write_record
from components.provider.local.references import is_asset_reference
from components.provider.local.runs import own_run
from components.provider.local.step_reuse import (
    STEP_RECORD,
    forces_rerun,
    is_deterministic,
    outputs_manifest,
    reused_outputs,
    step_fingerprint,
)
from components.provider.local.sweep_jobs import run_sweep_job
from components.provider.local.tracking_client import PARENT_RUN_TAG
from components.provider.local.workspace import LocalWorkspace

_BINDING = re.compile(r"^\$\{\{\s*parent\.(?P<what>inputs|outputs)\.(?P<name>[\w-]+)\s*\}\}$")
_STEP_OUTPUT = re.compile(r"^\$\{\{\s*parent\.jobs\.(?P<step>[\w-]+)\.outputs\.(?P<output>[\w-]+)\s*\}\}$")
_ANY_STEP_OUTPUT = re.compile(r"\$\{\{\s*parent\.jobs\.(?P<step>[\w-]+)\.outputs\.")
# A command component's fields that describe what runs (the rest, name, version, display_name ..., don't).
_RUN_FIELDS = ("code", "command", "environment", "environment_variables", "resources", "distribution", "limits")
# A step's own fields that override its component's.
_STEP_OVERRIDES = ("environment", "environment_variables", "resources", "distribution", "limits")
_SWEEP_FIELDS = ("search_space", "objective", "limits", "sampling_algorithm", "early_termination")


@dataclass(frozen=True)
class _Bound:
    """A step's input: as its job takes it, and what it amounts to when deciding whether the step may be reused."""

    value: Any
    identity: Any = None
    """A step output's (see `_Output`); None: the value is its own identity (see `input_identity`)."""


@dataclass(frozen=True)
class _Output:
    path: Path
    identity: str
    """`<fingerprint>/<output>` of the step that made it, or `<its folder>/<output>` for a step never reused."""


Produced = Mapping[str, _Output]
"""A finished step's outputs, by name."""


@dataclass(frozen=True)
class _Graph:
    """One pipeline (the job itself, or a pipeline component inside it) being run."""

    job: JobContext
    """The top-level pipeline job: its folder, experiment and deadline."""
    definition: Mapping[str, Any]
    base_dir: Path
    """Where the pipeline's own relative paths (step components, local inputs) start."""
    inputs: Mapping[str, _Bound]
    """The pipeline's inputs: literals, or `{type, path}` with a path that resolves from anywhere."""
    run_id: str
    prefix: str
    """`""` for the job, `<step>/` for the steps of a nested pipeline step."""
    compute: str | None
    reuse: bool
    """Whether its steps may be reused (`settings.force_rerun` is not true)."""


@dataclass(frozen=True)
class _Step:
    name: str
    body: Mapping[str, Any]
    needs: frozenset[str]


def run_pipeline_job(job: JobContext, workspace: LocalWorkspace) -> JobResult:
    definition = job.definition
    if not definition.get("jobs"):
        raise InvalidDefinitionError(f"{job.subject} has no jobs (steps)")
    run_id = own_run(job.folder, workspace, job.experiment_id, job.name, job.tags)
    status = "FAILED"
    try:
        inputs = {name: _Bound(_absolute(value, job.base_dir)) for name, value in (definition.get("inputs") or {}).items()}
        settings = definition.get("settings")
        compute = (settings or {}).get("default_compute") or definition.get("compute")
        graph = _Graph(job, definition, job.base_dir, inputs, run_id, "", compute, reuse=not forces_rerun(settings))
        outputs, step_outputs = _run_graph(graph, workspace)
        status = "FINISHED"
    finally:
        workspace.tracking.finish_run(run_id, status)
    shown = {f"{step}.{name}": output.path for step, produced in step_outputs.items() for name, output in produced.items()}
    return JobResult(run_id, {**shown, **{name: output.path for name, output in outputs.items()}})


def _run_graph(graph: _Graph, workspace: LocalWorkspace) -> tuple[Produced, dict[str, Produced]]:
    """Run every step in dependency order; the pipeline's outputs, and each step's."""
    steps = _steps(graph)
    done: dict[str, Produced] = {}
    failed: dict[str, str] = {}
    with ThreadPoolExecutor(max_workers=len(steps), thread_name_prefix=graph.job.name) as pool:
        running: dict[Future[Produced], str] = {}
        waiting = dict(steps)
        while waiting or running:
            for name in [n for n, step in waiting.items() if step.needs <= set(done)]:
                running[pool.submit(_run_step, graph, waiting.pop(name), done, workspace)] = name
            for name in [n for n, step in waiting.items() if step.needs & set(failed)]:
                failed[name] = "skipped"
                del waiting[name]
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                name = running.pop(future)
                try:
                    done[name] = future.result()
                except JobFailedError as err:
                    failed[name] = str(err)
    if failed:
        raise JobFailedError(_failure(graph, failed))
    return _pipeline_outputs(steps, done), done


def _steps(graph: _Graph) -> dict[str, _Step]:
    steps = {}
    for name, body in (graph.definition.get("jobs") or {}).items():
        needs = frozenset(_ANY_STEP_OUTPUT.findall(json.dumps(body.get("inputs") or {})))
        unknown = needs - set(graph.definition["jobs"])
        if unknown or name in needs:
            raise InvalidDefinitionError(f"{graph.job.subject}: step {graph.prefix}{name} binds outputs of {sorted(unknown or {name})}")
        steps[name] = _Step(name, body, needs)
    _refuse_cycles(graph, steps)
    return steps


def _refuse_cycles(graph: _Graph, steps: Mapping[str, _Step]) -> None:
    resolved: set[str] = set()
    while len(resolved) < len(steps):
        ready = {name for name, step in steps.items() if name not in resolved and step.needs <= resolved}
        if not ready:
            cycle = sorted(set(steps) - resolved)
            raise InvalidDefinitionError(f"{graph.job.subject}: steps {', '.join(cycle)} bind each other's outputs in a cycle")
        resolved |= ready


def _run_step(graph: _Graph, step: _Step, done: Mapping[str, Produced], workspace: LocalWorkspace) -> Produced:
    path = f"{graph.prefix}{step.name}"
    subject = f"step {path} of pipeline {graph.job.name}"
    folder = graph.job.folder / "steps" / path
    component, component_dir = _component(graph, step, subject, workspace)
    kind = str(step.body.get("type") or component.get("type") or "command")
    inputs = _bind_inputs(graph, step, component, component_dir, done, subject)
    compute = step.body.get("compute") or graph.compute
    tags = {**graph.job.tags, PARENT_RUN_TAG: graph.run_id, "azureml.pipeline_step": path}
    context = replace(graph.job, name=step.name, subject=subject, base_dir=component_dir, folder=folder, tags=tags, definition={})
    record = {"name": path, "kind": kind}
    if kind == "pipeline":
        return _recorded(context, record, lambda: _run_nested(graph, context, component, inputs, compute, path, workspace))
    if kind in ("command", "sweep"):
        definition = _definition(kind, step.body, component, {n: b.value for n, b in inputs.items()}, _outputs(step, component), compute)
        return _run_job_step(graph, replace(context, definition=definition), record, component, inputs, workspace)
    raise UnsupportedLocallyError(f"{subject}: {kind} steps run only on Azure ML (the local target runs command, sweep and pipeline steps)")


def _run_job_step(
    graph: _Graph,
    job: JobContext,
    record: Mapping[str, Any],
    component: Mapping[str, Any],
    inputs: Mapping[str, _Bound],
    workspace: LocalWorkspace,
) -> Produced:
    """A command or sweep step: reused when it may be and a step completed earlier did the same, else run."""
    kind = record["kind"]
    if is_deterministic(component):
        identities = {name: _identity(bound, job, workspace) for name, bound in inputs.items()}
        fingerprint = step_fingerprint(kind, component, job.definition, identities, job.base_dir, workspace.layout, job.subject)
        record = {**record, "fingerprint": fingerprint}
        reused = reused_outputs(job, record, graph.reuse, workspace)
        if reused is not None:
            return _produced(reused, fingerprint)
    identity = record.get("fingerprint") or str(job.folder)
    return _recorded(job, record, lambda: _run_job(kind, job, identity, workspace))


def _recorded(context: JobContext, record: Mapping[str, Any], run: Callable[[], tuple[str, Produced]]) -> Produced:
    """Run the step, with its record: Failed with the error, or Completed with its run, outputs and times."""
    report(context.subject, "Starting")
    started = time.time()
    try:
        run_id, produced = run()
    except JobFailedError as err:
        failed = {**record, "status": "Failed", "error": str(err), "started": started, "ended": time.time()}
        write_record(context.folder / STEP_RECORD, failed)
        raise
    paths = {name: output.path for name, output in produced.items()}
    completed = {**record, "status": "Completed", "run_id": run_id, "outputs": {name: str(path) for name, path in paths.items()}}
    if "fingerprint" in record:
        completed["outputs_manifest"] = outputs_manifest(paths)  # what a step reusing them checks its copy against
    write_record(context.folder / STEP_RECORD, {**completed, "started": started, "ended": time.time()})
    report(context.subject, "Completed")
    return produced


def _identity(bound: _Bound, job: JobContext, workspace: LocalWorkspace) -> Any:
    return bound.identity if bound.identity is not None else input_identity(workspace.layout, bound.value, job.base_dir, job.subject)


def _run_job(kind: str, job: JobContext, identity: str, workspace: LocalWorkspace) -> tuple[str, Produced]:
    runner = run_sweep_job if kind == "sweep" else run_command_job
    result = runner(job, workspace)
    return result.run_id, _produced(result.outputs, identity)


def _produced(paths: Mapping[str, str | Path], identity: str) -> Produced:
    return {name: _Output(Path(path), f"{identity}/{name}") for name, path in paths.items()}


def _run_nested(
    graph: _Graph,
    context: JobContext,
    component: Mapping[str, Any],
    inputs: Mapping[str, _Bound],
    compute: str | None,
    path: str,
    workspace: LocalWorkspace,
) -> tuple[str, Produced]:
    """A pipeline component: its steps, children of a run of its own, under the outer step's folder."""
    run_id = own_run(context.folder, workspace, graph.job.experiment_id, context.name, context.tags)
    status = "FAILED"
    try:
        settings = component.get("settings")
        compute = (settings or {}).get("default_compute") or compute
        reuse = graph.reuse and not forces_rerun(settings)
        nested = _Graph(graph.job, component, context.base_dir, inputs, run_id, f"{path}/", compute, reuse)
        outputs, _ = _run_graph(nested, workspace)
        status = "FINISHED"
    finally:
        workspace.tracking.finish_run(run_id, status)
    return run_id, outputs


def _component(graph: _Graph, step: _Step, subject: str, workspace: LocalWorkspace) -> tuple[Mapping[str, Any], Path]:
    """The step's component fields and the folder their relative paths start at (an inline step is its own component)."""
    reference = step.body.get("trial" if step.body.get("type") == "sweep" else "component")
    if reference is None:
        return step.body, graph.base_dir
    if isinstance(reference, Mapping):
        return reference, graph.base_dir
    reference = str(reference)
    if is_asset_reference(reference):
        found = registered_component(workspace.layout, reference, subject)
        return found.definition, found.base_dir
    if reference.startswith(("azureml://", "http://", "https://")):
        raise UnsupportedLocallyError(f"{subject}: component {reference} is not in this workspace; the local target runs local components")
    file = (graph.base_dir / reference.removeprefix("file:")).resolve()
    if not file.is_file():
        raise InvalidDefinitionError(f"{subject}: component {reference!r} does not exist ({file})")
    return yaml.safe_load(file.read_text()) or {}, file.parent


def _bind_inputs(
    graph: _Graph, step: _Step, component: Mapping[str, Any], component_dir: Path, done: Mapping[str, Produced], subject: str
) -> dict[str, _Bound]:
    """The component's declared inputs (their defaults), with the step's values bound over them.

    An inline step declares no inputs apart from its values."""
    declared: dict[str, Any] = {} if component is step.body else dict(component.get("inputs") or {})
    inputs = {name: _Bound(_absolute(_declared_default(spec), component_dir)) for name, spec in declared.items()}
    for name, value in (step.body.get("inputs") or {}).items():
        inputs[name] = _bind(graph, value, declared.get(name), done, f"{subject}: input {name}")
    return inputs


def _declared_default(spec: Any) -> Any:
    if not isinstance(spec, Mapping):
        return spec
    if spec.get("type") in ("uri_folder", "uri_file", "mltable", "mlflow_model", "custom_model", "triton_model"):
        return {"type": spec["type"], "path": spec["path"]} if spec.get("path") else {"type": spec["type"]}
    return spec.get("default")


def _bind(graph: _Graph, value: Any, declared: Any, done: Mapping[str, Produced], subject: str) -> _Bound:
    """One step input: a binding to the pipeline's inputs or another step's output, a literal, or data."""
    if isinstance(value, Mapping) and isinstance(value.get("path"), str) and "${{" in value["path"]:
        bound = _bind(graph, value["path"], declared, done, subject)
        merged = {**value, **bound.value} if isinstance(bound.value, Mapping) else {**value, "path": bound.value}
        return _Bound(merged, None if bound.identity is None else {**merged, "path": bound.identity})
    if isinstance(value, Mapping):
        return _Bound(_absolute(value, graph.base_dir))
    if not isinstance(value, str) or "${{" not in value:
        return _Bound(value)
    if match := _STEP_OUTPUT.match(value):
        produced = done[match["step"]]
        if match["output"] not in produced:
            raise InvalidDefinitionError(f"{subject}: step {match['step']} has no output {match['output']!r}")
        kind = (declared.get("type") if isinstance(declared, Mapping) else None) or "uri_folder"
        output = produced[match["output"]]
        return _Bound({"type": kind, "path": str(output.path)}, {"type": kind, "path": output.identity})
    match = _BINDING.match(value)
    if match is None or match["what"] != "inputs":
        raise InvalidDefinitionError(f"{subject}: {value} is not a binding the local target knows (${{{{parent.inputs.<name>}}}})")
    if match["name"] not in graph.inputs:
        raise InvalidDefinitionError(f"{subject}: the pipeline has no input {match['name']!r}")
    return graph.inputs[match["name"]]


def _absolute(value: Any, base_dir: Path) -> Any:
    """A `{type, path}` input whose local path is made absolute, so it resolves from any step's folder."""
    if not isinstance(value, Mapping) or not isinstance(value.get("path"), str):
        return value
    path = value["path"]
    if path.startswith(("azureml:", "http://", "https://", "wasbs://", "abfss://")) or "${{" in path:
        return dict(value)
    return {**value, "path": str((base_dir / path.removeprefix("file:")).resolve())}


def _outputs(step: _Step, component: Mapping[str, Any]) -> dict[str, Any]:
    """The component's outputs, with the step's own output settings laid over them."""
    # An inline step is its own component, and may bind an output by a bare `${{parent.outputs.<name>}}`: no settings.
    outputs = {name: dict(spec) if isinstance(spec, Mapping) else {} for name, spec in (component.get("outputs") or {}).items()}
    for name, spec in (step.body.get("outputs") or {}).items():
        if isinstance(spec, Mapping):
            outputs[name] = {**outputs.get(name, {}), **spec}
        else:
            outputs.setdefault(name, {})
    return outputs


def _definition(
    kind: str, body: Mapping[str, Any], component: Mapping[str, Any], inputs: Mapping[str, Any], outputs: Mapping[str, Any], compute: Any
) -> dict[str, Any]:
    """The command or sweep job the step amounts to."""
    fields = {key: component[key] for key in _RUN_FIELDS if key in component}
    fields |= {key: body[key] for key in _STEP_OVERRIDES if key in body and body is not component}
    job = {**fields, "inputs": dict(inputs), "outputs": dict(outputs), "compute": compute}
    if kind == "command":
        return job
    # A sweep step's search space names the trial component's inputs: each trial gets its sampled values.
    search_space = body.get("search_space") or {}
    command = str(fields.get("command", ""))
    for name in search_space:
        command = re.sub(rf"\$\{{\{{\s*inputs\.{re.escape(name)}\s*\}}\}}", f"${{{{search_space.{name}}}}}", command)
    trial = {key: fields[key] for key in ("code", "environment", "environment_variables") if key in fields} | {"command": command}
    sweep = {key: body[key] for key in _SWEEP_FIELDS if key in body}
    return {
        **sweep,
        "type": "sweep",
        "trial": trial,
        "inputs": {k: v for k, v in inputs.items() if k not in search_space},
        "outputs": dict(outputs),
        "compute": compute,
    }


def _pipeline_outputs(steps: Mapping[str, _Step], done: Mapping[str, Produced]) -> dict[str, _Output]:
    """The pipeline's outputs: the step outputs bound to `${{parent.outputs.<name>}}`."""
    outputs: dict[str, _Output] = {}
    for name, step in steps.items():
        for output, spec in (step.body.get("outputs") or {}).items():
            value = spec if isinstance(spec, str) else (spec or {}).get("path") if isinstance(spec, Mapping) else None
            match = _BINDING.match(value) if isinstance(value, str) else None
            if match and match["what"] == "outputs" and output in done[name]:
                outputs[match["name"]] = done[name][output]
    return outputs


def _failure(graph: _Graph, failed: Mapping[str, str]) -> str:
    errors = {name: error for name, error in failed.items() if error != "skipped"}
    skipped = sorted(name for name, error in failed.items() if error == "skipped")
    first, error = next(iter(errors.items()))
    where = f"pipeline {graph.job.name}" if not graph.prefix else f"pipeline step {graph.prefix.rstrip('/')}"
    message = f"{where}: step {graph.prefix}{first} failed"
    if len(errors) > 1:
        message += f" (and {', '.join(f'{graph.prefix}{n}' for n in list(errors)[1:])})"
    if skipped:
        message += f"; not run, since they need its outputs: {', '.join(f'{graph.prefix}{n}' for n in skipped)}"
    return f"{message}.\n{error}"
