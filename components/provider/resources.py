"""The dynamic resources: Azure ML assets (and the local workspace) as Pulumi resources.

Usable from any Pulumi Python program; `components/assets.py` builds them from the
stack's YAML definitions. `workspace` says where they live: see `backend.py`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import Resource, ResourceProvider

from components.provider.providers import (
    STEP_PREFIX,
    ComponentProvider,
    DataProvider,
    DatastoreProvider,
    DeploymentProvider,
    EndpointProvider,
    EnvironmentProvider,
    JobProvider,
    LocalWorkspaceProvider,
    ModelProvider,
    RegistryModelProvider,
    ScheduleProvider,
    SharedModelProvider,
    TrafficProvider,
)

Input = pulumi.Input


def _props(inputs: dict[str, Any], outputs: tuple[str, ...]) -> dict[str, Any]:
    """Inputs plus the output names, declared as None so they become attributes."""
    return {**inputs, **{name: None for name in outputs if name not in inputs}}


class LocalWorkspace(Resource, module="azureml", name="LocalWorkspace"):
    """A stack's folder on this machine: MLflow tracking store, model registry, job runs."""

    root: pulumi.Output[str]
    tracking_uri: pulumi.Output[str]

    def __init__(self, name: str, workspace: Input[dict], opts: pulumi.ResourceOptions | None = None) -> None:
        props = _props({"workspace": workspace, "name": name}, ("root", "tracking_uri"))
        super().__init__(LocalWorkspaceProvider(), name, props, opts)


