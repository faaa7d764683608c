"""Stack settings: the one place that knows the project's config keys.

Every `azureml-training:*` key of `stacks/Pulumi.<stack>.yaml` is read here into
typed, validated settings. Components receive these models, never `pulumi.Config`.
Bad input raises `pulumi.RunError` with one line naming the stack file, the key
and what is wrong, before any resource is registered.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel

from components.provider.local.layout import REGISTRIES
from components.provider.local.ownership import folder_problem, root_problem

NAMESPACE = "azureml-training"

Target = Literal["azure", "local"]
PublicNetworkAccess = Literal["Enabled", "Disabled"]
IsolationMode = Literal["Disabled", "AllowInternetOutbound", "AllowOnlyApprovedOutbound"]
OnDelete = Literal["archive", "delete", "keep"]
StorageRole = Literal["Reader", "Contributor"]

_ARM_ID = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/.+", re.IGNORECASE)
_UUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


class _Settings(BaseModel):
    """Stack-file objects use camelCase keys; unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True)


def _check_name(value: str | None, pattern: str, rule: str) -> str | None:
    if value is not None and not re.fullmatch(pattern, value):
        raise ValueError(f"{value!r} is not a valid name: {rule}")
    return value


class ResourceNames(_Settings):
    """Overrides for the names derived from project and stack (see components/infra/naming.py)."""

    resource_group: str | None = None
    storage_account: str | None = None
    key_vault: str | None = None
    container_registry: str | None = None
    application_insights: str | None = None
    log_analytics: str | None = None

    @field_validator("resource_group")
    @classmethod
    def _resource_group(cls, v: str | None) -> str | None:
        return _check_name(v, r"[-\w.()]{0,89}[-\w()]", "1-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.'")

    @field_validator("storage_account")
    @classmethod
    def _storage(cls, v: str | None) -> str | None:
        return _check_name(v, r"[a-z0-9]{3,24}", "3-24 lowercase letters and digits")

    @field_validator("key_vault")
    @classmethod
    def _vault(cls, v: str | None) -> str | None:
        _check_name(v, r"[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]", "3-24 letters, digits and single hyphens, starting with a letter")
        return v

    @field_validator("container_registry")
    @classmethod
    def _registry(cls, v: str | None) -> str | None:
        return _check_name(v, r"[a-zA-Z0-9]{5,50}", "5-50 letters and digits")

    @field_validator("application_insights", "log_analytics")
    @classmethod
    def _monitoring(cls, v: str | None) -> str | None:
        return _check_name(v, r"[a-zA-Z0-9][-a-zA-Z0-9]{2,62}", "3-63 letters, digits and hyphens, starting with a letter or digit")


def _check_arm_id(value: str, kind: str, segment: str) -> str:
    """`value` is an ARM id whose provider path contains `segment` (e.g. `/subnets/`)."""
    if not (_ARM_ID.match(value) and segment in value.lower()):
        raise ValueError(f"{value!r} is not {kind} resource id")
    return value


class PrivateEndpointSettings(_Settings):
    """`workspace.privateEndpoint`: where the workspace's private endpoint lives, for its inbound traffic."""

    subnet_id: str
    # An endpoint lives in its virtual network's region: the workspace's unless set.
    location: str | None = None
    # Bring-your-own zones (a hub's central DNS): then the stack creates no zones or links.
    private_dns_zone_ids: list[str] | None = None

    @field_validator("subnet_id")
    @classmethod
    def _subnet(cls, v: str) -> str:
        return _check_arm_id(v, "a subnet", "/subnets/")

    @field_validator("private_dns_zone_ids")
    @classmethod
    def _zones(cls, v: list[str] | None) -> list[str] | None:
        for zone in v or []:
            _check_arm_id(zone, "a private DNS zone", "/privatednszones/")
        return v


class FqdnRule(_Settings):
    """An outbound rule to a host name (wildcards allowed), on ports 80 and 443 only."""

    type: Literal["FQDN"]
    destination: Annotated[str, Field(pattern=r"^(\*\.)?([a-zA-Z0-9-]+\.)+[a-zA-Z]{2,}$")]


