"""Azure ML CLI v2 YAML definitions, loaded and validated with azure-ai-ml's own loaders.

Runs in the Pulumi program (never in `check` or `diff`). An invalid file fails the
program with one line naming the file and the field. Local content (code folders,
data files, conda files) is hashed the way `az ml` does, honouring .amlignore and
.gitignore, so unchanged content means no change in preview and no upload.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from components.provider.props import digest
from components.spec.endpoint_specs import DeploymentSpec, EndpointSpec, default_traffic
from components.spec.local_paths import is_local
from components.spec.pipeline_checks import StackComponent, check_pipeline
from components.spec.pipeline_specs import (
    LOCAL_JOB_TYPES,
    PipelineStep,
    declare_bare_outputs,
    is_pipeline,
    local_inputs,
    pipeline_steps,
    referenced_files,
    step_code,
    step_environments,
)
from components.spec.registry_specs import RegistrySpec
from components.spec.schedule_specs import check_trigger, trigger_of
from components.spec.settings import (
    ComponentEntry,
    DataEntry,
    DatastoreEntry,
    DeploymentEntry,
    EndpointEntry,
    EnvironmentEntry,
    JobEntry,
    ModelEntry,
    RegistryEntry,
    ScheduleEntry,
    SettingsError,
)
from components.spec.spec_cache import SpecCache
from components.spec.validation import DefinitionError, Location, check_definition, is_local_path, scheduled_job

# Credential fields a datastore YAML may carry; they must come from Pulumi secrets instead.
SECRET_FIELDS = frozenset({"account_key", "sas_token", "client_secret", "connection_string", "key", "secret"})


@dataclass(frozen=True)
class Definition:
    """A validated YAML file: its body as a dict and where its relative paths start."""

    file: Path
    body: dict[str, Any]

    @property
    def base_dir(self) -> str:
        return self.file.parent.as_posix()


@dataclass(frozen=True)
class VersionedSpec:
    """An environment or data asset: versioned by its content unless the YAML pins a version."""

    name: str
    version: str
    definition: dict[str, Any]
    content_hash: str
    base_dir: str


@dataclass(frozen=True)
class DatastoreSpec:
    name: str
    definition: dict[str, Any]


@dataclass(frozen=True)
class JobSpec:
    key: str
    definition: dict[str, Any]
    base_dir: str
    code_hash: str | None
    input_hashes: dict[str, str] = field(default_factory=dict)
    environment_hash: str | None = None
    steps: tuple[PipelineStep, ...] = ()
    """A pipeline's steps, nested pipelines' included."""
    step_hashes: dict[str, str] = field(default_factory=dict)
    """What each step runs from, as `<step>.<what>` (`train_job.code_hash`): see `pipeline_step_hashes`."""


@dataclass(frozen=True)
class ScheduleSpec:
    """A schedule YAML: its trigger, and the job it runs (a job YAML of the repository, loaded, or an `azureml:` job)."""

    file: str
    name: str
    definition: dict[str, Any]
    """The YAML as written (`create_job` included), times as ISO 8601 text."""
    base_dir: str
    job_file: str | None
    """The job YAML `create_job` names, relative to the repository; None for an `azureml:` job."""
    job: JobSpec | None
    """That job as the stack's jobs are loaded, with the schedule's updates to it (`create_job: {job, ...}`) merged in."""

    @property
    def trigger(self) -> dict[str, Any]:
        return dict(self.definition["trigger"])

    @property
    def runs(self) -> str:
        """What it runs, as the stack outputs name it: the job file, or the `azureml:` job."""
        return self.job_file or str((scheduled_job(self.definition) or ("", ""))[1])


class SpecLoader:
    """Loads one stack's YAML files relative to the repository root."""

    def __init__(self, root: Path, stack_file: str, cache: SpecCache | None = None, external_paths: Sequence[Path] = ()) -> None:
        self._root = root
        self._stack_file = stack_file
        self._cache = cache or SpecCache()
        self._external_paths = tuple(external_paths)
        # The SDK warns about its own experimental schema classes on every load; users can't act on it.
        logging.getLogger("azure.ai.ml._utils._experimental").setLevel(logging.ERROR)

    def environment(self, entry: EnvironmentEntry) -> VersionedSpec:
        definition = self._load(entry.file, "load_environment", references=_environment_files)
        body = definition.body
        content_hash = self._environment_hash(definition, body)
        return VersionedSpec(body["name"], str(body.get("version") or content_hash[:10]), body, content_hash, definition.base_dir)

    def _environment_hash(self, definition: Definition, environment: dict[str, Any]) -> str:
        """What an environment builds from: its fields and the content of the files they name."""
        content = [environment.get(k) for k in ("image", "build", "conda_file", "inference_config", "os_type")]
        content += [self._hash_path(definition, file) for file in _environment_files(environment)]
        return digest(content, 16)

    def datastore(self, entry: DatastoreEntry) -> DatastoreSpec:
        definition = self._load(entry.file, "load_datastore")
        inline = SECRET_FIELDS & set(definition.body.get("credentials") or {})
        if inline:
            raise self._error(
                entry.file,
                f"credentials.{sorted(inline)[0]}: secrets may not be written in the file; "
                "name a secret config key under this datastore's `credentials` in the stack file instead",
            )
        return DatastoreSpec(definition.body["name"], definition.body)

    def data(self, entry: DataEntry) -> VersionedSpec:
        definition = self._load(entry.file, "load_data")
        body = definition.body
        path = str(body.get("path", ""))
        content_hash = self._hash_path(definition, path) if is_local(path) else digest(path, 16)
        return VersionedSpec(body["name"], str(body.get("version") or content_hash[:10]), body, content_hash, definition.base_dir)

    def job(self, entry: JobEntry, components: Mapping[str, StackComponent] | None = None) -> JobSpec:
        """A job YAML; `components` are the stack's, whose outputs a pipeline's steps may bind."""
        overrides: dict[str, Any] = {}
        if entry.compute:
            overrides["compute"] = f"azureml:{entry.compute}"
        if entry.experiment:
            overrides["experiment_name"] = entry.experiment
        steps: list[PipelineStep] = []

        def references(body: dict[str, Any]) -> list[str]:
            if is_pipeline(body):
                steps.extend(self._pipeline_steps(entry.file, body))
                # Before the SDK's loader, whose messages for these name no step.
                self._check_pipeline(entry.file, body, steps, components or {})
                return [str((self._root / file).resolve()) for file in referenced_files(steps)]
            return _job_environment_files(body)

        definition = self._load(entry.file, "load_job", [overrides] if overrides else [], references=references)
        body = declare_bare_outputs({k: v for k, v in {**definition.body, **overrides}.items() if k != "$schema"})
        code = body.get("code") or (body.get("trial") or {}).get("code")
        code_hash = self._hash_path(definition, code) if isinstance(code, str) and is_local(code) else None
        input_hashes = {name: self._hash_path(definition, path) for name, path in local_inputs(body.get("inputs")).items()}
        inline = [env for env in (body.get("environment"), (body.get("trial") or {}).get("environment")) if isinstance(env, dict)]
        environment_hash = digest([self._environment_hash(definition, env) for env in inline], 16) if inline else None
        step_hashes = self._step_hashes(steps)
        return JobSpec(entry.job_key, body, definition.base_dir, code_hash, input_hashes, environment_hash, tuple(steps), step_hashes)

    def refuse_unrunnable_locally(self, entry: JobEntry, spec: JobSpec) -> None:
        """The local target runs command, sweep and pipeline jobs, sweeps sampled at random or on a
        grid: anything else fails the preview."""
        kind = str(spec.definition.get("type", "command"))
        if kind not in LOCAL_JOB_TYPES:
            raise self._error(entry.file, f"type: {kind} jobs run only on Azure ML (the local target runs {_listed(LOCAL_JOB_TYPES)} jobs)")
        for step in spec.steps:
            if step.type not in LOCAL_JOB_TYPES:
                raise self._error(
                    entry.file,
                    f"{step.where}: {step.type} steps run only on Azure ML (the local target runs {_listed(LOCAL_JOB_TYPES)} steps)",
                )
        sweeps = [("", spec.definition)] + [(f"{step.where}.", step.body) for step in spec.steps if step.type == "sweep"]
        for prefix, sweep in sweeps:
            algorithm = sweep.get("sampling_algorithm")
            if (algorithm.get("type") if isinstance(algorithm, Mapping) else algorithm) == "bayesian":
                why = "bayesian sampling runs only on Azure ML (the local target samples random or grid)"
                raise self._error(entry.file, f"{prefix}sampling_algorithm: {why}")

    def component(self, entry: ComponentEntry) -> VersionedSpec:
        definition = self._load(entry.file, "load_component", references=_job_environment_files)
        body = {k: v for k, v in definition.body.items() if k != "$schema"}
        content = {k: v for k, v in body.items() if k not in ("version", "description", "tags", "display_name")}
        code = body.get("code")
        code_hash = self._hash_path(definition, code) if isinstance(code, str) and is_local(code) else None
        environment = body.get("environment")
        environment_hash = self._environment_hash(definition, environment) if isinstance(environment, dict) else None
        content_hash = digest([content, code_hash, environment_hash], 16)
        return VersionedSpec(body["name"], str(body.get("version") or content_hash[:10]), body, content_hash, definition.base_dir)

    def _pipeline_steps(self, file: Path, body: dict[str, Any]) -> list[PipelineStep]:
        try:
            return list(pipeline_steps(file, body, self._component_yaml))
        except ValueError as err:
            raise self._error(file, str(err)) from None

    def _check_pipeline(self, file: Path, body: dict[str, Any], steps: list[PipelineStep], stack: Mapping[str, StackComponent]) -> None:
        try:
            check_pipeline(body, steps, stack, Location(self._root, (self._root / file).parent, self._external_paths))
        except DefinitionError as problem:
            raise self._error(file, str(problem)) from None

    def _component_yaml(self, file: Path, referrer: str) -> dict[str, Any]:
        if not (self._root / file).is_file():
            raise ValueError(f"{referrer} does not exist ({file})")
        try:
            body = yaml.safe_load((self._root / file).read_text())
        except yaml.YAMLError as err:
            raise ValueError(f"{referrer}: invalid YAML in {file}: {getattr(err, 'problem', None) or err}") from None
        if not isinstance(body, dict):
            raise ValueError(f"{referrer}: {file} is not a mapping of component fields")
        return body

    def _step_hashes(self, steps: list[PipelineStep]) -> dict[str, str]:
        """Per step: its component file, code folder, local inputs and inline environment, hashed by content."""
        hashes: dict[str, str] = {}
        for step in steps:
            if step.component_file is not None:
                component = Definition(step.component_file, {})
                hashes[f"{step.name}.component_hash"] = self._hash_path(component, step.component_file.name)
            if code := step_code(step):
                hashes[f"{step.name}.code_hash"] = self._hash_path(Definition(code[1], {}), code[0])
            for name, path in local_inputs(step.body.get("inputs")).items():
                hashes[f"{step.name}.input_hashes.{name}"] = self._hash_path(Definition(step.file, {}), path)
            for environment, written_in in step_environments(step):
                hashes[f"{step.name}.environment_hash"] = self._environment_hash(Definition(written_in, {}), dict(environment))
        return hashes

    def model(self, entry: ModelEntry) -> dict[str, Any]:
        if entry.file is None:
            return {}
        body = self._load(entry.file, "load_model").body
        # The path comes from the job output; a path in the file would contradict it.
        return {k: v for k, v in body.items() if k not in ("$schema", "path")}

    def registry(self, index: int, entry: RegistryEntry) -> RegistrySpec:
        """`registries[index]`: its YAML validated by azure-ai-ml's `load_registry`, or an existing one by name."""
        if entry.file is None:
            return RegistrySpec(index, str(entry.name), resource_group=entry.resource_group, subscription_id=entry.subscription_id)
        body = _without_schema(self._load(entry.file, "load_registry").body)
        tags = {str(k): str(v) for k, v in (body.get("tags") or {}).items()}
        return RegistrySpec(index, str(body.get("name")), body, entry.file.as_posix(), tags=tags)

    def endpoint(self, index: int, entry: EndpointEntry) -> EndpointSpec:
        """`endpoints[index]`: its endpoint YAML and deployment YAMLs, each validated by azure-ai-ml's loader."""
        body = _without_schema(self._load(entry.file, "load_online_endpoint").body)
        deployments = tuple(self._deployment(deployment) for deployment in entry.deployments)
        traffic = default_traffic([deployment.name for deployment in deployments], entry.traffic)
        return EndpointSpec(index, entry.file.as_posix(), body["name"], body, deployments, traffic, dict(entry.mirror_traffic))

    def schedule(self, entry: ScheduleEntry, components: Mapping[str, StackComponent] | None = None) -> ScheduleSpec:
        """A schedule YAML (azure-ai-ml's schedule loader), its trigger (schedule_specs.py) and the job it runs,
        which goes through every check a job of the stack does."""

        def trigger_checked(body: dict[str, Any]) -> list[str]:
            try:
                check_trigger(trigger_of(body))
            except DefinitionError as problem:
                raise self._error(entry.file, str(problem)) from None
            scheduled = scheduled_job(body)
            return [scheduled[1]] if scheduled and is_local_path(scheduled[1]) else []

        definition = self._load(entry.file, "load_schedule", references=trigger_checked)
        body = {**_without_schema(definition.body), "trigger": trigger_of(definition.body)}
        scheduled = scheduled_job(body)
        if scheduled is None or not is_local_path(scheduled[1]):
            return ScheduleSpec(entry.file.as_posix(), body["name"], body, definition.base_dir, None, None)
        job_file = Path(os.path.normpath(Path(definition.base_dir) / scheduled[1]))
        try:
            job = self.job(JobEntry(file=job_file), components)
        except SettingsError as err:
            raise self._error(entry.file, f"{scheduled[0]}: {str(err).removeprefix(f'{self._stack_file}: ')}") from None
        if not is_pipeline(job.definition):
            # azure-ai-ml turns only a pipeline job into a schedule's job (command and spark jobs need its private preview).
            why = f"{job_file.as_posix()} is a {job.definition.get('type', 'command')} job; Azure ML schedules run pipeline jobs"
            raise self._error(entry.file, f"{scheduled[0]}: {why} (schedule a pipeline whose step runs it)")
        updates = {k: v for k, v in body["create_job"].items() if k != "job"} if isinstance(body["create_job"], dict) else {}
        job = dataclasses.replace(job, definition=_merged(job.definition, updates))
        return ScheduleSpec(entry.file.as_posix(), body["name"], body, definition.base_dir, job_file.as_posix(), job)

    def _deployment(self, entry: DeploymentEntry) -> DeploymentSpec:
        definition = self._load(entry.file, "load_online_deployment")
        body = _without_schema(definition.body)
        code = (body.get("code_configuration") or {}).get("code")
        code_hash = self._hash_path(definition, code) if isinstance(code, str) and is_local(code) else None
        return DeploymentSpec(entry.file.as_posix(), body["name"], body, definition.base_dir, code_hash)

    def _load(
        self,
        file: Path,
        loader: str,
        overrides: list[dict[str, Any]] | None = None,
        references: Callable[[dict[str, Any]], list[str]] = lambda _body: [],
    ) -> Definition:
        path = self._root / file
        try:
            body = yaml.safe_load(path.read_text())
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            where = f"line {mark.line + 1}: " if mark else ""
            raise self._error(file, f"invalid YAML: {where}{getattr(err, 'problem', None) or err}") from None
        if not isinstance(body, dict):
            raise self._error(file, "expected a mapping of Azure ML CLI v2 fields")
        # Before the SDK and the hashing: they would read files outside the repository and run far slower.
        try:
            check_definition(loader, body, Location(self._root, path.parent, self._external_paths))
        except DefinitionError as problem:
            raise self._error(file, str(problem)) from None
        referenced = [path.parent / name for name in references(body)]
        self._cache.validate(path, loader, overrides or [], lambda: self._validate(file, loader, overrides or []), referenced)
        return Definition(file, body)

    def _validate(self, file: Path, loader: str, overrides: list[dict[str, Any]]) -> None:
        import azure.ai.ml
        from azure.ai.ml.entities import _load_functions

        try:
            # azure-ai-ml 1.35.2 keeps load_schedule out of its package's top level.
            load = getattr(azure.ai.ml, loader, None) or getattr(_load_functions, loader)
            load(source=self._root / file, params_override=overrides)
        except Exception as err:  # noqa: BLE001 - the SDK raises marshmallow, ValidationException and others
            raise self._error(file, _first_problem(str(err))) from None

    def _hash_path(self, definition: Definition, relative: str) -> str:
        path = (self._root / definition.base_dir / relative.removeprefix("file:")).resolve()
        if not path.exists():
            raise self._error(definition.file, f"{relative!r} does not exist (relative to {definition.base_dir or '.'}/)")
        return self._cache.content_hash(path, lambda: _sdk_content_hash(path))

    def _error(self, file: Path, message: str) -> SettingsError:
        return SettingsError(f"{self._stack_file}: {file}: {message}")