class _VersionedAsset(Resource):
    """An asset version whose version is derived from its content when the YAML has none."""

    provider_class: ClassVar[type[ResourceProvider]]
    output_names: ClassVar[tuple[str, ...]]

    def __init__(
        self,
        resource_name: str,
        *,
        workspace: Input[dict],
        name: str,
        version: str,
        definition: Input[dict],
        content_hash: str,
        base_dir: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        inputs = {"workspace": workspace, "name": name, "version": version, "definition": definition}
        inputs |= {"content_hash": content_hash, "base_dir": base_dir}
        super().__init__(self.provider_class(), resource_name, _props(inputs, self.output_names), opts)


class Environment(_VersionedAsset, module="azureml", name="Environment"):
    """An environment version: a cached virtualenv locally, an image build on Azure."""

    asset_id: pulumi.Output[str]
    version: pulumi.Output[str]
    provider_class = EnvironmentProvider
    output_names = ("asset_id",)


class DataAsset(_VersionedAsset, module="azureml", name="Data"):
    """A data asset whose local file or folder is uploaded (or copied) by content."""

    asset_id: pulumi.Output[str]
    version: pulumi.Output[str]
    path: pulumi.Output[str]
    provider_class = DataProvider
    output_names = ("asset_id", "path")


class Component(_VersionedAsset, module="azureml", name="Component"):
    """A command component version, for pipeline steps to name (`azureml:<name>@latest`)."""

    asset_id: pulumi.Output[str]
    version: pulumi.Output[str]
    provider_class = ComponentProvider
    output_names = ("asset_id",)


class Datastore(Resource, module="azureml", name="Datastore"):
    """A datastore; credentials are Pulumi secrets and stay secret in state."""

    asset_id: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        workspace: Input[dict],
        name: str,
        definition: Input[dict],
        credentials: Input[dict] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        inputs = {"workspace": workspace, "name": name, "definition": definition, "credentials": credentials or {}}
        secret_opts = pulumi.ResourceOptions(additional_secret_outputs=["credentials"])
        super().__init__(DatastoreProvider(), resource_name, _props(inputs, ("asset_id",)), pulumi.ResourceOptions.merge(opts, secret_opts))


class Job(Resource, module="azureml", name="Job"):
    """A command, sweep or pipeline job: submitted once per distinct spec, waited for, logs kept.

    `steps` (pipelines) maps `<step>.<what>` to the content hash of what that step runs from.
    """

    name: pulumi.Output[str]
    status: pulumi.Output[str]
    url: pulumi.Output[str]
    outputs: pulumi.Output[dict]
    best_trial: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        workspace: Input[dict],
        key: str,
        name_prefix: str,
        definition: Input[dict],
        base_dir: str,
        code_hash: str | None = None,
        input_hashes: dict[str, str] | None = None,
        environment_hash: str | None = None,
        steps: dict[str, Input[str]] | None = None,
        experiment: str | None = None,
        wait: bool = True,
        timeout_minutes: float = 120,
        on_delete: str = "archive",
        rerun: int = 0,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        inputs = {"workspace": workspace, "key": key, "name_prefix": name_prefix, "definition": definition, "base_dir": base_dir}
        inputs |= {"code_hash": code_hash, "input_hashes": input_hashes or {}, "environment_hash": environment_hash}
        inputs |= {"experiment": experiment, "rerun": rerun}
        # Only pipelines carry them: a command job's properties (so its name) stay as they were.
        inputs |= {f"{STEP_PREFIX}{what}": value for what, value in (steps or {}).items()}
        inputs |= {"wait": wait, "timeout_minutes": timeout_minutes, "on_delete": on_delete}
        outputs = ("name", "status", "url", "outputs", "best_trial")
        super().__init__(JobProvider(), resource_name, _props(inputs, outputs), opts)


class Model(Resource, module="azureml", name="Model"):
    """A model version registered from a job's output."""

    version: pulumi.Output[str]
    uri: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        workspace: Input[dict],
        name: str,
        job_name: Input[str],
        output: str = "model",
        type: str = "mlflow_model",
        description: str | None = None,
        definition: dict | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        inputs = {"workspace": workspace, "name": name, "job_name": job_name, "output": output, "type": type}
        inputs |= {"description": description, "definition": definition or {}}
        super().__init__(ModelProvider(), resource_name, _props(inputs, ("version", "uri")), opts)


class SharedModel(Resource, module="azureml", name="SharedModel"):
    """A workspace's model version (`name`, `version`) shared to `registry`: its version there and its
    `azureml://registries/...` URI."""

    registry: pulumi.Output[str]
    registry_version: pulumi.Output[str]
    uri: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        workspace: Input[dict],
        registry: str,
        name: str,
        version: Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        inputs = {"workspace": workspace, "registry": registry, "name": name, "version": version}
        super().__init__(SharedModelProvider(), resource_name, _props(inputs, ("registry_version", "uri")), opts)


class RegistryModel(Resource, module="azureml", name="RegistryModel"):
    """A registry's model version another stack shared, served by this one: its `azureml://registries/...` URI."""

    registry: pulumi.Output[str]
    version: pulumi.Output[str]
    uri: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        workspace: Input[dict],
        registry: Input[str],
        name: Input[str],
        version: Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        inputs = {"workspace": workspace, "registry": registry, "name": name, "version": version}
        super().__init__(RegistryModelProvider(), resource_name, _props(inputs, ("uri",)), opts)


class Endpoint(Resource, module="azureml", name="OnlineEndpoint"):
    """An online endpoint: its scoring URI and keys (Pulumi secrets, never plaintext in state)."""

    scoring_uri: pulumi.Output[str]
    primary_key: pulumi.Output[str]
    secondary_key: pulumi.Output[str]

    def __init__(
        self, resource_name: str, *, workspace: Input[dict], name: str, definition: dict, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        inputs = {"workspace": workspace, "name": name, "definition": definition}
        secret_keys = pulumi.ResourceOptions(additional_secret_outputs=list(EndpointProvider.keys))
        outputs = ("scoring_uri", *EndpointProvider.keys)
        super().__init__(EndpointProvider(), resource_name, _props(inputs, outputs), pulumi.ResourceOptions.merge(opts, secret_keys))


class Deployment(Resource, module="azureml", name="OnlineDeployment"):
    """A deployment serving `model` (`azureml:<name>:<version>`) behind an endpoint.

    `code` is where a scoring script's relative paths start and the content hash of its local code (new code
    updates the deployment); None for a no-code deployment, whose properties then carry neither.
    `endpoint_incarnation` (`EndpointProvider.incarnation`), when given, makes the deployment again with a new endpoint.
    """

    model: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        workspace: Input[dict],
        endpoint_name: str,
        name: str,
        model: Input[str],
        definition: Input[dict],
        code: tuple[str, str] | None = None,
        endpoint_incarnation: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        inputs = {"workspace": workspace, "endpoint_name": endpoint_name, "name": name, "model": model, "definition": definition}
        if code is not None:
            inputs |= {"base_dir": code[0], "code_hash": code[1]}
        if endpoint_incarnation is not None:
            inputs["endpoint_incarnation"] = endpoint_incarnation
        super().__init__(DeploymentProvider(), resource_name, _props(inputs, ()), opts)


class EndpointTraffic(Resource, module="azureml", name="OnlineEndpointTraffic"):
    """Each deployment's share of an endpoint's requests, in percent, and of its mirrored copies."""

    def __init__(
        self,
        resource_name: str,
        *,
        workspace: Input[dict],
        endpoint_name: str,
        traffic: dict[str, int],
        mirror_traffic: dict[str, int] | None = None,
        endpoint_incarnation: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        inputs = {"workspace": workspace, "name": endpoint_name, "traffic": traffic, "mirror_traffic": mirror_traffic or {}}
        if endpoint_incarnation is not None:  # see Deployment
            inputs["endpoint_incarnation"] = endpoint_incarnation
        super().__init__(TrafficProvider(), resource_name, _props(inputs, ()), opts)


class Schedule(Resource, module="azureml", name="Schedule"):
    """A job schedule (`definition`: the schedule YAML, its relative paths from `base_dir`); fires only on Azure ML.

    `job` stands for the content of the job it runs (None for an `azureml:` job): a new one updates the schedule.
    """

    def __init__(
        self,
        resource_name: str,
        *,
        workspace: Input[dict],
        name: str,
        definition: dict,
        base_dir: str,
        job: Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        inputs = {"workspace": workspace, "name": name, "definition": definition, "base_dir": base_dir, "job": job}
        super().__init__(ScheduleProvider(), resource_name, _props(inputs, ()), opts)