class ServiceTagDestination(_Settings):
    service_tag: str
    protocol: Literal["TCP", "UDP", "ICMP", "*"] = "TCP"
    port_ranges: Annotated[str, Field(pattern=r"^(\*|\d+(-\d+)?)(\s*,\s*\d+(-\d+)?)*$")] = "443"
    action: Literal["Allow", "Deny"] = "Allow"


class ServiceTagRule(_Settings):
    """An outbound rule to an Azure service tag (e.g. `AzureOpenDatasets`)."""

    type: Literal["ServiceTag"]
    destination: ServiceTagDestination


class PrivateEndpointDestination(_Settings):
    service_resource_id: str
    subresource_target: str
    spark_enabled: bool = False

    @field_validator("service_resource_id")
    @classmethod
    def _resource(cls, v: str) -> str:
        return _check_arm_id(v, "an Azure", "/providers/")


class PrivateEndpointRule(_Settings):
    """An outbound rule through a private endpoint the managed network creates (e.g. a training-data account)."""

    type: Literal["PrivateEndpoint"]
    destination: PrivateEndpointDestination


OutboundRule = Annotated[FqdnRule | ServiceTagRule | PrivateEndpointRule, Field(discriminator="type")]

# What the example environment's build and the jobs reach outside Azure with AllowOnlyApprovedOutbound:
# conda (conda-forge is served from conda.anaconda.org) and PyPI. Microsoft's recommended outbound
# rules for Python packages (how-to-managed-network, "List of recommended outbound rules"):
# anaconda.com, *.anaconda.com, *.anaconda.org, pypi.org; pip downloads from files.pythonhosted.org.
# Azure services (Entra ID, ARM, Azure ML, MCR, Monitor, Batch, Front Door) are required rules that
# Azure ML adds itself.
DEFAULT_OUTBOUND_RULES: dict[str, OutboundRule] = {
    "anaconda": FqdnRule(type="FQDN", destination="anaconda.com"),
    "anaconda-com": FqdnRule(type="FQDN", destination="*.anaconda.com"),
    "anaconda-org": FqdnRule(type="FQDN", destination="*.anaconda.org"),
    "pypi": FqdnRule(type="FQDN", destination="pypi.org"),
    "pythonhosted": FqdnRule(type="FQDN", destination="files.pythonhosted.org"),
}


class WorkspaceSettings(_Settings):
    """`azureml-training:workspace`: the Azure ML workspace and its dependencies."""

    existing: bool = False
    subscription_id: str | None = None
    resource_group: str | None = None
    existing_resource_group: bool = False
    name: str | None = None
    location: str | None = None
    friendly_name: str | None = None
    public_network_access: PublicNetworkAccess = "Disabled"
    isolation_mode: IsolationMode = "AllowInternetOutbound"
    container_registry: bool = False
    storage_shared_key_access: bool = False
    purge_on_destroy: bool = False
    purge_protection: bool = False
    protect: bool = False
    hbi: bool = False
    tags: dict[str, str] = Field(default_factory=dict)
    names: ResourceNames = Field(default_factory=ResourceNames)
    private_endpoint: PrivateEndpointSettings | None = None
    # A cluster of this stack that builds environment images, for a registry the build service can't reach.
    image_build_compute: str | None = None
    # Added to (or, with a null value, removed from) DEFAULT_OUTBOUND_RULES.
    outbound_rules: dict[str, OutboundRule | None] = Field(default_factory=dict)

    @field_validator("outbound_rules")
    @classmethod
    def _rule_names(cls, v: dict[str, OutboundRule | None]) -> dict[str, OutboundRule | None]:
        # A rule's name is a segment of its ARM path (.../outboundRules/<name>): keep it to characters that stay one.
        for name in v:
            _check_name(name, r"[a-zA-Z0-9][a-zA-Z0-9_-]*", "letters, digits, '-' or '_', starting with a letter or digit")
        return v

    def approved_outbound(self) -> dict[str, OutboundRule]:
        """The managed network's user-defined outbound rules: the defaults (approved-outbound only) and the stack's own."""
        defaults = DEFAULT_OUTBOUND_RULES if self.isolation_mode == "AllowOnlyApprovedOutbound" else {}
        merged = {**defaults, **self.outbound_rules}
        return {name: rule for name, rule in merged.items() if rule is not None}

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        return _check_name(v, r"[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}", "3-33 letters, digits, '-' or '_', starting with a letter or digit")

    @field_validator("resource_group")
    @classmethod
    def _resource_group(cls, v: str | None) -> str | None:
        return ResourceNames._resource_group(v)

    @field_validator("subscription_id")
    @classmethod
    def _subscription(cls, v: str | None) -> str | None:
        if v is not None and not _UUID.match(v):
            raise ValueError(f"{v!r} is not a subscription id (a GUID)")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> WorkspaceSettings:
        if self.existing:
            missing = [k for k in ("subscription_id", "resource_group", "name") if getattr(self, k) is None]
            if missing:
                keys = ", ".join(to_camel(k) for k in missing)
                raise ValueError(f"existing: true needs {keys}")
            provisioned = [k for k in ("private_endpoint", "outbound_rules", "image_build_compute") if getattr(self, k)]
            if provisioned:
                key = to_camel(provisioned[0])
                raise ValueError(f"{key}: an existing workspace keeps its own network and image builds (existing: true)")
        if self.purge_on_destroy and self.purge_protection:
            raise ValueError("purgeOnDestroy and purgeProtection exclude each other: a purge-protected vault cannot be purged")
        if self.existing_resource_group and self.resource_group is None and self.names.resource_group is None:
            raise ValueError("existingResourceGroup: true needs resourceGroup (the group to deploy into)")
        if self.resource_group and self.names.resource_group and self.resource_group != self.names.resource_group:
            groups = f"resourceGroup ({self.resource_group!r}) and names.resourceGroup ({self.names.resource_group!r})"
            raise ValueError(f"{groups} disagree: set one")
        _check_outbound_rules(self.isolation_mode, self.outbound_rules)
        return self