def _sdk_content_hash(path: Path) -> str:
    """The snapshot hash `az ml` computes, honouring .amlignore (or else .gitignore)."""
    from azure.ai.ml._utils._asset_utils import get_content_hash, get_ignore_file

    ignore = get_ignore_file(path if path.is_dir() else path.parent)
    return str(get_content_hash(path, ignore))[:16]


def _environment_files(environment: dict[str, Any]) -> list[str]:
    """The local files an environment definition builds from: its conda file and build context."""
    files = [environment["conda_file"]] if isinstance(environment.get("conda_file"), str) else []
    build_path = (environment.get("build") or {}).get("path")
    return files + ([build_path] if isinstance(build_path, str) and is_local(build_path) else [])


def _job_environment_files(job: dict[str, Any]) -> list[str]:
    """The files of a job's inline environments (a command job's, or a sweep trial's)."""
    inline = [job.get("environment"), (job.get("trial") or {}).get("environment")]
    return [file for env in inline if isinstance(env, dict) for file in _environment_files(env)]


def _without_schema(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "$schema"}


def _merged(job: dict[str, Any], updates: Mapping[str, Any]) -> dict[str, Any]:
    """A job with a schedule's updates to it, merged key by key as azure-ai-ml merges them (`merge_dict`)."""
    merged = dict(job)
    for key, value in updates.items():
        merged[key] = _merged(merged[key], value) if isinstance(value, Mapping) and isinstance(merged.get(key), dict) else value
    return merged


