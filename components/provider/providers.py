"""Dynamic providers: pure `check` and `diff`, and CRUD delegated to a backend.

The engine unpickles these classes in the provider process by reference to this
module, so the module holds no state beyond a per-process backend cache that is
filled on first use.
"""

from __future__ import annotations

import functools
import inspect
import json
import threading
from collections.abc import Mapping
from typing import Any, ClassVar

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from components.provider.backend import Backend, Outs, Props
from components.provider.failures import OPERATIONS, reported
from components.provider.host_threads import widen_serving_pool
from components.provider.messages import say
from components.provider.props import (
    MUTABLE_DEFINITION,
    UNKNOWN,
    azure_name,
    canonical,
    changed_paths,
    contains_unknown,
    definition_digest,
    digest,
    needs_replace,
    restore_integers,
    workspace_identity,
)


def open_backend(workspace: Props) -> Backend:
    """The backend for a resource's `workspace` property, imported on first use."""
    target = workspace.get("target")
    if target == "local":
        from components.provider.local.backend import LocalBackend

        return LocalBackend(workspace)
    if target == "azure":
        from components.provider.azure.backend import AzureBackend

        return AzureBackend(workspace)
    raise ValueError(f"unknown workspace target {target!r}")


def server_stopped(workspace: Props, endpoint: str, deployment: str | None = None) -> bool:
    """Whether the server this machine keeps for an endpoint (its router) or one of its deployments has stopped.

    For `diff`: files only, no network (see local/liveness.py). Only the local target keeps servers of its own.
    """
    if workspace.get("target") != "local":
        return False
    from components.provider.local.liveness import server_stopped as local_server_stopped

    return local_server_stopped(workspace, endpoint, deployment)


class _Backends:
    """One backend per workspace in this provider process, built once even when the engine's
    worker threads ask for it at the same moment (a second one would double the local pools)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._opened: dict[str, Backend] = {}

    def get(self, workspace_key: str) -> Backend:
        with self._lock:
            if workspace_key not in self._opened:
                self._opened[workspace_key] = open_backend(json.loads(workspace_key))
            return self._opened[workspace_key]


@functools.cache
def _backends() -> _Backends:
    # Made on first use, inside the provider process: importing this module creates no lock.
    return _Backends()


def backend(props: Props) -> Backend:
    """One backend per workspace and provider process, built on first use."""
    return _backends().get(canonical(props["workspace"]))


class AssetProvider(ResourceProvider):
    """Shared lifecycle: subclasses name their inputs, what forces replacement, and the backend calls."""

    inputs: ClassVar[frozenset[str]]
    required: ClassVar[tuple[str, ...]] = ("workspace", "name")
    # Paths (top-level or `definition.<key>`) that Azure ML cannot change in place.
    replace_on: ClassVar[tuple[str, ...]] = ("workspace", "name")
    # Inside `definition`, the keys that can change in place; all others replace.
    mutable_definition: ClassVar[frozenset[str]] = MUTABLE_DEFINITION

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Every operation of a provider fails message first (see failures.py), named after its resource kind."""
        super().__init_subclass__(**kwargs)
        kind = cls.__name__.removesuffix("Provider").lstrip("_")
        for operation in OPERATIONS:
            method = inspect.unwrap(getattr(cls, operation))
            setattr(cls, operation, reported(operation, kind)(method))

    def configure(self, _req: ConfigureRequest) -> None:
        """The host loads this provider: let it serve every waiting job at once (see host_threads.py)."""
        widen_serving_pool()

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = [CheckFailure(key, f"{key} is required") for key in self.required if news.get(key) in (None, "")]
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        old_inputs = {k: workspace_identity(v) if k == "workspace" else v for k, v in olds.items() if self.is_input(k)}
        new_inputs = {k: workspace_identity(v) if k == "workspace" else v for k, v in news.items() if self.is_input(k)}
        paths = changed_paths(old_inputs, new_inputs, nested={"definition"})
        replaces = [p for p in paths if self._replaces(p)]
        # Replacing an object by one of the same name and version must remove the old one first,
        # or the delete that follows the create would archive the new one.
        same_identity = all(olds.get(k) == news.get(k) for k in ("name", "version"))
        return DiffResult(changes=bool(paths), replaces=replaces, delete_before_replace=bool(replaces) and same_identity)

    @classmethod
    def is_input(cls, key: str) -> bool:
        return key in cls.inputs

    def _replaces(self, path: str) -> bool:
        if path.startswith("definition."):
            return path.removeprefix("definition.").split(".")[0] not in self.mutable_definition
        return needs_replace(path, self.replace_on)

    def create(self, props: dict[str, Any]) -> CreateResult:
        state = {**props, **self._create(restore_integers(props))}
        return CreateResult(self.identity(state), state)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult({**news, **self._update(restore_integers(olds), restore_integers(news))})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        outs = self._read(restore_integers(props))
        if outs is None:
            return ReadResult(None, {})
        return ReadResult(id_, {**props, **outs})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        self._delete(restore_integers(props))

    @staticmethod
    def identity(state: Outs) -> str:
        return f"{state['name']}:{state['version']}" if state.get("version") else str(state["name"])

    # The backend methods (see backend.py) that create, read and delete this kind of object.
    create_with: ClassVar[str]
    read_with: ClassVar[str]
    delete_with: ClassVar[str]

    def _create(self, props: Props) -> Outs:
        return getattr(backend(props), self.create_with)(props)

    def _update(self, olds: Props, news: Props) -> Outs:
        return self._create(news)

    def _read(self, props: Props) -> Outs | None:
        return getattr(backend(props), self.read_with)(props)

    def _delete(self, props: Props) -> None:
        getattr(backend(props), self.delete_with)(props)