def _check_outbound_rules(isolation_mode: str, rules: dict[str, OutboundRule | None]) -> None:
    """What the managed network accepts: no rules without one; FQDN and service tags only when outbound is restricted."""
    for name, rule in rules.items():
        if rule is None:
            continue
        if isolation_mode == "Disabled":
            raise ValueError(f"outboundRules.{name}: outbound rules need a managed network (isolationMode is Disabled)")
        if rule.type != "PrivateEndpoint" and isolation_mode != "AllowOnlyApprovedOutbound":
            raise ValueError(
                f"outboundRules.{name}: {rule.type} rules need isolationMode AllowOnlyApprovedOutbound (all outbound is already allowed)"
            )


class ComputeSettings(_Settings):
    """One entry of `azureml-training:compute`: an AmlCompute cluster."""

    name: str
    vm_size: str = "Standard_DS3_v2"
    min_nodes: Annotated[int, Field(ge=0)] = 0
    max_nodes: Annotated[int, Field(ge=1)] = 1
    low_priority: bool = False
    idle_seconds_before_scale_down: Annotated[int, Field(ge=0)] = 1800
    subnet_id: str | None = None
    node_public_ip: bool = True
    storage_role: StorageRole = "Contributor"

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        _check_name(v, r"[a-zA-Z][a-zA-Z0-9-]{1,15}", "2-16 letters, digits and hyphens, starting with a letter")
        return v

    @field_validator("vm_size")
    @classmethod
    def _vm_size(cls, v: str) -> str:
        _check_name(v, r"(?i)standard_[a-z0-9_]+", "an Azure VM size such as Standard_DS3_v2")
        return v

    @field_validator("subnet_id")
    @classmethod
    def _subnet(cls, v: str | None) -> str | None:
        return v if v is None else _check_arm_id(v, "a subnet", "/subnets/")

    @model_validator(mode="after")
    def _nodes(self) -> ComputeSettings:
        if self.min_nodes > self.max_nodes:
            raise ValueError(f"minNodes ({self.min_nodes}) is greater than maxNodes ({self.max_nodes})")
        return self


class LocalSettings(_Settings):
    """`azureml-training:local`: where and how the local target runs."""

    root: str = ".azureml-local"
    concurrency: Annotated[int, Field(ge=1)] = Field(default_factory=lambda: os.cpu_count() or 1)


