"""Run the Pulumi program (or a piece of it) under mocks and return what it registered.

`run_stack("dev")` reads `stacks/Pulumi.dev.yaml`, applies overrides, runs `__main__.py`
with Pulumi's mock monitor and returns a `Run`: every registered resource with its inputs,
parent, protect flag and delete hooks, the provider functions called, and the stack exports.
Nothing contacts Azure: the mocks answer `azure-native:authorization:getClientConfig` and
give each Azure resource an ARM-shaped id.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import runpy
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pulumi
import yaml
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.settings import get_root_resource, set_root_resource
from pulumi.runtime.sync_await import _ensure_event_loop

from components.spec.settings import SHOWN_TO_USER_EXIT_CODE, SettingsError

REPO = Path(__file__).resolve().parents[2]
PROJECT = "azureml-training"
NAMESPACE = "azureml-training"
SUBSCRIPTION = "00000000-0000-4000-8000-000000000001"
TENANT = "00000000-0000-4000-8000-000000000002"
DEPLOYER = "00000000-0000-4000-8000-000000000003"
CLIENT_CONFIG = "azure-native:authorization:getClientConfig"
READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs"
STACK_REFERENCE = "pulumi:pulumi:StackReference"

# Type tokens of the azure-native resources the components register.
RG = "azure-native:resources:ResourceGroup"
LOGS = "azure-native:operationalinsights:Workspace"
INSIGHTS = "azure-native:applicationinsights:Component"
VAULT = "azure-native:keyvault:Vault"
STORAGE = "azure-native:storage:StorageAccount"
REGISTRY = "azure-native:containerregistry:Registry"
WORKSPACE = "azure-native:machinelearningservices:Workspace"
COMPUTE = "azure-native:machinelearningservices:Compute"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
ENDPOINT = "azure-native:network:PrivateEndpoint"
ZONE = "azure-native:privatedns:PrivateZone"
ZONE_LINK = "azure-native:privatedns:VirtualNetworkLink"
ZONE_GROUP = "azure-native:network:PrivateDnsZoneGroup"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"
ML_REGISTRY = "azure-native:machinelearningservices:Registry"
DELETE = object()  # an override value that removes the key

# Where each Azure type lives under its resource group, and which input names it.
_ARM_PATHS = {
    "azure-native:operationalinsights:Workspace": ("Microsoft.OperationalInsights/workspaces", "workspaceName"),
    "azure-native:applicationinsights:Component": ("Microsoft.Insights/components", "resourceName"),
    "azure-native:keyvault:Vault": ("Microsoft.KeyVault/vaults", "vaultName"),
    "azure-native:storage:StorageAccount": ("Microsoft.Storage/storageAccounts", "accountName"),
    "azure-native:containerregistry:Registry": ("Microsoft.ContainerRegistry/registries", "registryName"),
    "azure-native:machinelearningservices:Workspace": ("Microsoft.MachineLearningServices/workspaces", "workspaceName"),
    "azure-native:machinelearningservices:Registry": ("Microsoft.MachineLearningServices/registries", "registryName"),
    "azure-native:managedidentity:UserAssignedIdentity": ("Microsoft.ManagedIdentity/userAssignedIdentities", "resourceName"),
    "azure-native:network:PrivateEndpoint": ("Microsoft.Network/privateEndpoints", "privateEndpointName"),
    "azure-native:privatedns:PrivateZone": ("Microsoft.Network/privateDnsZones", "privateZoneName"),
}


@dataclass(frozen=True)
class Registered:
    """One resource as the program registered it."""

    type: str
    name: str
    urn: str
    parent: str
    inputs: dict[str, Any]
    protect: bool
    before_delete: tuple[str, ...]
    after_delete: tuple[str, ...]
    id: str
    state: dict[str, Any]
    dependencies: tuple[str, ...] = ()
    ignore_changes: tuple[str, ...] = ()
    provider: str = ""  # `<urn>::<id>` of an explicit provider instance
    secret_outputs: tuple[str, ...] = ()


@dataclass
class Run:
    resources: list[Registered] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    exports: dict[str, Any] = field(default_factory=dict)
    result: Any = None

    def of_type(self, type_: str) -> list[Registered]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str) -> Registered:
        found = self.of_type(type_)
        assert len(found) == 1, f"expected one {type_}, found {[r.name for r in found]}"
        return found[0]

    def named(self, name: str) -> Registered:
        found = [r for r in self.resources if r.name == name]
        assert len(found) == 1, f"expected one resource named {name}, found {len(found)}"
        return found[0]

    @property
    def azure(self) -> list[Registered]:
        return [r for r in self.resources if r.type.startswith("azure-native:")]


def arm_id(type_: str, inputs: dict[str, Any], subscription: str = SUBSCRIPTION) -> str | None:
    """The ARM id Azure would give a resource of this type with these inputs (None: not an ARM resource we model)."""
    group = f"/subscriptions/{subscription}/resourceGroups/{inputs.get('resourceGroupName', '')}"
    if type_ == "azure-native:resources:ResourceGroup":
        return group
    if type_ in _ARM_PATHS:
        path, key = _ARM_PATHS[type_]
        return f"{group}/providers/{path}/{inputs[key]}"
    if type_ == "azure-native:machinelearningservices:Compute":
        return f"{group}/providers/Microsoft.MachineLearningServices/workspaces/{inputs['workspaceName']}/computes/{inputs['computeName']}"
    if type_ == "azure-native:privatedns:VirtualNetworkLink":
        zone = f"{group}/providers/Microsoft.Network/privateDnsZones/{inputs['privateZoneName']}"
        return f"{zone}/virtualNetworkLinks/{inputs['virtualNetworkLinkName']}"
    if type_ == "azure-native:network:PrivateDnsZoneGroup":
        endpoint = f"{group}/providers/Microsoft.Network/privateEndpoints/{inputs['privateEndpointName']}"
        return f"{endpoint}/privateDnsZoneGroups/{inputs['privateDnsZoneGroupName']}"
    if type_ == "azure-native:authorization:RoleAssignment":
        return f"{inputs['scope']}/providers/Microsoft.Authorization/roleAssignments/{inputs['roleAssignmentName']}"
    return None


def principal_of(urn: str) -> str:
    """The fake principal id the mocks give a resource's system-assigned identity."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, urn))


