"""The whole stack checked before any resource is registered: every YAML file, and what spans files.

`pulumi up` starts creating a resource as soon as the program registers it, so a mistake found
while registering the third job would come after the workspace and the environments were
already being built. The program therefore loads every definition first (azure-ai-ml's loaders,
then components/validation.py), and checks what no single file can tell: that a model's
`output` is one its job declares, and, on the local target, that a job's `azureml:` environment
is one the stack builds.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from components.pipeline_checks import StackComponent
from components.pipeline_specs import step_outputs
from components.settings import NAMESPACE, ModelEntry, SettingsError, StackSettings, stack_file
from components.specs import JobSpec, SpecLoader

# `azureml:<name>`, `azureml:<name>:<version>` or `azureml:<name>@<label>`; curated ones start with AzureML-.
_ASSET = re.compile(r"^azureml:(?P<name>[^:@/]+)")
_CURATED = "azureml-"


def check_stack(settings: StackSettings, stack: str, root: Path) -> None:
    """Load every definition the stack lists (raising its one line if one is wrong), then cross-check."""
    where = stack_file(stack)
    loader = SpecLoader(root, where, external_paths=settings.external_paths)
    environments = {loader.environment(entry).name for entry in settings.environments}
    for store in settings.datastores:
        loader.datastore(store)
    for data in settings.data:
        loader.data(data)
    components = {spec.name: StackComponent(spec.version, spec.definition) for spec in map(loader.component, settings.components)}
    jobs = {entry.job_key: (entry.file.as_posix(), loader.job(entry, components)) for entry in settings.jobs}
    if settings.target == "local":
        for entry in settings.jobs:
            loader.refuse_unrunnable_locally(entry, jobs[entry.job_key][1])
    for i, model in enumerate(settings.models):
        loader.model(model)
        file, spec = jobs[model.job]
        _check_model_output(i, model, file, spec, where)
    if settings.target == "local":
        for file, spec in jobs.values():
            _check_local_environments(file, spec, environments, where)


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


def _check_local_environments(file: str, spec: JobSpec, declared: set[str], stack_file: str) -> None:
    """The local target runs a job only in an environment of the stack (or inline, curated or from a registry)."""
    trial: Any = spec.definition.get("trial")
    fields = {"environment": spec.definition.get("environment")}
    if isinstance(trial, dict):
        fields["trial.environment"] = trial.get("environment")
    for field, reference in fields.items():
        match = _ASSET.match(reference) if isinstance(reference, str) and not reference.startswith("azureml://") else None
        if match and not match["name"].lower().startswith(_CURATED) and match["name"] not in declared:
            known = ", ".join(sorted(declared)) or "none"
            raise SettingsError(
                f"{stack_file}: {file}: {field}: {reference} is not an environment of this stack (declared: {known}); "
                f"the local target runs jobs only in environments listed under {NAMESPACE}:environments"
            )