class _FileEntry(_Settings):
    file: Path


class EnvironmentEntry(_FileEntry):
    """One entry of `azureml-training:environments`: an environment YAML."""


class DataEntry(_FileEntry):
    """One entry of `azureml-training:data`: a data asset YAML whose path is local."""


class ComponentEntry(_FileEntry):
    """One entry of `azureml-training:components`: a command component YAML, registered for pipelines to use."""


class DatastoreEntry(_FileEntry):
    """One entry of `azureml-training:datastores`.

    `credentials` maps a credential field of the datastore YAML (account_key,
    sas_token, client_secret, connection_string) to the name of a secret config key.
    """

    credentials: dict[str, str] = Field(default_factory=dict)


class JobEntry(_FileEntry):
    """One entry of `azureml-training:jobs`: a command, sweep or pipeline job YAML."""

    key: str | None = None
    compute: str | None = None
    experiment: str | None = None
    # Strict: a quoted "yes" or "false" is a mistake to report, not a truthy string to read as true.
    wait: StrictBool = True
    # Minutes as a number; fractions allowed (0.5 is thirty seconds).
    timeout_minutes: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 120
    on_delete: OnDelete = "archive"
    # Bumped by hand to run an unchanged job again (say, after a node was preempted).
    rerun: Annotated[int, Field(ge=0)] = 0

    @field_validator("key")
    @classmethod
    def _key(cls, v: str | None) -> str | None:
        return _check_name(v, r"[a-zA-Z][a-zA-Z0-9_-]{0,39}", "1-40 letters, digits, '-' or '_', starting with a letter")

    @property
    def job_key(self) -> str:
        return self.key or re.sub(r"[^a-zA-Z0-9_-]", "-", self.file.stem)


# Another stack as a StackReference names it (the file backend's organization is `organization`).
_STACK_NAME = r"[a-zA-Z0-9][a-zA-Z0-9._-]*/[a-zA-Z0-9][a-zA-Z0-9._-]*/[a-zA-Z0-9][a-zA-Z0-9._-]*"


class ModelSource(_Settings):
    """`models[].from`: a model another stack shared to a registry, taken by reference (no job here)."""

    stack: Annotated[str, Field(pattern=f"^{_STACK_NAME}$")]
    # The model's name in the source stack's `models`; the entry's own name unless set.
    model: str | None = None


class ModelEntry(_Settings):
    """One entry of `azureml-training:models`: a model registered from a job output, or taken `from` another stack."""

    name: str
    job: str | None = None
    output: str = "model"
    file: Path | None = None
    type: Literal["mlflow_model", "custom_model", "triton_model"] = "mlflow_model"
    description: str | None = None
    # A registry of `registries` the registered version is shared to, for other stacks to take `from`.
    registry: str | None = None
    source: ModelSource | None = Field(default=None, alias="from")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        _check_name(v, r"[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}", "letters, digits, '-', '_' or '.', starting with a letter or digit")
        return v

    @model_validator(mode="after")
    def _job_or_source(self) -> ModelEntry:
        if self.source is not None and self.job is not None:
            raise ValueError("job and from exclude each other: a model is trained here or taken from another stack")
        if self.source is None and self.job is None:
            raise ValueError("job: required (a job key of this stack), or from: {stack, model} to take a shared model")
        if self.source is not None and self.registry is not None:
            raise ValueError("registry: a model with no job has no version of its own to share (it is taken from)")
        if self.source is not None and self.file is not None:
            raise ValueError("file: a model taken from another stack keeps the source's model file")
        return self

    @property
    def source_model(self) -> str:
        """The model's name in the source stack."""
        return (self.source.model if self.source else None) or self.name


# Azure ML registry names: 3-33 letters, digits, '-' and '_', a letter or digit first (as workspace names).
REGISTRY_NAME = r"[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}"
REGISTRY_NAME_RULE = "3-33 letters, digits, '-' or '_', starting with a letter or digit"