class _EngineError(grpc.RpcError):
    """An error the engine answers an invoke with, as gRPC hands it to the SDK."""

    def __init__(self, details: str) -> None:
        super().__init__(details)
        self._details = details

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.UNKNOWN

    def details(self) -> str:
        return self._details


class _AzureMocks(Mocks):
    def __init__(
        self, extra_state: dict[str, dict[str, Any]], subscription: str = SUBSCRIPTION, stacks: dict[str, Any] | None = None
    ) -> None:
        self.calls: list[str] = []
        self.extra_state = extra_state
        self.subscription = subscription
        self.stacks = stacks or {}

    def call(self, args: MockCallArgs) -> dict:
        self.calls.append(args.token)
        if args.token == CLIENT_CONFIG:
            return {"clientId": "deployer-app", "objectId": DEPLOYER, "subscriptionId": self.subscription, "tenantId": TENANT}
        if args.token == READ_STACK_OUTPUTS:  # as the engine's builtin answers, or fails for a stack it does not have
            name = args.args["name"]
            if name not in self.stacks:
                raise _EngineError(f'invocation of {READ_STACK_OUTPUTS} returned an error: unknown stack "{name}"')
            return {"name": name, "outputs": self.stacks[name], "secretOutputNames": []}
        raise AssertionError(f"unexpected provider function call {args.token}")

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict]:
        state = dict(args.inputs)
        resource_id = arm_id(args.typ, args.inputs, self.subscription) or f"{args.name}-id"
        name = resource_id.rsplit("/", 1)[-1]
        state.setdefault("name", name)
        if args.typ in _ARM_PATHS or args.typ == "azure-native:machinelearningservices:Compute":
            state.setdefault("azureApiVersion", "mock")
        if args.typ == IDENTITY:
            state.update(principalId=principal_of(f"{args.typ}::{args.name}"), clientId=principal_of(resource_id), tenantId=TENANT)
        identity = args.inputs.get("identity")
        if isinstance(identity, dict) and "SystemAssigned" in str(identity.get("type")):
            state["identity"] = {**identity, "principalId": principal_of(f"{args.typ}::{args.name}"), "tenantId": TENANT}
        if isinstance(identity, dict) and "UserAssigned" in str(identity.get("type")):
            # ARM answers with a map from each identity's id to its principal (and takes a list of ids).
            assigned = {uid: {"principalId": principal_of(f"{IDENTITY}::{uid}")} for uid in identity.get("userAssignedIdentities", [])}
            state["identity"] = {**state.get("identity", identity), "userAssignedIdentities": assigned}
        if args.typ.endswith(("azureml:Environment", "azureml:Data", "azureml:Component")):
            # What the dynamic provider answers: the version's asset id, for jobs to reference.
            state["asset_id"] = f"azureml:{args.inputs['name']}:{args.inputs['version']}"
        if args.typ.endswith("azureml:Model"):
            state["version"] = "7"  # the version the registry gave it
        if args.typ.endswith("azureml:SharedModel"):
            version = "3"  # the registry's version, its own numbering
            state.update(
                registry_version=version,
                uri=f"azureml://registries/{args.inputs['registry']}/models/{args.inputs['name']}/versions/{version}",
            )
        if args.typ.endswith("azureml:RegistryModel"):
            state["uri"] = f"azureml://registries/{args.inputs['registry']}/models/{args.inputs['name']}/versions/{args.inputs['version']}"
        if args.typ == STACK_REFERENCE:
            state.update(outputs=self.stacks.get(args.inputs["name"], {}), secretOutputNames=[])
        if args.typ.endswith("azureml:OnlineEndpoint"):
            state.update(scoring_uri="http://127.0.0.1:5001/score", primary_key="primary-key", secondary_key="secondary-key")
        state.update(self.extra_state.get(args.typ, {}))
        return resource_id, state


