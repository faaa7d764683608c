"""The whole stack checked before any resource is registered: every YAML file, and what spans files.

`pulumi up` starts creating a resource as soon as the program registers it, so a mistake found
while registering the third job would come after the workspace and the environments were
already being built. The program therefore loads every definition first (azure-ai-ml's loaders,
then components/spec/validation.py and, for pipelines, components/spec/pipeline_checks.py against the
stack's components), and checks what no single file can tell: that no two environments, data
assets, datastores or components of the stack share a name (their resources would collide),
that a model's `output` is one its job declares, that no two schedules share a name (a schedule's job
goes through every check a job of the stack does), that what the YAMLs name exists where the
stack deploys (components/spec/stack_references.py), and that registries and the models shared to them
or taken from other stacks are what they claim (components/spec/registry_specs.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from components.spec.endpoint_specs import check_endpoints
from components.spec.pipeline_checks import StackComponent
from components.spec.pipeline_specs import step_outputs
from components.spec.registry_specs import StackOutputs, check_registries, engine_stack_outputs, read_sources
from components.spec.settings import NAMESPACE, ModelEntry, SettingsError, StackSettings, stack_file
from components.spec.specs import JobSpec, SpecLoader
from components.spec.stack_references import Declared, Scope, check_references


def check_stack(settings: StackSettings, stack: str, root: Path, read_stack_outputs: StackOutputs = engine_stack_outputs) -> None:
    """Load every definition the stack lists (raising its one line if one is wrong), then cross-check; a model taken
    `from` another stack is checked against that stack's outputs (`read_stack_outputs`, the engine's by default)."""
    where = stack_file(stack)
    loader = SpecLoader(root, where, external_paths=settings.external_paths)
    environments = [loader.environment(entry) for entry in settings.environments]
    datastores = [loader.datastore(entry) for entry in settings.datastores]
    data = [loader.data(entry) for entry in settings.data]
    components = [loader.component(entry) for entry in settings.components]
    for key, entries, specs in [
        ("environments", settings.environments, environments),
        ("datastores", settings.datastores, datastores),
        ("data", settings.data, data),
        ("components", settings.components, components),
    ]:
        _refuse_shared_names(key, [entry.file.as_posix() for entry in entries], [spec.name for spec in specs], where)
    stack_components = {spec.name: StackComponent(spec.version, spec.definition) for spec in components}
    jobs = {entry.job_key: (entry.file.as_posix(), loader.job(entry, stack_components)) for entry in settings.jobs}
    schedules = [loader.schedule(entry, stack_components) for entry in settings.schedules]
    _refuse_shared_names("schedules", [spec.file for spec in schedules], [spec.name for spec in schedules], where)
    scheduled = [(spec.job_file, spec.job) for spec in schedules if spec.job_file and spec.job]
    if settings.target == "local":
        for entry in settings.jobs:
            loader.refuse_unrunnable_locally(entry, jobs[entry.job_key][1])
    for i, model in enumerate(settings.models):
        loader.model(model)
        if model.job is not None:
            file, spec = jobs[model.job]
            _check_model_output(i, model, file, spec, where)
    registries = [loader.registry(i, entry) for i, entry in enumerate(settings.registries)]
    check_registries(registries, settings.models, where)
    read_sources(settings, [registry.name for registry in registries], read_stack_outputs, where)
    endpoints = [loader.endpoint(i, entry) for i, entry in enumerate(settings.endpoints)]
    check_endpoints(endpoints, {model.name: model.type for model in settings.models}, settings.target == "local", where)
    declared = Declared(
        environments=frozenset(spec.name for spec in environments),
        data=frozenset(spec.name for spec in data),
        components=frozenset(stack_components),
        datastores=frozenset(spec.name for spec in datastores),
    )
    check_references(
        _scope(settings),
        declared,
        jobs=[(file, spec.definition, spec.steps) for file, spec in [*jobs.values(), *scheduled]],
        components=[(entry.file.as_posix(), spec.definition) for entry, spec in zip(settings.components, components, strict=True)],
        data=[(entry.file.as_posix(), spec.definition) for entry, spec in zip(settings.data, data, strict=True)],
        stack_file=where,
    )


def _scope(settings: StackSettings) -> Scope:
    if settings.target == "local":
        return "local"
    return "existing" if settings.workspace.existing else "created"


def _refuse_shared_names(key: str, files: Sequence[str], names: Sequence[str], stack_file: str) -> None:
    """Each asset of a kind is one resource named for it: two of one name would collide in Pulumi's state."""
    first: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in first:
            earlier = first[name]
            raise SettingsError(
                f"{stack_file}: {files[index]}: name: {name!r} is also the name of {files[earlier]} ({NAMESPACE}:{key}[{earlier}]); "
                f"each of a stack's {key} needs a name of its own"
            )
        first[name] = index


def _check_model_output(index: int, model: ModelEntry, file: str, spec: JobSpec, stack_file: str) -> None:
    outputs = spec.definition.get("outputs")
    declared = list(outputs) if isinstance(outputs, dict) else []
    # A pipeline's model may come from a step's output, `<step>.<output>` (a registered component's are not known here).
    of_steps, unknown_steps = step_outputs(list(spec.steps))
    declared += of_steps
    if model.output not in declared and model.output.partition(".")[0] not in unknown_steps:
        raise SettingsError(
            f"{stack_file}: {NAMESPACE}:models[{index}].output: {model.output!r} is not an output of job {model.job!r} "
            f"({file} declares: {', '.join(declared) or 'no outputs'})"
        )