class RegistryEntry(_Settings):
    """One entry of `azureml-training:registries`: an Azure ML registry YAML the stack creates, or one that exists.

    A created registry is named in its YAML (`name`, `location`, `replication_locations`, `public_network_access`,
    `tags`, `description`); an existing one by `name`, with its `resourceGroup` (and `subscriptionId`, default the
    workspace's) so the stack can grant itself access to it.
    """

    file: Path | None = None
    name: str | None = None
    existing: bool = False
    resource_group: str | None = None
    subscription_id: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        return _check_name(v, REGISTRY_NAME, REGISTRY_NAME_RULE)

    @field_validator("resource_group")
    @classmethod
    def _resource_group(cls, v: str | None) -> str | None:
        return ResourceNames._resource_group(v)

    @field_validator("subscription_id")
    @classmethod
    def _subscription(cls, v: str | None) -> str | None:
        return WorkspaceSettings._subscription(v)

    @model_validator(mode="after")
    def _file_or_existing(self) -> RegistryEntry:
        if self.existing and (self.name is None or self.file is not None):
            raise ValueError("existing: true takes the registry's name (and no file)")
        if not self.existing and (self.file is None or self.name is not None):
            raise ValueError("file: required, a registry YAML (or name it with existing: true); its name is the YAML's")
        if not self.existing and (self.resource_group or self.subscription_id):
            raise ValueError("resourceGroup: a registry the stack creates lives in the workspace's resource group")
        return self


class DeploymentEntry(_FileEntry):
    """One deployment of an endpoint: a managedOnlineDeployment YAML."""


# A share of an endpoint's requests, in percent.
Percent = Annotated[int, Field(ge=0, le=100)]


class EndpointEntry(_FileEntry):
    """One entry of `azureml-training:endpoints`: a managedOnlineEndpoint YAML and the deployments behind it.

    `traffic` and `mirrorTraffic` map a deployment's name (from its YAML) to a percentage; they are
    checked against the loaded YAMLs at preview (components/spec/endpoint_specs.py).
    """

    deployments: Annotated[list[DeploymentEntry], Field(min_length=1)]
    traffic: dict[str, Percent] | None = None
    mirror_traffic: dict[str, Percent] = Field(default_factory=dict)


class ScheduleEntry(_FileEntry):
    """One entry of `azureml-training:schedules`: a schedule YAML whose `create_job` runs on its trigger (on Azure ML)."""


class StackSettings(_Settings):
    """Everything a stack file says, validated."""

    target: Target = "azure"
    workspace: WorkspaceSettings = Field(default_factory=WorkspaceSettings)
    compute: list[ComputeSettings] = Field(default_factory=list)
    local: LocalSettings = Field(default_factory=LocalSettings)
    environments: list[EnvironmentEntry] = Field(default_factory=list)
    datastores: list[DatastoreEntry] = Field(default_factory=list)
    data: list[DataEntry] = Field(default_factory=list)
    components: list[ComponentEntry] = Field(default_factory=list)
    jobs: list[JobEntry] = Field(default_factory=list)
    models: list[ModelEntry] = Field(default_factory=list)
    registries: list[RegistryEntry] = Field(default_factory=list)
    endpoints: list[EndpointEntry] = Field(default_factory=list)
    schedules: list[ScheduleEntry] = Field(default_factory=list)
    # Folders outside the repository that files may name (code, data, conda files): an explicit opt-in.
    external_paths: list[Path] = Field(default_factory=list)

    @field_validator("external_paths")
    @classmethod
    def _external(cls, v: list[Path]) -> list[Path]:
        for i, folder in enumerate(v):
            if not folder.is_absolute() or folder == Path(folder.anchor):
                raise ValueError(f"[{i}]: {str(folder)!r} must be an absolute folder, not the filesystem root")
        return v

    @model_validator(mode="after")
    def _references(self) -> StackSettings:
        _unique("compute", [c.name for c in self.compute])
        keys = [j.job_key for j in self.jobs]
        _unique("jobs", keys)
        _unique("models", [m.name for m in self.models])
        for i, model in enumerate(self.models):
            if model.job is not None and model.job not in keys:
                raise ValueError(f"models[{i}].job: {model.job!r} is not a job key of this stack (known: {', '.join(keys) or 'none'})")
        _check_registries(self)
        if self.target == "azure" and self.workspace.existing and self.compute:
            raise ValueError("compute: an existing workspace keeps its own clusters; name them in the job YAMLs (compute: azureml:<name>)")
        for i, cluster in enumerate(self.compute):
            _check_cluster_network(i, cluster, self.workspace.isolation_mode)
        if self.target == "azure" and not self.workspace.existing and self.workspace.location is None:
            raise ValueError("workspace.location is required to create a workspace (or set workspace.existing: true)")
        if self.target == "azure" and not self.workspace.existing:
            _check_private_access(self.workspace)
            _check_image_build_compute(self.workspace, [c.name for c in self.compute])
        return self


