"""The stack's Azure ML assets: environments, datastores, data, components, jobs, models, online endpoints and schedules.

Built from the YAML files a stack lists. References between items of the same
stack (an environment or data asset used by a job, a component used by a pipeline
step, a cluster named in a job, a job output registered as a model, a model served by a deployment) resolve to that
stack's resources, so Pulumi orders them; references to anything else (curated environments, registry assets, existing
data) pass through unchanged. A dependent of an asset whose create fails is skipped, not
crashed: see failed_dependencies.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pulumi

from components.failed_dependencies import NOT_DEPLOYED, dependency_on, value_or
from components.provider import (
    Component,
    DataAsset,
    Datastore,
    Deployment,
    Endpoint,
    EndpointTraffic,
    Environment,
    Job,
    Model,
    RegistryModel,
    Schedule,
    SharedModel,
)
from components.provider.hosts import ProviderHosts
from components.provider.props import digest
from components.provider.providers import EndpointProvider
from components.spec.asset_references import asset_reference
from components.spec.endpoint_specs import EndpointSpec
from components.spec.local_fidelity import deployment_unhonoured_locally, unhonoured_locally
from components.spec.pipeline_specs import component_field, step_environment_reference
from components.spec.schedule_specs import next_runs
from components.spec.settings import ModelEntry, ModelSource, StackSettings, secret, stack_file
from components.spec.specs import JobSpec, ScheduleSpec, SpecLoader, VersionedSpec

# `azureml://datastores/<name>/paths/...`: a path inside a datastore.
_DATASTORE_PATH = re.compile(r"^azureml://datastores/(?P<name>[^/]+)(/|$)")
# `azureml:<name>`, `azureml:<name>:<version>` or `azureml:<name>@<label>`.
_ASSET_REFERENCE = re.compile(r"^azureml:(?P<name>[^:@/]+)(?::(?P<version>[^@]+)|@(?P<label>[\w-]+))?$")


# A stack output's entry for a job or model this update did not deploy (it failed, or what it needs did).
FAILED_JOB = {"status": "Failed"}
NOT_REGISTERED_MODEL = None


@dataclass
class WorkspaceTarget:
    """Where the assets go: the dynamic resources' `workspace` property and what it waits for."""

    workspace: pulumi.Input[dict]
    depends_on: list[pulumi.Resource] = field(default_factory=list)
    compute: Mapping[str, pulumi.Resource] = field(default_factory=dict)
    outputs: Mapping[str, Any] = field(default_factory=dict)
    # The provider instances (host processes) the assets run in: see components/provider/hosts.py.
    hosts: ProviderHosts = field(default_factory=ProviderHosts)
    # What a registry's users wait for, by registry name: its creation and this stack's role assignments on it.
    registries: Mapping[str, list[pulumi.Resource]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Declared:
    """An environment, data asset or component of this stack, with the version it was declared at."""

    resource: Environment | DataAsset | Component
    version: str


class MlAssets(pulumi.ComponentResource):
    """Every asset a stack declares, wired together."""

    jobs: pulumi.Output[dict]
    models: pulumi.Output[dict]
    endpoints: pulumi.Output[dict]
    endpoint_keys: pulumi.Output[dict]
    schedules: dict[str, dict[str, Any]]

    def __init__(self, name: str, settings: StackSettings, target: WorkspaceTarget, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("azureml-training:index:MlAssets", name, None, opts)
        self._target = target
        self._loader = SpecLoader(Path.cwd(), stack_file(pulumi.get_stack()), external_paths=settings.external_paths)
        self._name_prefix = f"{pulumi.get_project()}-{pulumi.get_stack()}"
        self._environments = dict(self._versioned(Environment, "env", self._loader.environment(e)) for e in settings.environments)
        self._datastores = dict(self._datastore(store) for store in settings.datastores)
        self._data = dict(self._versioned(DataAsset, "data", self._loader.data(d)) for d in settings.data)
        self._components = dict(self._versioned(Component, "component", self._loader.component(c)) for c in settings.components)
        self._local = settings.target == "local"
        self._jobs = {entry.job_key: self._job(entry) for entry in settings.jobs}
        self._stacks: dict[str, pulumi.StackReference] = {}
        self._models = {entry.name: self._taken(entry, entry.source) if entry.source else self._model(entry) for entry in settings.models}
        self._shared = {entry.name: self._share(entry) for entry in settings.models if entry.registry}
        served = [self._endpoint(self._loader.endpoint(i, entry)) for i, entry in enumerate(settings.endpoints)]
        self.schedules = self._schedules([self._loader.schedule(entry) for entry in settings.schedules])
        self.jobs = pulumi.Output.from_input({key: self._job_entry(job) for key, job in self._jobs.items()})
        self.models = pulumi.Output.from_input({name: self._model_entry(name) for name in self._models})
        self.endpoints = pulumi.Output.from_input({name: described for name, described, _key in served})
        self.endpoint_keys = pulumi.Output.secret({name: key for name, _described, key in served})
        outputs = {"jobs": self.jobs, "models": self.models, "endpoints": self.endpoints, "endpointKeys": self.endpoint_keys}
        self.register_outputs({**outputs, "schedules": self.schedules})

    @staticmethod
    def _job_entry(job: Job) -> pulumi.Output[dict]:
        return value_or(pulumi.Output.all(name=job.name, status=job.status, url=job.url), FAILED_JOB)

    def _model_entry(self, name: str) -> pulumi.Output[dict | None]:
        """`{version, uri}`; a shared model adds its registry, version there and URI, which stacks taking it read."""
        model = self._models[name]
        if isinstance(model, RegistryModel):
            entry = pulumi.Output.all(version=model.version, uri=model.uri, registry=model.registry, registryVersion=model.version)
            return value_or(entry, NOT_REGISTERED_MODEL)
        shared = self._shared.get(name)
        if shared is None:
            return value_or(pulumi.Output.all(version=model.version, uri=model.uri), NOT_REGISTERED_MODEL)
        entry = pulumi.Output.all(
            version=model.version, uri=model.uri, registry=shared.registry, registryVersion=shared.registry_version, registryUri=shared.uri
        )
        return value_or(entry, NOT_REGISTERED_MODEL)

    def _opts(
        self, depends_on: list[pulumi.Input[pulumi.Resource]] | None = None, provider: pulumi.ProviderResource | None = None
    ) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(
            parent=self,
            depends_on=[*self._target.depends_on, *(depends_on or [])],
            provider=provider or self._target.hosts.shared(),
        )

    def _versioned(self, kind: type[Environment | DataAsset | Component], prefix: str, spec: VersionedSpec) -> tuple[str, _Declared]:
        resource = kind(
            f"{prefix}-{spec.name}",
            workspace=self._target.workspace,
            name=spec.name,
            version=spec.version,
            definition=spec.definition,
            content_hash=spec.content_hash,
            base_dir=spec.base_dir,
            opts=self._opts(self._stored_in(spec.definition.get("path"))),
        )
        return spec.name, _Declared(resource, spec.version)

    def _datastore(self, entry: Any) -> tuple[str, Datastore]:
        spec = self._loader.datastore(entry)
        credentials = {field_name: secret(key) for field_name, key in entry.credentials.items()}
        return spec.name, Datastore(
            f"datastore-{spec.name}",
            workspace=self._target.workspace,
            name=spec.name,
            definition=spec.definition,
            credentials=credentials,
            opts=self._opts(),
        )

    def _stored_in(self, path: Any) -> list[pulumi.Input[pulumi.Resource]]:
        """The stack's datastore a path such as `azureml://datastores/<name>/paths/...` lives in."""
        match = _DATASTORE_PATH.match(path) if isinstance(path, str) else None
        store = self._datastores.get(match["name"]) if match else None
        return [dependency_on(store, self)] if store else []

    def _job(self, entry: Any) -> Job:
        spec = self._loader.job(entry)
        if self._local:
            self._loader.refuse_unrunnable_locally(entry, spec)
        definition, depends_on = self._resolve(spec)
        steps = self._resolve_steps(spec, definition, depends_on) if spec.steps else None
        job = Job(
            spec.key,
            workspace=self._target.workspace,
            key=spec.key,
            name_prefix=self._name_prefix,
            definition=definition,
            base_dir=spec.base_dir,
            code_hash=spec.code_hash,
            input_hashes=spec.input_hashes,
            environment_hash=spec.environment_hash,
            steps=steps,
            experiment=entry.experiment,
            wait=entry.wait,
            timeout_minutes=entry.timeout_minutes,
            on_delete=entry.on_delete,
            rerun=entry.rerun,
            opts=self._opts(depends_on, self._target.hosts.for_job(spec.key)),
        )
        if self._local:
            for reason in unhonoured_locally(spec.definition, spec.steps):
                pulumi.log.warn(f"{stack_file(pulumi.get_stack())}: {entry.file}: {reason} (the local target ignores it)", job)
        return job

    def _model(self, entry: Any) -> Model:
        job = self._jobs[entry.job]
        return Model(
            f"model-{entry.name}",
            workspace=self._target.workspace,
            name=entry.name,
            job_name=value_or(job.name, NOT_DEPLOYED),
            output=entry.output,
            type=entry.type,
            description=entry.description,
            definition=self._loader.model(entry),
            opts=self._opts([dependency_on(job, self)]),
        )

    def _share(self, entry: ModelEntry) -> SharedModel:
        """The registered version, shared to the entry's registry once it is registered."""
        model = self._models[entry.name]
        return SharedModel(
            f"shared-{entry.name}",
            workspace=self._target.workspace,
            registry=str(entry.registry),
            name=entry.name,
            version=value_or(model.version, NOT_DEPLOYED),
            opts=self._opts([dependency_on(model, self), *self._target.registries.get(str(entry.registry), [])]),
        )

    def _taken(self, entry: ModelEntry, source: ModelSource) -> RegistryModel:
        """A model another stack shared, read from that stack's outputs (checked at preview: registry_specs.py):
        the registry version it exports now, so a newer one promoted there updates this model and what serves it."""
        stack = source.stack
        if stack not in self._stacks:
            self._stacks[stack] = pulumi.StackReference(stack, opts=pulumi.ResourceOptions(parent=self))
        exported = self._stacks[stack].get_output("models").apply(lambda models: (models or {}).get(entry.source_model) or {})
        registry = exported.apply(lambda model: str(model.get("registry")))
        return RegistryModel(
            f"model-{entry.name}",
            workspace=self._target.workspace,
            registry=registry,
            name=entry.source_model,
            version=exported.apply(lambda model: str(model.get("registryVersion"))),
            # Which registry is known once the reference is read: wait for this stack's access to every one it declares.
            opts=self._opts([resource for resources in self._target.registries.values() for resource in resources]),
        )

    def _endpoint(self, spec: EndpointSpec) -> tuple[str, dict[str, Any], pulumi.Output[str | None]]:
        """The endpoint, then its deployments, then its traffic (which may name only deployments that exist):
        its name, what the stack outputs say of it, and its primary key (None for one this update did not deploy)."""
        endpoint = Endpoint(
            f"endpoint-{spec.name}", workspace=self._target.workspace, name=spec.name, definition=spec.definition, opts=self._opts()
        )
        deployments: dict[str, Deployment] = {}
        # A replaced endpoint (a new auth_mode) takes its deployments and traffic with it, on Azure ML as in the local
        # endpoint's folder: make them again too.
        incarnation = EndpointProvider.incarnation(spec.definition)
        for deployment in spec.deployments:
            definition: dict[str, Any] = {k: v for k, v in deployment.definition.items() if k != "model"}
            depends_on: list[pulumi.Input[pulumi.Resource]] = [dependency_on(endpoint, self)]
            if "environment" in definition:  # a scoring script's environment may be one of the stack's
                definition["environment"] = self._reference(definition["environment"], self._environments, depends_on)
            deployments[deployment.name] = Deployment(
                f"deployment-{spec.name}-{deployment.name}",
                workspace=self._target.workspace,
                endpoint_name=spec.name,
                name=deployment.name,
                model=self._served_model(deployment.definition["model"], depends_on),
                definition=definition,
                code=(deployment.base_dir, deployment.code_hash) if deployment.code_hash else None,
                endpoint_incarnation=incarnation,
                opts=self._opts(depends_on),
            )
            if self._local:
                for reason in deployment_unhonoured_locally(deployment.definition):
                    where = f"{stack_file(pulumi.get_stack())}: {deployment.file}"
                    pulumi.log.warn(f"{where}: {reason} (the local target ignores it)", deployments[deployment.name])
        EndpointTraffic(
            f"traffic-{spec.name}",
            workspace=self._target.workspace,
            endpoint_name=spec.name,
            traffic=spec.traffic,
            mirror_traffic=spec.mirror_traffic,
            endpoint_incarnation=incarnation,
            opts=self._opts([dependency_on(deployment, self) for deployment in deployments.values()]),
        )
        described = {
            "scoringUri": value_or(endpoint.scoring_uri, None),
            "traffic": spec.traffic,
            "deployments": {name: {"model": self._served_entry(deployment)} for name, deployment in deployments.items()},
        }
        return spec.name, described, value_or(endpoint.primary_key, None)

    def _schedules(self, specs: list[ScheduleSpec]) -> dict[str, dict[str, Any]]:
        """Each schedule, and what the stack outputs say of it: its next three fire times from now (the time of this
        `up`, or preview), its trigger and the job it runs. The fire times are no property of the resource: time
        passing changes no resource, so it never shows as an update."""
        now = datetime.now(UTC)
        described = {}
        for spec in specs:
            self._schedule(spec)
            described[spec.name] = {"nextRuns": next_runs(spec.trigger, now), "trigger": spec.trigger, "job": spec.runs}
        if self._local and specs:
            names = ", ".join(spec.name for spec in specs)
            pulumi.log.warn(
                f"{stack_file(pulumi.get_stack())}: schedules fire only on Azure ML; on the local target they are checked "
                f"and their next runs shown (output `schedules`), and nothing runs for them ({names})",
                self,
            )
        return described

    def _schedule(self, spec: ScheduleSpec) -> Schedule:
        """The schedule waits for the stack's assets its job names; `job` covers all the job runs from (see Job)."""
        depends_on: list[pulumi.Input[pulumi.Resource]] = []
        job: pulumi.Input[str] | None = None
        if spec.job is not None:
            definition, depends_on = self._resolve(spec.job)
            steps = self._resolve_steps(spec.job, definition, depends_on) if spec.job.steps else {}
            content = [definition, spec.job.code_hash, spec.job.input_hashes, spec.job.environment_hash, steps]
            job = pulumi.Output.from_input(content).apply(lambda resolved: digest(resolved, 16))
        return Schedule(
            f"schedule-{spec.name}",
            workspace=self._target.workspace,
            name=spec.name,
            definition=spec.definition,
            base_dir=spec.base_dir,
            job=job,
            opts=self._opts(depends_on),
        )

    @staticmethod
    def _served_entry(deployment: Deployment) -> pulumi.Output[str | None]:
        """`<name>:<version>` of the model a deployment serves (a registry's by its whole `azureml://registries/...` URI)."""
        return value_or(
            deployment.model.apply(lambda model: model if model.startswith("azureml://") else model.removeprefix("azureml:")), None
        )

    def _served_model(self, reference: Any, depends_on: list[pulumi.Input[pulumi.Resource]]) -> pulumi.Input[str]:
        """A model of this stack, `@latest` or pinned, is waited for; `@latest` becomes the exact version the stack
        registered, so a new version (retraining) updates the deployment. Any other model passes through."""
        named = asset_reference(reference)
        model = self._models.get(named.name) if named else None
        if named is None or model is None:
            return reference
        depends_on.append(dependency_on(model, self))
        if isinstance(model, RegistryModel):  # taken from another stack: the registry's version it exports
            return value_or(model.uri, NOT_DEPLOYED)
        if named.version is not None:
            return reference
        return pulumi.Output.concat("azureml:", named.name, ":", value_or(model.version, NOT_DEPLOYED))

    def _resolve(self, spec: JobSpec) -> tuple[dict[str, Any], list[pulumi.Input[pulumi.Resource]]]:
        """Point the job at this stack's environments, data and clusters."""
        definition: dict[str, Any] = dict(spec.definition)
        depends_on: list[pulumi.Input[pulumi.Resource]] = []
        if "environment" in definition:
            definition["environment"] = self._reference(definition["environment"], self._environments, depends_on)
        if isinstance(definition.get("trial"), dict) and "environment" in definition["trial"]:
            trial = dict(definition["trial"])
            trial["environment"] = self._reference(trial["environment"], self._environments, depends_on)
            definition["trial"] = trial
        if isinstance(definition.get("inputs"), dict):
            definition["inputs"] = {name: self._input(value, depends_on) for name, value in definition["inputs"].items()}
        compute = str(definition.get("compute", "")).removeprefix("azureml:")
        if compute in self._target.compute:
            depends_on.append(self._target.compute[compute])
        return definition, depends_on

    def _resolve_steps(self, spec: JobSpec, definition: dict[str, Any], depends_on: list[pulumi.Input[pulumi.Resource]]) -> dict[str, Any]:
        """Point a pipeline's own steps at this stack's components, environments, data and clusters, and
        track the stack's assets that steps inside component files name (they can't be rewritten there)."""
        steps = {name: self._resolve_step(dict(step), depends_on) for name, step in (definition.get("jobs") or {}).items()}
        definition["jobs"] = steps
        default_compute = str((definition.get("settings") or {}).get("default_compute", "")).removeprefix("azureml:")
        if default_compute in self._target.compute:
            depends_on.append(self._target.compute[default_compute])
        tracked: dict[str, Any] = dict(spec.step_hashes)
        for step in spec.steps:
            used = {
                "environment": (step_environment_reference(step), self._environments),
                "component": (None if step.component_file else step.body.get(component_field(step.body)), self._components),
            }
            for what, (reference, declared) in used.items():
                if self._declared(reference, declared) is not None:
                    tracked[f"{step.name}.{what}"] = self._reference(reference, declared, depends_on)
        return tracked

    def _resolve_step(self, step: dict[str, Any], depends_on: list[pulumi.Input[pulumi.Resource]]) -> dict[str, Any]:
        uses = component_field(step)
        if uses in step:
            step[uses] = self._reference(step[uses], self._components, depends_on)
        if "environment" in step:
            step["environment"] = self._reference(step["environment"], self._environments, depends_on)
        if isinstance(step.get("inputs"), dict):
            step["inputs"] = {name: self._input(value, depends_on) for name, value in step["inputs"].items()}
        compute = str(step.get("compute", "")).removeprefix("azureml:")
        if compute in self._target.compute:
            depends_on.append(self._target.compute[compute])
        return step

    def _input(self, value: Any, depends_on: list[pulumi.Input[pulumi.Resource]]) -> Any:
        if isinstance(value, dict) and isinstance(value.get("path"), str):
            depends_on += self._stored_in(value["path"])
            return {**value, "path": self._reference(value["path"], self._data, depends_on)}
        return value

    def _reference(self, value: Any, declared: Mapping[str, _Declared], depends_on: list[pulumi.Input[pulumi.Resource]]) -> Any:
        asset = self._declared(value, declared)
        if asset is None:
            return value
        depends_on.append(dependency_on(asset.resource, self))
        return value_or(asset.resource.asset_id, NOT_DEPLOYED)

    @staticmethod
    def _declared(value: Any, declared: Mapping[str, _Declared]) -> _Declared | None:
        """The stack's asset an `azureml:` reference names; None for anything else."""
        match = _ASSET_REFERENCE.match(value) if isinstance(value, str) else None
        asset = declared.get(match["name"]) if match else None
        if match is None or asset is None:
            return None
        if match["version"] and match["version"] != asset.version:
            return None  # an explicitly pinned other version lives outside this stack
        return asset