class _RecordingMonitor(MockMonitor):
    """The stock mock monitor, also keeping what the mocks never see: parent, protect and hooks.

    It answers as the engine does under `--continue-on-error` that the resources named in
    `failing` failed, and that those depending on a failed or skipped one were skipped."""

    def __init__(self, mocks: _AzureMocks, failing: tuple[str, ...] = ()) -> None:
        super().__init__(mocks)
        self.registered: list[Registered] = []
        self.failing = failing
        self.not_deployed: set[str] = set()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """A URN as the engine makes it (the stock mock qualifies a type by its parent's last type only, the
        root stack's included): by its parent's whole qualified type, except the root stack's."""
        parent_type = parent.split("::")[2] if parent else "pulumi:pulumi:Stack"
        qualified = type_ if parent_type == "pulumi:pulumi:Stack" else f"{parent_type}${type_}"
        return "urn:pulumi:" + "::".join([pulumi.get_stack(), pulumi.get_project(), qualified, name])

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 (the monitor's gRPC method name)
        """A read (a StackReference, say), recorded like a registration."""
        response = super().ReadResource(request)
        registration = self.resources[response.urn]
        inputs = rpc.deserialize_properties(request.properties)
        self.registered.append(
            Registered(
                type=request.type,
                name=request.name,
                urn=response.urn,
                parent=request.parent,
                inputs=inputs,
                protect=False,
                before_delete=(),
                after_delete=(),
                id=registration.id,
                state=registration.state,
            )
        )
        return response

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (the monitor's gRPC method name)
        response = super().RegisterResource(request)
        dependencies = {*request.dependencies, *(urn for each in request.propertyDependencies.values() for urn in each.urns)}
        if request.name in self.failing:
            response.result = resource_pb2.Result.FAIL
        elif dependencies & self.not_deployed:
            response.result = resource_pb2.Result.SKIP
        if response.result != resource_pb2.Result.SUCCESS:
            self.not_deployed.add(response.urn)
        if request.type == "pulumi:pulumi:Stack":
            return response
        _ensure_event_loop()
        registration = self.resources[response.urn]
        self.registered.append(
            Registered(
                type=request.type,
                name=request.name,
                urn=response.urn,
                parent=request.parent,
                inputs=rpc.deserialize_properties(request.object),
                protect=bool(request.protect),
                before_delete=tuple(request.hooks.before_delete),
                after_delete=tuple(request.hooks.after_delete),
                id=registration.id,
                state=registration.state,
                dependencies=tuple(request.dependencies),
                ignore_changes=tuple(request.ignoreChanges),
                provider=request.provider,
                secret_outputs=tuple(request.additionalSecretOutputs),
            )
        )
        return response


def stack_config(stack: str) -> dict[str, Any]:
    """The `azureml-training:*` values of a stack file, keyed without the namespace."""
    text = (REPO / "stacks" / f"Pulumi.{stack}.yaml").read_text()
    config = (yaml.safe_load(text) or {}).get("config") or {}
    prefix = f"{NAMESPACE}:"
    return {k[len(prefix) :]: v for k, v in config.items() if k.startswith(prefix)}


def apply_overrides(config: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Set dotted paths (`workspace.names.storageAccount`, `compute.0.minNodes`); a value of DELETE removes the key."""
    result = copy.deepcopy(config)
    for path, value in overrides.items():
        *parents, last = path.split(".")
        node: Any = result
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        key: Any = int(last) if isinstance(node, list) else last
        if value is DELETE:
            del node[key]
        else:
            node[key] = value
    return result


def _as_config_value(value: Any) -> str:
    """Pulumi passes config to programs as strings; objects and lists as JSON text."""
    return value if isinstance(value, str) else json.dumps(value)


@contextmanager
def _in_repo() -> Iterator[None]:
    before = Path.cwd()
    os.chdir(REPO)
    try:
        yield
    finally:
        os.chdir(before)


def run_main() -> None:
    """The real program, as `pulumi up` runs it.

    The program shows a SettingsError once and exits with the code that tells the language
    host so; tests get the SettingsError itself, to check its one line.
    """
    try:
        runpy.run_path(str(REPO / "__main__.py"), run_name="__main__")
    except SystemExit as exited:
        if exited.code == SHOWN_TO_USER_EXIT_CODE and isinstance(exited.__cause__, SettingsError):
            raise exited.__cause__ from None
        raise


def run_stack(
    stack: str,
    overrides: dict[str, Any] | None = None,
    *,
    config: dict[str, Any] | None = None,
    program: Callable[[], Any] = run_main,
    project: str = PROJECT,
    extra_state: dict[str, dict[str, Any]] | None = None,
    secrets: tuple[str, ...] = (),
    subscription: str = SUBSCRIPTION,
    failing: tuple[str, ...] = (),
    stacks: dict[str, Any] | None = None,
) -> Run:
    """Run `program` for `stack` under mocks; `config` replaces the stack file's values, `overrides` patch them;
    the resources named in `failing` fail (see _RecordingMonitor); `stacks` are other stacks' outputs by full name
    (`organization/<project>/<stack>`), for StackReferences to read.

    Whatever `program` returns is resolved (Outputs included) into `Run.result`. Exceptions
    from the program (a SettingsError, say) propagate; `last_run` still holds what was
    registered before them.
    """
    values = apply_overrides(stack_config(stack) if config is None else config, overrides or {})
    secret_keys = [f"{NAMESPACE}:{key}" for key in secrets]
    pulumi.runtime.set_all_config({f"{NAMESPACE}:{k}": _as_config_value(v) for k, v in values.items()}, secret_keys)
    mocks = _AzureMocks(extra_state or {}, subscription, stacks)
    monitor = _RecordingMonitor(mocks, failing)
    if failing:
        # The outputs of a failed resource are faulted futures nobody awaits: silence asyncio's complaint about
        # them, as Pulumi's own program runner (pulumi-language-python-exec) does for every program.
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    set_root_resource(None)  # a fresh root Stack per run, so exports never leak between runs
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)
    run = Run(resources=monitor.registered, calls=mocks.calls)
    last_run.clear()
    last_run.append(run)

    def resolve() -> pulumi.Output[Any]:
        result = pulumi.Output.from_input(program())
        exports = pulumi.Output.from_input(dict(get_root_resource().outputs))
        return pulumi.Output.all(result, exports).apply(lambda values: _store(run, *values))

    try:
        with _in_repo():
            pulumi.runtime.test(resolve)()
    finally:
        pulumi.runtime.set_all_config({}, [])  # later tests start from no config
    return run


def _store(run: Run, result: Any, exports: dict[str, Any]) -> None:
    run.result = result
    run.exports = exports


last_run: list[Run] = []


def components_program() -> dict[str, Any]:
    """Only the workspace and compute components, wired as components/targets.py wires them."""
    from components.infra.compute import ComputeCluster
    from components.infra.workspace import Workspace
    from components.spec.settings import load_settings

    settings = load_settings()
    ws = Workspace("aml", settings.workspace, project=pulumi.get_project(), stack=pulumi.get_stack(), opts=None)
    clusters = [ComputeCluster(c.name, c, workspace=ws, opts=pulumi.ResourceOptions(parent=ws)) for c in settings.compute]
    attributes = (
        "subscription_id",
        "resource_group_name",
        "workspace_name",
        "workspace_id",
        "studio_url",
        "mlflow_tracking_uri",
        "storage_account_name",
    )
    return {
        "attributes": {attribute: getattr(ws, attribute) for attribute in attributes},
        "outputs": ws.outputs,
        "clusters": {c.name: cluster.compute_name for c, cluster in zip(settings.compute, clusters, strict=True)},
    }