def _check_registries(settings: StackSettings) -> None:
    """Existing registries by name, once each; on Azure the stack grants itself roles on them, so it needs their group.
    (Names in registry YAMLs, and models' `registry`, are checked once the YAMLs are loaded: preflight.py.)"""
    _unique("registries", [r.name for r in settings.registries if r.name])
    for i, registry in enumerate(settings.registries):
        if registry.existing and settings.target == "azure" and registry.resource_group is None:
            raise ValueError(
                f"registries[{i}].resourceGroup: required for an existing registry on Azure (the stack grants itself roles on it)"
            )


def _check_image_build_compute(workspace: WorkspaceSettings, clusters: list[str]) -> None:
    if workspace.image_build_compute is not None and workspace.image_build_compute not in clusters:
        known = ", ".join(clusters) or "none"
        name = workspace.image_build_compute
        raise ValueError(f"workspace.imageBuildCompute: {name!r} is not a cluster of this stack (compute: {known})")


def _check_private_access(workspace: WorkspaceSettings) -> None:
    """A workspace closed to the internet is reached through its private endpoint, or not at all."""
    if workspace.public_network_access == "Disabled" and workspace.private_endpoint is None:
        raise ValueError(
            "workspace.privateEndpoint.subnetId: required with publicNetworkAccess Disabled, or this deploy could "
            "not reach its own workspace (or set workspace.publicNetworkAccess: Enabled)"
        )


def _check_cluster_network(index: int, cluster: ComputeSettings, isolation_mode: str) -> None:
    managed = isolation_mode != "Disabled"
    if cluster.subnet_id and managed:
        raise ValueError(
            f"compute[{index}].subnetId: a cluster in the workspace's managed network (isolationMode {isolation_mode}) takes no subnet"
        )
    if not cluster.node_public_ip and not cluster.subnet_id and not managed:
        raise ValueError(f"compute[{index}].nodePublicIp: false needs a subnetId or a managed network (workspace.isolationMode)")