def _listed(words: tuple[str, ...]) -> str:
    return f"{', '.join(words[:-1])} and {words[-1]}"


def _first_problem(message: str) -> str:
    """The first field and problem in an azure-ai-ml validation message, on one line."""
    for blob in _json_objects(message):
        found = _first_leaf(blob)
        if found:
            return found
    first_lines = [line.strip() for line in message.splitlines() if line.strip()]
    return " ".join(first_lines[:3])[:300]


def _json_objects(text: str) -> list[Any]:
    """Every JSON object embedded in a text, outermost first, nested messages unpacked."""
    found: list[Any] = []
    decoder = json.JSONDecoder()
    for start in (m.start() for m in re.finditer(r"\{", text)):
        try:
            value, _ = decoder.raw_decode(text[start:])
        except json.JSONDecodeError:
            continue
        found.append(value)
    return found


def _first_leaf(value: Any, path: str = "") -> str | None:
    if isinstance(value, dict) and "errors" in value:
        for error in value["errors"]:
            nested = _first_problem(error.get("message", "")) if "{" in error.get("message", "") else None
            return nested or f"{error.get('path', '*')}: {error.get('message', '')}"
        return None
    if isinstance(value, dict):
        for key, sub in value.items():
            found = _first_leaf(sub, f"{path}.{key}" if path else str(key))
            if found:
                return found
        return None
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return f"{path or '*'}: {value[0]}"
    return None