class LocalWorkspaceProvider(AssetProvider):
    """The local target's workspace: a folder per stack with the MLflow store."""

    inputs = frozenset({"workspace", "name"})
    create_with, read_with, delete_with = "prepare_workspace", "read_workspace", "remove_workspace"


class _VersionedAssetProvider(AssetProvider):
    """Assets whose version is derived from their content: new content, new version, replaced."""

    inputs = frozenset({"workspace", "name", "version", "definition", "content_hash", "base_dir"})
    required = ("workspace", "name", "version", "definition")
    replace_on = ("workspace", "name", "version", "content_hash", "base_dir")

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        result = super().check(olds, news)
        if _pinned_version_changed(olds, news):
            reason = (
                f"version {news['version']} of {news['name']} is pinned in its YAML but its content changed; Azure ML versions "
                "are immutable: bump the version, or remove it to derive one from the content"
            )
            result.failures.append(CheckFailure("version", reason))
        return result


def _pinned_version_changed(olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    """On Azure, new content under a version that already exists can only fail (locally it is replaced)."""
    same_version = olds.get("version") == news.get("version") and olds.get("name") == news.get("name")
    changed = "content_hash" in olds and olds.get("content_hash") != news.get("content_hash")
    return same_version and changed and (news.get("workspace") or {}).get("target") == "azure"


class EnvironmentProvider(_VersionedAssetProvider):
    create_with, read_with, delete_with = "put_environment", "read_environment", "archive_environment"


class DataProvider(_VersionedAssetProvider):
    create_with, read_with, delete_with = "put_data", "read_data", "archive_data"


class ComponentProvider(_VersionedAssetProvider):
    create_with, read_with, delete_with = "put_component", "read_component", "archive_component"


class DatastoreProvider(AssetProvider):
    inputs = frozenset({"workspace", "name", "definition", "credentials"})
    required = ("workspace", "name", "definition")
    replace_on = ("workspace", "name", "definition.type")
    # A datastore's account, container and credentials are updated in place.
    mutable_definition = frozenset({"description", "tags", "account_name", "container_name", "endpoint", "protocol"})
    create_with, read_with, delete_with = "put_datastore", "read_datastore", "delete_datastore"


# Job properties that never change what runs, so they are left out of the job's name.
_JOB_RUN_OPTIONS = frozenset({"wait", "timeout_minutes", "on_delete", "key", "name", "name_prefix"})


# A pipeline's per-step content hashes are top-level properties `steps.<step>.<what>`, so that
# preview's short diff names the step and what changed (`~steps.train_job.code_hash`).
STEP_PREFIX = "steps."


class JobProvider(AssetProvider):
    """Command, sweep and pipeline jobs.

    The name is derived from what runs, so a create that runs again after an interrupted
    `pulumi up` adopts the job it submitted: never a duplicate training run. A failed job
    stays failed until what runs changes, or `rerun` is bumped to run it again as it is.
    """

    inputs = frozenset(
        {"workspace", "key", "name", "name_prefix", "definition", "code_hash", "input_hashes", "environment_hash", "base_dir"}
        | {"experiment", "rerun"}
        | {"wait", "timeout_minutes", "on_delete"}
    )
    required = ("workspace", "key", "name_prefix", "definition")
    replace_on = ("workspace", "name", "code_hash", "input_hashes", "environment_hash", "base_dir", "experiment", "rerun", "steps")

    @classmethod
    def is_input(cls, key: str) -> bool:
        return key in cls.inputs or key.startswith(STEP_PREFIX)

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        result = super().check(olds, news)
        if not result.failures:
            result.inputs = {**news, "name": self.job_name(news)}
        return result

    @staticmethod
    def job_name(props: Mapping[str, Any]) -> str:
        what_runs = {k: restore_integers(v) for k, v in props.items() if k not in _JOB_RUN_OPTIONS and k != "__provider"}
        what_runs["workspace"] = workspace_identity(what_runs.get("workspace"))
        if contains_unknown(what_runs):
            return UNKNOWN  # decided once upstream values are known
        definition = what_runs.get("definition", {})
        what_runs["definition"] = {k: v for k, v in definition.items() if k not in MUTABLE_DEFINITION}
        return azure_name(props["name_prefix"], props["key"], digest(what_runs, 10))

    def create(self, props: dict[str, Any]) -> CreateResult:
        props = {**props, "name": self.job_name(props)}
        return super().create(props)

    create_with, read_with = "submit_job", "read_job"

    def _update(self, olds: Props, news: Props) -> Outs:
        return backend(news).update_job(olds, news)

    def _delete(self, props: Props) -> None:
        backend(props).remove_job(props, props.get("on_delete", "archive"))


class ModelProvider(AssetProvider):
    """A model registered from a job output (for a sweep, its best trial's).

    A replacement registers the new version before the old one is archived, so the stack always
    has a model. That is safe because each version is its own: a backend adopts an existing
    version only when job, output, type and `definition_digest` all match and it is active (a
    re-run create after an interrupted `pulumi up`), so a replacement never adopts the version it
    replaces; and the local backend copies every version's files into a folder of their own.
    (A model file that pins `version` cannot be replaced under that version either way: a version
    never changes, and an archived one keeps its number. The Azure backend says so.)
    """

    inputs = frozenset({"workspace", "name", "job_name", "output", "type", "description", "definition"})
    required = ("workspace", "name", "job_name", "output")
    replace_on = ("workspace", "name", "job_name", "output", "type")

    create_with, read_with, delete_with = "register_model", "read_model", "archive_model"

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        result = super().diff(_id, olds, news)
        result.delete_before_replace = False  # create first, always: see the class docstring
        return result

    def _update(self, olds: Props, news: Props) -> Outs:
        # Only the description changes in place: the registered version stays.
        return backend(news).register_model({**news, "version": olds.get("version")})


class SharedModelProvider(AssetProvider):
    """A workspace's model version shared to a registry (Azure ML's model share), for other stacks to take `from`.

    Another workspace version (retraining) is shared again: a replacement, whose registry version is new. The
    replaced one stays in the registry, as a destroy leaves it there: other stacks may still serve it.
    """

    inputs = frozenset({"workspace", "registry", "name", "version"})
    required = ("workspace", "registry", "name", "version")
    replace_on = ("workspace", "registry", "name", "version")
    create_with, read_with, delete_with = "share_model", "read_shared_model", "keep_shared_model"

    @staticmethod
    def identity(state: Outs) -> str:
        return f"{state['registry']}/{state['name']}:{state['registry_version']}"


class RegistryModelProvider(AssetProvider):
    """A registry's model version that another stack shared, taken by this one without a job.

    A newer version promoted by the source stack updates it in place, and the deployments that serve it with it.
    """

    inputs = frozenset({"workspace", "registry", "name", "version"})
    required = ("workspace", "registry", "name", "version")
    replace_on = ("workspace",)
    create_with, read_with, delete_with = "resolve_registry_model", "read_registry_model", "forget_registry_model"

    def _replaces(self, path: str) -> bool:
        return needs_replace(path, self.replace_on)

    @staticmethod
    def identity(state: Outs) -> str:
        return f"{state['registry']}/{state['name']}"


class _ServedProvider(AssetProvider):
    """An endpoint or deployment: an unchanged one whose local server died is updated, which starts it again.

    `pulumi up` diffs every resource but reads none (unless `--refresh`), so the diff is where a dead server is
    noticed; it asks the server's files only (backend.server_stopped: no network), and a live one changes nothing.
    """

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        result = super().diff(_id, olds, news)
        if not result.changes and server_stopped(olds["workspace"], *self.served(olds)):
            kind = type(self).__name__.removesuffix("Provider").lower()
            say(f"{kind} {self.identity(olds)}: its server on this machine is not running; an update starts it again")
            result.changes = True
        return result

    @staticmethod
    def served(state: Props) -> tuple[str, str | None]:
        """The endpoint, and the deployment (None for the endpoint itself)."""
        raise NotImplementedError


class EndpointProvider(_ServedProvider):
    """An online endpoint. Its keys are made once, by the backend, and kept by updates (a new description, say)."""

    inputs = frozenset({"workspace", "name", "definition"})
    required = ("workspace", "name", "definition")
    # Besides description, tags and display name, every field (auth_mode) makes another endpoint.
    create_with, read_with, delete_with = "put_endpoint", "read_endpoint", "delete_endpoint"
    keys: ClassVar[tuple[str, ...]] = ("primary_key", "secondary_key")

    def _update(self, olds: Props, news: Props) -> Outs:
        return backend(news).put_endpoint({**news, **{key: olds[key] for key in self.keys if olds.get(key)}})

    @staticmethod
    def served(state: Props) -> tuple[str, str | None]:
        return state["name"], None

    @staticmethod
    def incarnation(definition: Mapping[str, Any]) -> str:
        """Which endpoint this is: the fields a change of which makes another endpoint (all but the mutable ones).

        On Azure ML an endpoint's deployments and traffic go with it, so they carry this and are made again with it.
        """
        return definition_digest(definition)


class DeploymentProvider(_ServedProvider):
    """A deployment behind an endpoint. As on Azure ML, a new model or definition updates it in place."""

    inputs = frozenset({"workspace", "endpoint_name", "name", "model", "definition", "base_dir", "code_hash", "endpoint_incarnation"})
    required = ("workspace", "endpoint_name", "name", "model")
    replace_on = ("workspace", "endpoint_name", "name", "endpoint_incarnation")
    create_with, read_with, delete_with = "put_deployment", "read_deployment", "delete_deployment"

    def _replaces(self, path: str) -> bool:
        return needs_replace(path, self.replace_on)

    @staticmethod
    def identity(state: Outs) -> str:
        return f"{state['endpoint_name']}/{state['name']}"

    @staticmethod
    def served(state: Props) -> tuple[str, str | None]:
        return state["endpoint_name"], state["name"]


class TrafficProvider(AssetProvider):
    """How an endpoint shares its requests between its deployments (`name` is the endpoint's); set after them."""

    inputs = frozenset({"workspace", "name", "traffic", "mirror_traffic", "endpoint_incarnation"})
    replace_on = ("workspace", "name", "endpoint_incarnation")
    create_with, read_with, delete_with = "put_traffic", "read_traffic", "delete_traffic"


class ScheduleProvider(AssetProvider):
    """A job schedule. Azure ML updates a schedule in place, so only a new name (or workspace) makes another.

    `job` is the content of the job it runs (its YAML, code, inputs and environment, as a job's name covers them),
    so editing the job's code updates the schedule, and preview says so (`[diff: ~job]`).
    """

    inputs = frozenset({"workspace", "name", "definition", "base_dir", "job"})
    required = ("workspace", "name", "definition")
    create_with, read_with, delete_with = "put_schedule", "read_schedule", "delete_schedule"

    def _replaces(self, path: str) -> bool:
        return needs_replace(path, self.replace_on)