def _unique(key: str, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{key}: {name!r} appears twice")
        seen.add(name)


class SettingsError(pulumi.RunError):
    """A stack file is wrong; the message is the one line the user sees."""


# Tells the Python language host that the program has shown its error, so it adds none of its own.
SHOWN_TO_USER_EXIT_CODE = 32


def exit_on_settings_error(program: Callable[[], None]) -> None:
    """Run the program; a SettingsError is shown as its one line and ends the run."""
    try:
        program()
    except SettingsError as err:
        pulumi.log.error(str(err))
        raise SystemExit(SHOWN_TO_USER_EXIT_CODE) from err


def stack_file(stack: str) -> str:
    return f"stacks/Pulumi.{stack}.yaml"


def _project_keys() -> dict[str, Any]:
    """Every `azureml-training:*` key set for this run (engine env or mocks)."""
    values = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{NAMESPACE}:"
    return {k[len(prefix) :]: v for k, v in values.items() if k.startswith(prefix)}


def _parse(raw: Any) -> Any:
    """Config values arrive as strings, objects and lists as JSON text; scalars stay text for pydantic."""
    if not isinstance(raw, str):
        return raw
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return raw
    return value if isinstance(value, dict | list) else raw


def _secret_key_names() -> set[str]:
    """This run's secret keys: the engine passes them in the environment; mocks set them in the SDK
    (which has no public accessor for the whole set, hence `_SECRET_KEYS`)."""
    prefix = f"{NAMESPACE}:"
    keys = runtime_config.get_config_secret_keys_env() + list(runtime_config._SECRET_KEYS.get())
    return {k[len(prefix) :] for k in keys if k.startswith(prefix)}


def _location(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _files_exist(settings: StackSettings, root: Path) -> None:
    groups = {
        "environments": settings.environments,
        "datastores": settings.datastores,
        "data": settings.data,
        "components": settings.components,
        "jobs": settings.jobs,
        "schedules": settings.schedules,
    }
    files = [(f"{key}[{i}].file", entry.file) for key, entries in groups.items() for i, entry in enumerate(entries)]
    files += [(f"models[{i}].file", model.file) for i, model in enumerate(settings.models) if model.file is not None]
    files += [(f"registries[{i}].file", registry.file) for i, registry in enumerate(settings.registries) if registry.file is not None]
    for i, endpoint in enumerate(settings.endpoints):
        files.append((f"endpoints[{i}].file", endpoint.file))
        files += [(f"endpoints[{i}].deployments[{j}].file", deployment.file) for j, deployment in enumerate(endpoint.deployments)]
    allowed = [root.resolve(), *(folder.resolve() for folder in settings.external_paths)]
    for key, file in files:
        if not any((root / file).resolve().is_relative_to(folder) for folder in allowed):
            raise ValueError(f"{key}: {str(file)!r} is outside the repository (list its folder under {NAMESPACE}:externalPaths to use it)")
        if not (root / file).is_file():
            raise ValueError(f"{key}: {str(file)!r} does not exist (paths are relative to the repository root)")


def _local_workspace_folder(settings: StackSettings, root: Path, stack: str) -> None:
    """The local workspace's folder must be its own: see components/provider/local/ownership.py."""
    if settings.target != "local":
        return
    if stack == REGISTRIES:
        raise ValueError(f"local.root: <root>/{REGISTRIES} holds the local registries; give the stack another name")
    problem = root_problem(settings.local.root, root) or folder_problem(root / settings.local.root / stack, stack, root)
    if problem is not None:
        raise ValueError(f"local.root: {problem}; move it away or choose another local.root")


def _secret_credentials(settings: StackSettings, secrets: set[str]) -> None:
    for i, store in enumerate(settings.datastores):
        for field, key in store.credentials.items():
            if key not in secrets:
                raise ValueError(
                    f"datastores[{i}].credentials.{field}: {NAMESPACE}:{key} must be set as a secret "
                    f"(pulumi config set --secret {NAMESPACE}:{key} ...)"
                )


def load_settings(stack: str | None = None, root: Path | None = None) -> StackSettings:
    """Read and validate every project config key of the current stack."""
    stack = stack or pulumi.get_stack()
    root = root or Path.cwd()
    where = stack_file(stack)
    secrets = _secret_key_names()
    values = {k: _parse(v) for k, v in _project_keys().items()}
    known = set(StackSettings.model_fields) | {to_camel(k) for k in StackSettings.model_fields}
    referenced = {
        key for store in values.get("datastores") or [] if isinstance(store, dict) for key in (store.get("credentials") or {}).values()
    }
    for key in sorted(set(values) - known - referenced):
        keys = ", ".join(sorted(to_camel(k) for k in StackSettings.model_fields))
        raise SettingsError(f"{where}: {NAMESPACE}:{key}: unknown key (known keys: {keys})")
    settings_values = {k: v for k, v in values.items() if k in known}
    try:
        settings = StackSettings.model_validate(settings_values)
        _files_exist(settings, root)
        _local_workspace_folder(settings, root, stack)
        _secret_credentials(settings, secrets)
    except ValidationError as err:
        first = err.errors()[0]
        path = _location(first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        shown = first["loc"][0] not in secrets if first["loc"] else True  # a secret's value never reaches the message
        if shown and message.startswith("Input should") and isinstance(first.get("input"), str | int | float | bool):
            message += f" (got {first['input']!r})"
        prefix = f"{NAMESPACE}:{path}: " if path else f"{NAMESPACE}:"
        raise SettingsError(f"{where}: {prefix}{message}") from None
    except ValueError as err:
        raise SettingsError(f"{where}: {NAMESPACE}:{err}") from None
    return settings


def secret(key: str) -> pulumi.Output[str]:
    """A secret config value named by a stack setting (for example a datastore key)."""
    return pulumi.Config(NAMESPACE).require_secret(key)
