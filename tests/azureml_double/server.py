"""A loopback Azure ML workspace double for the real ``azure-ai-ml`` SDK (test harness only).

The double is an HTTP server on 127.0.0.1 that answers what ``azure-ai-ml`` 1.35.x calls for one
workspace: the ARM control plane (workspace, datastores, environments, codes, data, models, jobs),
workspace discovery and run history on the regional ``<region>.api.azureml.ms`` host, and the Entra ID
token endpoints used by ``ClientSecretCredential``.  The SDK reaches it through the transport hook in
``tests/azureml_double/inject`` (see ``harness.py``); blob traffic goes to Azurite, never here.

State is in memory. A test controls it through :class:`AzureMLDouble`:

* ``requests`` / :meth:`AzureMLDouble.find` - the request log;
* :meth:`AzureMLDouble.tick`, :meth:`script_job`, :meth:`script_next_job`, :meth:`fail_job`,
  :meth:`complete_job` - the job clock (``Queued -> Running -> Completed|Failed``);
* :meth:`inject_fault`, ``latency`` - fault injection (status codes with ``Retry-After``, connection
  resets, delays) for the next N requests matching a method/path regex.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import re
import socket
import struct
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import yaml

from tests.azureml_double import api_versions, components, pipelines, shapes, validation
from tests.azureml_double.errors import HttpError, bad_argument, not_found
from tests.azureml_double.jobs import OUTCOMES, STALLED_STATUSES, JobRecord, JobScript, phases
from tests.azureml_double.online import OnlineServices
from tests.azureml_double.registries import DISCOVERY as _REGISTRY_DISCOVERY
from tests.azureml_double.registries import OPERATION as _REGISTRY_OPERATION
from tests.azureml_double.registries import REGISTRY as _REGISTRY
from tests.azureml_double.registries import Registries
from tests.azureml_double.schedules import OPERATION_PREFIX as SCHEDULE_OPERATION_PREFIX
from tests.azureml_double.schedules import Schedules

AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

UPSTREAM_HEADER = "x-azureml-double-upstream"
ARM_HOST = "https://management.azure.com"
PROVIDER = "Microsoft.MachineLearningServices"

ASSET_KINDS = ("environments", "codes", "data", "models", "components")

_WS_RE = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/"
    r"Microsoft\.MachineLearningServices/workspaces/(?P<ws>[^/]+)(?P<rest>/.*)?$",
    re.IGNORECASE,
)
_DATAPLANE_RE = re.compile(
    r"^/(?P<plane>data|modelregistry)/v1\.0/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/"
    r"Microsoft\.MachineLearningServices/workspaces/(?P<ws>[^/]+)(?P<rest>/.*)$",
    re.IGNORECASE,
)
_OPERATION_RE = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/providers/Microsoft\.MachineLearningServices/locations/(?P<location>[^/]+)"
    r"/(?P<kind>mfeOperationResults|mfeOperationsStatus)/(?P<operation>[^/]+)$",
    re.IGNORECASE,
)
# Online endpoints' and deployments' operations (online.py); a job's cancel is `jc:<workspace id>:<job>`.
_ONLINE_OPERATION = re.compile(r"^o[ed]idp:", re.IGNORECASE)
_HISTORY_RE = re.compile(
    r"^/history/v1\.0/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/"
    r"Microsoft\.MachineLearningServices/workspaces/(?P<ws>[^/]+)(?:/experiments/[^/]+|/experimentids/[^/]+)?"
    r"(?P<rest>/.*)$",
    re.IGNORECASE,
)


_LONG_FORM_RESOURCE_GROUP = re.compile(r"^(azureml://subscriptions/[^/]+/)resourcegroups/", re.IGNORECASE)


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(dt: datetime | None = None) -> str:
    return (dt or _now()).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _not_found(what: str) -> HttpError:
    return not_found(f"{what} could not be found.")


# --------------------------------------------------------------------------------------------------
# Request log and fault injection
# --------------------------------------------------------------------------------------------------


@dataclass
class RecordedRequest:
    """One request as the double saw it (after the harness rewrote its host)."""

    method: str
    path: str  # normalized path (regional prefixes stripped), no query
    query: dict[str, str]
    body: Any  # parsed JSON, raw bytes, or None
    time: float
    host: str  # original scheme://host (from the routing header) or "" if sent directly
    raw_path: str
    headers: dict[str, str]
    status: int | None = None
    fault: str | None = None  # description of the injected fault, if any

    @property
    def api_version(self) -> str | None:
        return self.query.get("api-version")

    def __repr__(self) -> str:  # compact, readable in assertion messages
        extra = f" fault={self.fault}" if self.fault else ""
        return f"<{self.method} {self.path} -> {self.status}{extra}>"


@dataclass
class Fault:
    """Answer the next ``times`` requests matching ``method``/``path`` (regexes, searched) with a fault."""

    method: str = ".*"
    path: str = ".*"
    times: int = 1
    status: int = 503
    retry_after: float | None = None  # seconds -> Retry-After header
    retry_after_ms: int | None = None  # -> retry-after-ms header
    reset: bool = False  # abort the TCP connection (RST) instead of answering
    delay: float = 0.0  # sleep before answering (or before the normal answer when status is None)
    body: Any = None
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (
            self.times > 0
            and re.search(self.method, method, re.IGNORECASE) is not None
            and re.search(self.path, path, re.IGNORECASE) is not None
        )

    def describe(self) -> str:
        if self.reset:
            return "reset"
        if self.status is None:
            return f"delay {self.delay}s"
        return str(self.status)


# --------------------------------------------------------------------------------------------------
# The double
# --------------------------------------------------------------------------------------------------


class AzureMLDouble:
    """In-memory Azure ML workspace + HTTP server. Use :meth:`start` / :meth:`stop` (or ``with``)."""

    def __init__(
        self,
        *,
        subscription_id: str = "00000000-0000-4000-8000-000000000001",
        resource_group: str = "rg-double",
        workspace: str = "ws-double",
        location: str = "eastus",
        blob_endpoint: str | None = None,
        storage_account: str = AZURITE_ACCOUNT,
        storage_key: str = AZURITE_KEY,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.subscription_id = subscription_id
        self.resource_group = resource_group
        self.workspace = workspace
        self.location = location
        self.blob_endpoint = blob_endpoint.rstrip("/") if blob_endpoint else None  # http://127.0.0.1:N
        self.storage_account = storage_account
        self.storage_key = storage_key
        self.workspace_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{subscription_id}/{resource_group}/{workspace}"))
        self.tenant_id = "72f988bf-0000-4000-8000-00000000d0b1"
        self._bind = (host, port)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.lock = threading.RLock()
        self._current_path = ""
        self._blob_client = None
        self.reset()

    # ----------------------------------------------------------------------------------- lifecycle
    def start(self) -> AzureMLDouble:
        if self._server is not None:
            return self
        handler = type("Handler", (_Handler,), {"double": self})
        server = ThreadingHTTPServer(self._bind, handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="azureml-double", daemon=True)
        self._thread.start()
        self._ensure_default_containers()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server = None
        if self._thread:
            self._thread.join(5)

    def __enter__(self) -> AzureMLDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "double not started"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset(self) -> None:
        """Forget all state (assets, jobs, log, faults, scripts); keep workspace identity and server."""
        with self.lock:
            self.requests: list[RecordedRequest] = []
            self.faults: list[Fault] = []
            self.latency: float = 0.0  # seconds added to every answer
            self.page_size: int = 100  # list pages longer than this get a nextLink
            self.auto_tick: bool = False  # each read of a job (ARM GET / run details), endpoint or deployment advances it one tick
            self.require_token: bool = True  # reject control-plane calls without a token the double issued
            self.sweep_trials: int = 3  # trials a sweep job spawns (capped by limits.maxTotalTrials)
            self.default_script = JobScript()  # how jobs without a specific script behave
            self._next_scripts: list[JobScript] = []
            self._named_scripts: dict[str, JobScript] = {}
            self.assets: dict[str, dict[str, dict]] = {k: {} for k in ASSET_KINDS}  # kind -> name -> container
            self.versions: dict[str, dict[str, dict[str, dict]]] = {k: {} for k in ASSET_KINDS}
            self.pending_uploads: list[dict] = []
            self.jobs: dict[str, JobRecord] = {}
            self.datastores: dict[str, dict] = {}
            self.datastore_secrets: dict[str, dict] = {}
            self.computes: dict[str, dict] = {}  # add_compute(name): the service knows no compute a test did not make
            self.cancel_polls: int = 2  # 202 answers of a cancel operation before it reports done
            self.anonymous_components: dict[str, str] = {}  # normalised spec -> version id the service gave it
            self.online = OnlineServices(self)  # online endpoints, deployments and their operations
            self.schedules = Schedules(self)  # job schedules and their operations
            self.registries = Registries(self)  # registries a test made (add_registry) and the models shared to them
            self._current_raw = ""
            self._current_api_version: str | None = None
            self.tokens: set[str] = getattr(self, "tokens", set())  # issued tokens stay valid across resets
            self._seed_datastores()
        if self._server is not None:
            self._ensure_default_containers()

    # ----------------------------------------------------------------------------------- ids
    @property
    def workspace_arm_id(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}/providers/{PROVIDER}/workspaces/{self.workspace}"
        )

    @property
    def regional_host(self) -> str:
        return f"https://{self.location}.api.azureml.ms"

    @property
    def blob_container(self) -> str:
        return f"azureml-blobstore-{self.workspace_id}"

    @property
    def artifact_container(self) -> str:
        return "azureml"

    def _id(self, *segments: str) -> str:
        return self.workspace_arm_id + "".join(f"/{s}" for s in segments)

    def _system_data(self, created: str | None = None) -> dict:
        now = _iso()
        return {
            "createdAt": created or now,
            "createdBy": "double@example.com",
            "createdByType": "User",
            "lastModifiedAt": now,
            "lastModifiedBy": "double@example.com",
            "lastModifiedByType": "User",
        }

    # ----------------------------------------------------------------------------------- test API
    def find(self, method: str | None = None, path: str | None = None, status: int | None = None) -> list:
        """Requests whose method equals ``method`` and whose path matches the regex ``path`` (searched)."""
        with self.lock:
            out = list(self.requests)
        return [
            r
            for r in out
            if (method is None or r.method.upper() == method.upper())
            and (path is None or re.search(path, r.path, re.IGNORECASE))
            and (status is None or r.status == status)
        ]

    def clear_requests(self) -> None:
        with self.lock:
            self.requests.clear()

    def inject_fault(
        self,
        method: str = ".*",
        path: str = ".*",
        *,
        status: int | None = 503,
        times: int = 1,
        retry_after: float | None = None,
        retry_after_ms: int | None = None,
        reset: bool = False,
        delay: float = 0.0,
        body: Any = None,
    ) -> Fault:
        """Make the next ``times`` matching requests fail (``status``), hang (``delay``) or reset.

        ``status=None`` with ``delay`` only slows the matching requests down and then answers normally.
        """
        fault = Fault(
            method=method,
            path=path,
            times=times,
            status=status,
            retry_after=retry_after,
            retry_after_ms=retry_after_ms,
            reset=reset,
            delay=delay,
            body=body,
        )
        with self.lock:
            self.faults.append(fault)
        return fault

    def script_job(self, name: str, **kwargs: Any) -> JobScript:
        """Set how the job ``name`` behaves (before or after it is submitted). See :class:`JobScript`."""
        script = JobScript(**kwargs)
        with self.lock:
            self._named_scripts[name] = script
            if name in self.jobs:
                self.jobs[name].script = script
        return script

    def script_next_job(self, **kwargs: Any) -> JobScript:
        """Queue a script for the next submitted job (matching ``match`` if given). FIFO."""
        script = JobScript(**kwargs)
        with self.lock:
            self._next_scripts.append(script)
        return script

    def tick(self, n: int = 1, name: str | None = None) -> None:
        """Advance the clock ``n`` ticks for every top-level job (or only ``name``); children move with their parent."""
        for _ in range(n):
            with self.lock:
                names = [name] if name else [j.name for j in self.jobs.values() if j.parent is None]
                for job_name in names:
                    self._tick_job(self._job(job_name))
                if name is None:
                    self.online.tick()
                    self.schedules.tick()

    def run_to_completion(self, name: str, max_ticks: int = 100) -> str:
        """Tick until the job ``name`` has ended (or stalled: Paused, NotResponding); return its status."""
        for _ in range(max_ticks):
            with self.lock:
                if self._job(name).idle:
                    return self._job(name).status
            self.tick(name=name)
        raise AssertionError(f"job {name} not terminal after {max_ticks} ticks")

    def complete_job(self, name: str) -> None:
        with self.lock:
            self._job(name).script.outcome = "Completed"
        self.run_to_completion(name)

    def fail_job(self, name: str, message: str = "Execution failed.", *, log: str | None = None, code: str = "UserError") -> None:
        """Fail the job ``name`` now with an error message and (optionally) a user log."""
        with self.lock:
            job = self._job(name)
            job.script.outcome = "Failed"
            job.script.error_message = message
            job.script.error_code = code
            if log is not None:
                job.script.log = log
            if job.started is None:
                self._set_status(job, "Running")
            self._finish(job, "Failed")

    def add_compute(self, name: str, *, vm_size: str = "STANDARD_DS3_V2", max_nodes: int = 4) -> dict:
        """Make the compute cluster ``name`` exist: the service refuses jobs on computes it does not know."""
        with self.lock:
            self.computes[name] = self._compute_resource(name, vm_size, max_nodes)
            return self.computes[name]

    def add_environment(self, name: str, version: str = "1", image: str = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04") -> dict:
        """Make the environment ``name:version`` exist, as registered before the test (jobs naming a missing one are refused)."""
        with self.lock:
            return self._put_version("environments", name, version, {"properties": {"image": image}})[1]

    def add_registry(self, name: str, location: str = "westeurope") -> None:
        """A registry the service has (as one the stack's infrastructure, or another team, made)."""
        self.registries.add(name, location)

    def add_model(self, name: str, version: str = "1", model_type: str = "mlflow_model") -> dict:
        """Make the model ``name:version`` exist, as registered before the test (a deployment naming a missing one is refused)."""
        uri = f"azureml://datastores/workspaceblobstore/paths/models/{name}/{version}/"
        with self.lock:
            return self._put_version("models", name, version, {"properties": {"modelType": model_type, "modelUri": uri}})[1]

    def pipeline_steps(self, name: str) -> dict[str, JobRecord]:
        """The child runs of the pipeline job ``name``, by step name (empty until the pipeline runs)."""
        with self.lock:
            return pipelines.steps(self, self._job(name))

    def component_spec(self, component_id: str | None) -> dict | None:
        """The stored componentSpec of an ARM component version id (anonymous or named), or None."""
        match = re.search(r"/components/([^/]+)/versions/([^/?]+)$", component_id or "")
        if not match:
            return None
        version = self.versions["components"].get(match.group(1), {}).get(match.group(2))
        return None if version is None else version["properties"]["componentSpec"]

    def job_status(self, name: str) -> str:
        with self.lock:
            return self._job(name).status

    def job(self, name: str) -> JobRecord:
        with self.lock:
            return self._job(name)

    def subprocess_env(self, base: dict | None = None) -> dict[str, str]:
        """Environment for a child process (e.g. ``pulumi up``) whose Azure SDK calls must reach this double."""
        from .harness import subprocess_env

        return subprocess_env(self.url, self.blob_endpoint, base)

    def set_datastore_secret(self, name: str, secrets: dict) -> None:
        with self.lock:
            self.datastore_secrets[name] = secrets

    def set_datastore_credentials_type(self, name: str, credentials_type: str) -> None:
        """Make a store the double has use another kind of credentials (``None``: identity-based, no secrets, as
        in a workspace with identity-based storage access); its secrets stay only for the kind they are."""
        with self.lock:
            self.datastores[name]["properties"]["credentials"] = {"credentialsType": credentials_type}
            secrets = self.datastore_secrets.get(name) or {}
            if secrets.get("secretsType") != credentials_type:
                self.datastore_secrets.pop(name, None)

    # ----------------------------------------------------------------------------------- seeds
    def _seed_datastores(self) -> None:
        def blob(name: str, container: str, default: bool = False) -> None:
            self.datastores[name] = {
                "id": self._id("datastores", name),
                "name": name,
                "type": f"{PROVIDER}/workspaces/datastores",
                "properties": {
                    "datastoreType": "AzureBlob",
                    "accountName": self.storage_account,
                    "containerName": container,
                    "endpoint": "core.windows.net",
                    "protocol": "https",
                    "credentials": {"credentialsType": "AccountKey"},
                    "isDefault": default,
                    "serviceDataAccessAuthIdentity": "WorkspaceSystemAssignedIdentity",
                    "description": None,
                    "tags": None,
                    "properties": None,
                },
                # Recorded: the workspace made its own stores (an application; no createdBy).
                "systemData": {
                    "createdAt": _iso(),
                    "lastModifiedAt": _iso(),
                    "lastModifiedBy": "workspace",
                    "lastModifiedByType": "Application",
                },
            }
            self.datastore_secrets[name] = {"secretsType": "AccountKey", "key": self.storage_key}

        blob("workspaceblobstore", self.blob_container, default=True)
        blob("workspaceartifactstore", self.artifact_container)

    def _ensure_default_containers(self) -> None:
        for container in (self.blob_container, self.artifact_container):
            self._blob_create_container(container)

    # ----------------------------------------------------------------------------------- Azurite I/O
    def _blob_url(self, container: str, blob: str = "") -> str:
        path = f"/{self.storage_account}/{container}" + (f"/{quote(blob)}" if blob else "")
        return f"{self.blob_endpoint}{path}"

    def _blob_service(self):
        """azure-storage-blob client for the double's own writes to Azurite (logs, job outputs)."""
        if self._blob_client is None:
            from azure.storage.blob import BlobServiceClient

            self._blob_client = BlobServiceClient(
                f"{self.blob_endpoint}/{self.storage_account}",
                credential={"account_name": self.storage_account, "account_key": self.storage_key},
                retry_total=2,
            )
        return self._blob_client

    def _blob_create_container(self, container: str) -> None:
        if not self.blob_endpoint or not container:
            return
        from azure.core.exceptions import ResourceExistsError

        with contextlib.suppress(ResourceExistsError):
            self._blob_service().create_container(container)

    def _blob_put(self, container: str, blob: str, data: bytes) -> None:
        if not self.blob_endpoint:
            return
        self._blob_service().get_blob_client(container, blob).upload_blob(data, overwrite=True)

    def _account_sas(self, datastore: str, secrets: dict, hours: float) -> str:
        """An account SAS (``srt=co&ss=bf&sp=rcuwdl``, as recorded) signed with the key the datastore holds."""
        if secrets.get("secretsType") == "Sas":
            return secrets.get("sasToken") or ""
        from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

        account = self.datastores[datastore]["properties"].get("accountName") or self.storage_account
        permission = AccountSasPermissions(read=True, create=True, update=True, write=True, delete=True, list=True)
        try:
            token = generate_account_sas(
                account, secrets.get("key") or "", ResourceTypes(container=True, object=True), permission, _now() + timedelta(hours=hours)
            )
        except (ValueError, TypeError):  # a key that is not base64 (a test's fake secret) signs nothing
            token = f"sv=2021-08-06&ss=b&srt=co&sp=rcuwdl&se=2099-01-01&sig={uuid.uuid4().hex}"
        return f"?{token}"

    def _sas(self, container: str, blob: str | None = None, permissions: str = "r", hours: int = 2) -> str:
        from azure.storage.blob import generate_blob_sas, generate_container_sas

        expiry = _now() + timedelta(hours=hours)
        if blob is None:
            return generate_container_sas(
                self.storage_account, container, account_key=self.storage_key, permission=permissions, expiry=expiry
            )
        return generate_blob_sas(self.storage_account, container, blob, account_key=self.storage_key, permission=permissions, expiry=expiry)

    # ----------------------------------------------------------------------------------- job clock
    def _job(self, name: str) -> JobRecord:
        try:
            return self.jobs[name]
        except KeyError:
            raise _not_found(f"Job {name}") from None

    def _pick_script(self, name: str, resource: dict) -> JobScript:
        if name in self._named_scripts:
            return self._named_scripts[name]
        props = resource.get("properties", {})
        haystack = [name, props.get("displayName") or "", props.get("experimentName") or ""]
        for i, script in enumerate(self._next_scripts):
            if script.match is None or any(re.search(script.match, h) for h in haystack):
                return self._next_scripts.pop(i)
        return copy.deepcopy(self.default_script)

    def _set_status(self, job: JobRecord, status: str) -> None:
        job.status = status
        job.ticks = 0
        if status == "Running" and job.started is None:
            job.started = _now()
            self._write_logs(job)
            if job.job_type.lower() == "sweep" and not job.children:
                self._spawn_trials(job)
            if job.job_type.lower() == "pipeline" and not job.children:
                pipelines.spawn_steps(self, job)

    def _tick_job(self, job: JobRecord) -> None:
        if job.idle:
            return
        if job.status == "CancelRequested":
            self._finish(job, "Canceled")
            return
        if job.job_type.lower() == "pipeline" and job.status == "Running":
            pipelines.tick(self, job)
            return
        job.ticks += 1
        if job.ticks < job.script.ticks_in(job.status):
            return
        following = job.next_status()
        if following in OUTCOMES:
            self._finish(job, following)
        else:
            self._set_status(job, following)

    def _finish(self, job: JobRecord, status: str) -> None:
        if status in STALLED_STATUSES:
            job.status = status
            return
        for child in job.children:
            child_job = self.jobs[child]
            if not child_job.terminal:
                done = status == "Completed" and job.job_type.lower() == "sweep"
                self._finish(child_job, "Completed" if done else "Canceled")
        job.status = status
        job.ended = _now()
        if status == "Failed":
            job.error = {
                "error": {"code": job.script.error_code, "message": job.script.error_message, "severity": 0},
                "time": _iso(),
                "componentName": "CommonRuntime",
            }
        if job.job_type.lower() == "sweep" and status == "Completed":
            self._pick_best_child(job)
        if job.job_type.lower() == "pipeline":
            pipelines.bind_outputs(self, job)
            stages = {"Initialization": None, "Execution": {"StartTime": _iso(job.started), "EndTime": _iso(job.ended), "Status": status}}
            job.resource["properties"]["properties"]["azureml.pipelines.stages"] = json.dumps(stages)
        if status == "Completed":
            self._materialize_outputs(job)
        self._write_logs(job)

    def _default_log(self, job: JobRecord) -> str:
        lines = [f"[double] job {job.name} ({job.job_type}) started", f"[double] status: {job.status}"]
        if job.status == "Failed":
            lines.append(f"Traceback (most recent call last):\n{job.script.error_message}")
        elif job.terminal:
            lines.append("The activity completed successfully. Finalizing run...")
        return "\n".join(lines) + "\n"

    def _write_logs(self, job: JobRecord) -> None:
        if job.script.log is None:
            text = self._default_log(job)
        elif job.terminal:
            text = job.script.log
        else:  # while running, the first line of the scripted log
            text = job.script.log.splitlines(keepends=True)[0] if job.script.log else ""
        blob = f"ExperimentRun/dcid.{job.name}/user_logs/std_log.txt"
        if self.blob_endpoint:
            self._blob_put(self.artifact_container, blob, text.encode())
            url = f"{self._blob_url(self.artifact_container, blob)}?{self._sas(self.artifact_container, blob)}"
        else:
            url = f"{self.regional_host}/double/logs/{job.name}/user_logs/std_log.txt"
        job.log_urls = {"user_logs/std_log.txt": url}

    def _output_uri(self, job: JobRecord, output_name: str) -> str:
        return f"azureml://datastores/workspaceblobstore/paths/azureml/{job.name}/{output_name}/"

    def _fill_outputs(self, job: JobRecord) -> None:
        outputs = job.resource["properties"].get("outputs") or {}
        for output_name, output in outputs.items():
            if output is not None and not output.get("uri"):
                output["uri"] = self._output_uri(job, output_name)

    def _materialize_outputs(self, job: JobRecord) -> None:
        """Write each output of a completed job to Azurite so that it exists (and can be downloaded)."""
        outputs = job.resource["properties"].get("outputs") or {}
        for output_name, output in outputs.items():
            if not output:
                continue
            files = (job.script.output_files or {}).get(output_name)
            if files is None:
                if output.get("jobOutputType") == "mlflow_model":
                    files = {"MLmodel": f"artifact_path: {output_name}\nflavors: {{}}\nrun_id: {job.name}\n"}
                else:
                    files = {"_double_output.txt": f"output {output_name} of job {job.name}\n"}
            match = re.match(r"azureml://datastores/([^/]+)/paths/(.*)$", output.get("uri") or "")
            if not match or match.group(1) not in self.datastores:
                continue
            container = self.datastores[match.group(1)]["properties"].get("containerName")
            prefix = match.group(2).rstrip("/")
            for rel, data in files.items():
                self._blob_put(container, f"{prefix}/{rel}", data.encode() if isinstance(data, str) else data)

    # sweep --------------------------------------------------------------------------------------
    def _spawn_trials(self, job: JobRecord) -> None:
        props = job.resource["properties"]
        limits = props.get("limits") or {}
        count = self.sweep_trials
        if limits.get("maxTotalTrials"):
            count = min(count, int(limits["maxTotalTrials"]))
        trial = props.get("trial") or {}
        space = props.get("searchSpace") or {}
        for i in range(count):
            params = {k: _sample(v, i) for k, v in space.items()}
            command = trial.get("command", "")
            for k, v in params.items():
                command = re.sub(r"\$\{\{\s*search_space\." + re.escape(k) + r"\s*\}\}", str(v), command)
            child_name = f"{job.name}_{i}"
            outputs = copy.deepcopy(props.get("outputs") or {})
            child_resource = {
                "id": self._id("jobs", child_name),
                "name": child_name,
                "type": f"{PROVIDER}/workspaces/jobs",
                "properties": {
                    "jobType": "Command",
                    "displayName": child_name,
                    "experimentName": props.get("experimentName"),
                    "command": command,
                    "codeId": trial.get("codeId"),
                    "environmentId": trial.get("environmentId"),
                    "environmentVariables": trial.get("environmentVariables") or {},
                    "computeId": props.get("computeId"),
                    "inputs": copy.deepcopy(props.get("inputs") or {}),
                    "outputs": outputs,
                    "properties": {"azureml.parentrunid": job.name, **{f"_aml_system_{k}": str(v) for k, v in params.items()}},
                    "tags": {"hyperparameters": json.dumps(params)},
                    "isArchived": False,
                    "services": {},
                    "resources": trial.get("resources") or {"instanceCount": 1},
                    "distribution": trial.get("distribution"),
                },
                "systemData": self._system_data(),
            }
            metrics = job.script.metrics or []
            child = JobRecord(
                name=child_name,
                resource=child_resource,
                script=JobScript(),
                status="Running",
                parent=job.name,
                parameters=params,
                metric=metrics[i] if i < len(metrics) else round(0.5 + 0.1 * ((i * 7) % 5), 3),
            )
            child.started = _now()
            self._fill_outputs(child)
            self.jobs[child_name] = child
            job.children.append(child_name)

    def _pick_best_child(self, job: JobRecord) -> None:
        objective = job.resource["properties"].get("objective") or {}
        goal = (objective.get("goal") or "maximize").lower()
        children = [self.jobs[c] for c in job.children if self.jobs[c].status == "Completed"]
        if not children:
            return
        best = (max if goal == "maximize" else min)(children, key=lambda c: c.metric)
        props = job.resource["properties"].setdefault("properties", {})
        props["best_child_run_id"] = best.name
        props["score"] = str(best.metric)
        props["best_metric_status"] = "Succeeded"
        props["primary_metric_config"] = json.dumps({"name": objective.get("primaryMetric"), "goal": objective.get("goal")})

    # ----------------------------------------------------------------------------------- views
    def job_view(self, job: JobRecord) -> dict:
        """The job as the service answers it at the request's api-version."""
        resource = shapes.job(job.resource, self._current_api_version)
        resource["properties"]["status"] = job.status
        return resource

    def _datastore_view(self, resource: dict) -> dict:
        own = resource["name"] in ("workspaceblobstore", "workspaceartifactstore", "workspacefilestore", "workspaceworkingdirectory")
        return shapes.datastore(resource, self.subscription_id if own else None, self.resource_group if own else None)

    def run_view(self, job: JobRecord, details: bool = False) -> dict:
        props = job.resource["properties"]
        run: dict[str, Any] = {
            "runId": job.name,
            "runUuid": str(uuid.uuid5(uuid.NAMESPACE_OID, job.name)),
            "parentRunId": job.parent,
            "rootRunId": job.parent or job.name,
            "status": job.status,
            "target": (props.get("computeId") or "").rsplit("/", 1)[-1] or None,
            "createdUtc": _iso(job.created),
            "startTimeUtc": _iso(job.started) if job.started else None,
            "endTimeUtc": _iso(job.ended) if job.ended else None,
            "error": job.error,
            "warnings": [],
            "tags": props.get("tags") or {},
            "properties": {k: str(v) for k, v in (props.get("properties") or {}).items()},
            "parameters": job.parameters,
            "displayName": props.get("displayName"),
            "description": props.get("description"),
            "experimentId": props.get("experimentName"),
            "runType": self._run_type(job),
            "hidden": job.hidden,
            "services": {},
            "logFiles": dict(job.log_urls) if details else None,
        }
        if details:
            run["createdTimeUtc"] = run.pop("createdUtc")
        if job.metric is not None:
            run["properties"]["double.primary_metric"] = str(job.metric)
        run = {k: v for k, v in run.items() if v is not None}
        if details:
            return run
        cancel = f"{self.regional_host}/studioservice/apiv2{self.workspace_arm_id}/runs/{job.name}/Cancel"
        run.update(dataContainerId=f"dcid.{job.name}", cancelUri=cancel, actionUris={"Cancel": cancel, "Diagnose": ""})
        if job.step is not None:
            run.update(pipelines.step_run(self, job))
        return shapes.run(run)

    @staticmethod
    def _run_type(job: JobRecord) -> str:
        """Run history's run type (recorded: a pipeline's steps are azureml.StepRun runs)."""
        if job.step is not None:
            return "azureml.StepRun"
        return {"sweep": "azureml.hyperdrive", "pipeline": "azureml.PipelineRun"}.get(job.job_type.lower(), "azureml.scriptrun")

    # ----------------------------------------------------------------------------------- dispatch
    def handle(self, method: str, path: str, query: dict[str, str], body: Any, upstream: str) -> tuple:
        """Return ``(status, body, headers)``; raise HttpError for error answers."""
        login = re.match(r"^/(?P<tenant>[^/]+)/(?:v2\.0/)?\.well-known/openid-configuration$", path)
        if login:
            return 200, self._openid(login.group("tenant"), upstream), {}
        if re.match(r"^/common/discovery/instance$", path):
            return 200, self._instance_discovery(upstream), {}
        token = re.match(r"^/(?P<tenant>[^/]+)/oauth2/(?:v2\.0/)?token$", path)
        if token and method == "POST":
            return 200, self._issue_token((body or {}).get("scope") if isinstance(body, dict) else None), {}
        if path.rstrip("/") == "/discovery":
            return 200, self._discovery(), {}
        registry_discovery = _REGISTRY_DISCOVERY.match(path)
        if registry_discovery and method == "GET":
            return self.registries.discovery(registry_discovery["name"])
        registry_operation = _REGISTRY_OPERATION.match(path)
        if registry_operation and method == "GET":
            return self.registries.operation(registry_operation)
        registry = _REGISTRY.match(path)
        if registry:
            return self.registries.route(method, registry, query, body)
        if path.startswith("/double/logs/"):
            _, _, _, name, *_ = path.split("/")
            job = self._job(name)
            return 200, (job.script.log or self._default_log(job)).encode(), {"Content-Type": "text/plain"}
        history = _HISTORY_RE.match(path)
        if history:
            self._check_workspace(history)
            return self._history(method, history.group("rest"), query, body)
        dataplane = _DATAPLANE_RE.match(path)
        if dataplane:
            self._check_workspace(dataplane)
            return self._dataplane(method, dataplane.group("plane"), dataplane.group("rest"), body)
        operation = _OPERATION_RE.match(path)
        if operation and method == "GET":
            kind, operation_id = operation.group("kind"), operation.group("operation")
            api_versions.check(kind, query.get("api-version"), f"{PROVIDER}/locations/{kind}")
            if operation_id.startswith(SCHEDULE_OPERATION_PREFIX):
                if kind == "mfeOperationsStatus":
                    return self.schedules.operation_status(operation_id)
                return self.schedules.operation_result(operation_id, query.get("api-version"))
            if _ONLINE_OPERATION.match(operation_id):
                serve = self.online.operation_status if kind == "mfeOperationsStatus" else self.online.operation_result
                return serve(operation_id, query.get("api-version"))
            if kind == "mfeOperationsStatus":
                raise not_found(f"Operation {operation_id} could not be found.")
            return self._operation_result(operation_id, query)
        ws = _WS_RE.match(path)
        if ws:
            self._check_workspace(ws)
            rest = ws.group("rest") or ""
            kind = next((p for p in rest.split("/") if p), "workspace")
            api_versions.check(kind, query.get("api-version"), f"{PROVIDER}/workspaces" + (f"/{kind}" if rest.strip("/") else ""))
            status, payload, headers = self._workspace_scope(method, rest, query, body)
            if method == "PUT" and status == 201:
                # Recorded: every 201 of a PUT carries the resource's own URL as Location.
                headers = {"Location": f"{ARM_HOST}{path}?api-version={query.get('api-version')}", **headers}
            return status, payload, headers
        raise HttpError(404, "NotFound", f"The double does not serve {method} {path}")

    def _check_workspace(self, m: re.Match) -> None:
        if (
            m.group("sub").lower() != self.subscription_id.lower()
            or m.group("rg").lower() != self.resource_group.lower()
            or m.group("ws").lower() != self.workspace.lower()
        ):
            raise HttpError(
                404,
                "ResourceNotFound",
                f"The Resource '{PROVIDER}/workspaces/{m.group('ws')}' under resource group '{m.group('rg')}' was not found.",
            )

    # login --------------------------------------------------------------------------------------
    def _openid(self, tenant: str, upstream: str) -> dict:
        base = upstream or "https://login.microsoftonline.com"
        return {
            "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": f"{base}/{tenant}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/{tenant}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
            "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/{tenant}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce"],
            "kerberos_endpoint": f"{base}/{tenant}/kerberos",
            "tenant_region_scope": "NA",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        }

    def _instance_discovery(self, upstream: str) -> dict:
        host = urlsplit(upstream or "https://login.microsoftonline.com").netloc
        return {
            "tenant_discovery_endpoint": f"https://{host}/common/v2.0/.well-known/openid-configuration",
            "api-version": "1.1",
            "metadata": [
                {"preferred_network": host, "preferred_cache": host, "aliases": [host]},
            ],
        }

    def _issue_token(self, scope: str | None = None) -> dict:
        header = base64.urlsafe_b64encode(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "double"}).encode()).rstrip(b"=")
        now = int(time.time())
        claims = {
            # The audience is the resource asked for: the SDK checks an Azure ML-scoped token's (pipeline submission).
            "aud": (scope or "https://management.azure.com/.default").split()[0].removesuffix("/.default").rstrip("/"),
            "iss": f"https://sts.windows.net/{self.tenant_id}/",
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "oid": "00000000-0000-4000-8000-0000000000aa",
            "tid": self.tenant_id,
            "appid": "00000000-0000-4000-8000-0000000c11e7",
            "jti": uuid.uuid4().hex,
        }
        payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
        signature = base64.urlsafe_b64encode(b"not-signed-by-the-double").rstrip(b"=").decode()
        token = f"{header.decode()}.{payload.decode()}.{signature}"
        with self.lock:
            self.tokens.add(token)
        return {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}

    def _discovery(self) -> dict:
        host = self.regional_host
        return {
            "api": host,
            "catalog": host,
            "experimentation": host,
            "history": host,
            "hyperdrive": host,
            "labeling": host,
            "modelmanagement": host,
            "pipelines": host,
            "studio": "https://ml.azure.com",
        }

    # workspace scope -----------------------------------------------------------------------------
    def _workspace_scope(self, method: str, rest: str, query: dict, body: Any) -> tuple:
        if rest in ("", "/"):
            if method == "GET":
                return 200, self.workspace_resource(), {}
            raise HttpError(405, "MethodNotAllowed", f"{method} on the workspace is not supported by the double")
        parts = [p for p in rest.split("/") if p]
        kind = parts[0]
        if kind in ASSET_KINDS:
            return self._assets(method, kind, parts[1:], query, body)
        if kind == "datastores":
            return self._datastores_route(method, parts[1:], query, body)
        if kind == "jobs":
            return self._jobs_route(method, parts[1:], query, body)
        if kind == "computes":
            return self._computes_route(method, parts[1:], query)
        if kind == "onlineEndpoints":
            return self.online.route(method, parts[1:], query, body)
        if kind == "schedules":
            return self.schedules.route(method, parts[1:], query, body)
        if kind == "listKeys" and method == "POST":
            return (
                200,
                {
                    "userStorageKey": self.storage_key,
                    "userStorageResourceId": self._storage_arm_id(),
                },
                {},
            )
        raise HttpError(404, "NotFound", f"The double does not serve {method} .../workspaces/{self.workspace}{rest}")

    def _storage_arm_id(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.Storage/storageAccounts/{self.storage_account}"
        )

    def workspace_resource(self) -> dict:
        rg_prefix = f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}/providers"
        return {
            "id": self.workspace_arm_id,
            "name": self.workspace,
            "type": f"{PROVIDER}/workspaces",
            "location": self.location,
            "kind": "Default",
            "tags": {},
            "etag": None,
            "identity": {
                "type": "SystemAssigned",
                "principalId": "00000000-0000-4000-8000-0000000000bb",
                "tenantId": self.tenant_id,
            },
            "sku": {"name": "Basic", "tier": "Basic"},
            "systemData": self._system_data("2024-01-01T00:00:00.000Z"),
            "properties": {
                "workspaceId": self.workspace_id,
                "friendlyName": self.workspace,
                "description": "Azure ML double",
                "storageAccount": self._storage_arm_id(),
                "keyVault": f"{rg_prefix}/Microsoft.KeyVault/vaults/kv-double",
                "applicationInsights": f"{rg_prefix}/Microsoft.Insights/components/ai-double",
                "containerRegistry": None,
                "discoveryUrl": f"{self.regional_host}/discovery",
                "mlFlowTrackingUri": f"azureml://{self.location}.api.azureml.ms/mlflow/v1.0{self.workspace_arm_id}",
                "provisioningState": "Succeeded",
                "publicNetworkAccess": "Enabled",
                "hbiWorkspace": False,
                "v1LegacyMode": False,
                "storageHnsEnabled": False,
                "tenantId": self.tenant_id,
                "imageBuildCompute": None,
                "enableDataIsolation": False,
                "notebookInfo": {
                    "resourceId": uuid.uuid5(uuid.NAMESPACE_OID, self.workspace_id).hex,
                    "fqdn": f"ml-{self.workspace}-{self.location}-{self.workspace_id}.{self.location}.notebooks.azure.net",
                    "isPrivateLinkEnabled": False,
                    "notebookPreparationError": None,
                },
                "privateLinkCount": 0,
                "managedNetwork": {
                    "changeableIsolationModes": ["AllowInternetOutbound", "AllowOnlyApprovedOutbound"],
                    "isolationMode": "Disabled",
                    "enableNetworkMonitor": False,
                    "enableFirewallLog": False,
                },
                "allowRoleAssignmentOnRG": True,
                "softDeleteEnabled": False,
                "creationTime": "2024-01-01T00:00:00.0000000Z",
                "linkedModelInventoryArmId": None,
                "ipAllowlist": [],
                "networkAcls": {"defaultAction": "Allow", "bypass": "", "ipRules": [], "resourceAccessRules": []},
                "serverlessComputeSettings": None,
                "EnableSoftwareBillOfMaterials": False,
                "sdkTelemetryAppInsightsKey": str(uuid.uuid5(uuid.NAMESPACE_OID, f"{self.workspace_id}/telemetry")),
                "sasGetterUri": "",
                "systemDatastoresAuthMode": "accesskey",
                "enableServiceSideCMKEncryption": False,
            },
        }

    # assets (environments, codes, data, models, components) ------------------------------------
    def _assets(self, method: str, kind: str, parts: list[str], query: dict, body: Any) -> tuple:
        containers = self.assets[kind]
        versions = self.versions[kind]
        if not parts:
            if method != "GET":
                raise HttpError(405, "MethodNotAllowed", f"{method} {kind}")
            items = [c for c in containers.values() if _view_ok(c, query)]
            return 200, self._page(items, query), {}
        name = parts[0]
        if len(parts) == 1:
            if method == "GET":
                if name not in containers:
                    raise _not_found(f"{kind[:-1].capitalize()} container {name}")
                return 200, containers[name], {}
            if method == "PUT":
                container = self._container(kind, name)
                props = (body or {}).get("properties") or {}
                for key in ("description", "tags", "properties", "isArchived"):
                    if key in props:
                        container["properties"][key] = props[key]
                return 200, container, {}
            if method == "DELETE":
                if containers.pop(name, None) is None:
                    return 204, None, {}
                versions.pop(name, None)
                return 200, None, {}
            raise HttpError(405, "MethodNotAllowed", f"{method} {kind}/{name}")
        if parts[1] != "versions":
            raise HttpError(404, "NotFound", f"{kind}/{name}/{parts[1]}")
        name_versions = versions.get(name, {})
        if len(parts) == 2:
            if method != "GET":
                raise HttpError(405, "MethodNotAllowed", f"{method} {kind}/{name}/versions")
            if kind == "models" and name not in containers:
                # Recorded (test_crud_file): listing the versions of a model name never registered is a 404.
                raise not_found(f"Model container with name: {name} not found.", "ModelNotFound")
            # Recorded (test_online_deployment_create): a list shows the versions users registered, not the
            # anonymous ones the SDK made on the way (an endpoint's model), even under the same name.
            items = [v for v in name_versions.values() if _view_ok(v, query) and not v["properties"].get("isAnonymous")]
            if query.get("hash"):
                # Like the service, a content-hash lookup searches every asset of the kind, not only
                # ``name``: the SDK reuses whichever code asset already holds the same snapshot.
                items = [
                    v
                    for versions_of_name in versions.values()
                    for v in versions_of_name.values()
                    if (v["properties"].get("properties") or {}).get("hash_sha256") == query["hash"]
                    and (
                        not query.get("hashVersion")
                        or str((v["properties"].get("properties") or {}).get("hash_version")) == query["hashVersion"]
                    )
                ]
            order = (query.get("$orderBy") or query.get("$orderby") or "").lower()
            if "createdtime" in order:
                items.sort(key=lambda v: v["systemData"]["createdAt"], reverse="desc" in order)
            if query.get("$top"):
                items = items[: int(query["$top"])]
            return 200, self._page([shapes.asset_version(kind, v) for v in items], query), {}
        version = parts[2]
        if len(parts) == 3:
            if method == "GET":
                if version not in name_versions:
                    raise _not_found(f"{kind[:-1].capitalize()} {name}:{version}")
                return 200, shapes.asset_version(kind, name_versions[version]), {}
            if method == "PUT":
                if kind == "components" and name == components.ANONYMOUS:
                    return self._put_anonymous_component(body or {})
                return self._put_version(kind, name, version, body or {})
            if method == "DELETE":
                if name_versions.pop(version, None) is None:
                    return 204, None, {}
                return 200, None, {}
            raise HttpError(405, "MethodNotAllowed", f"{method} {kind}/{name}/versions/{version}")
        if parts[3] == "startPendingUpload" and method == "POST":
            return 200, self._start_pending_upload(kind, name, version), {}
        raise HttpError(404, "NotFound", f"{kind}/{name}/versions/{version}/{parts[3]}")

    def _container(self, kind: str, name: str) -> dict:
        containers = self.assets[kind]
        if name not in containers:
            containers[name] = {
                "id": self._id(kind, name),
                "name": name,
                "type": f"{PROVIDER}/workspaces/{kind}",
                "properties": {
                    "description": None,
                    "tags": {},
                    "properties": {},
                    "isArchived": False,
                    "latestVersion": None,
                    "nextVersion": "1",
                    "provisioningState": "Succeeded",
                },
                "systemData": self._system_data(),
            }
        return containers[name]

    def _put_anonymous_component(self, body: dict) -> tuple:
        """One version per content: the same spec again answers (201) with the version first made for it, whatever
        hash the URL names."""
        content = components.content_key(((body.get("properties") or {}).get("componentSpec")) or {})
        version = self.anonymous_components.get(content)
        if version is not None:
            return 201, shapes.asset_version("components", self.versions["components"][components.ANONYMOUS][version]), {}
        answer = self._put_version("components", components.ANONYMOUS, str(uuid.uuid4()), body)
        self.anonymous_components[content] = answer[1]["name"]
        return answer

    def _put_version(self, kind: str, name: str, version: str, body: dict) -> tuple:
        if not validation.ASSET_NAME.match(name):
            raise bad_argument(
                f"Invalid {kind} name '{name}': a name starts with a letter or digit and has letters, digits, '.', '-' and '_'.",
                "InvalidName",
            )
        props = copy.deepcopy(body.get("properties") or {})
        existing = self.versions[kind].get(name, {}).get(version)
        props = self._normalize_version(kind, name, version, props)
        if kind == "models":
            self._validate_model_uri(props.get("modelUri") or "")
            props.setdefault("flavors", {})
            if props["flavors"] is None:
                props["flavors"] = {}
        if existing is not None:
            # Asset versions are immutable except for metadata (description, tags, archive flag, stage).
            old = existing["properties"]
            changed = [
                k for k in _ASSET_CONTENT.get(kind, ()) if props.get(k) is not None and _content(k, old.get(k)) != _content(k, props[k])
            ]
            validation.refuse_changes(f"{kind[:-1].capitalize()} {name}:{version}", changed, "a version is immutable; register a new one")
            # A component's spec may change in its metadata only (test_component_update): the new one is kept.
            for key in ("description", "tags", "isArchived", "stage", "properties", "componentSpec"):
                if key in props:
                    old[key] = props[key]
            existing["systemData"] = self._system_data(existing["systemData"]["createdAt"])
            # Recorded: re-putting an environment version (archive) answers 201, a data version 200.
            return (201 if kind == "environments" else 200), shapes.asset_version(kind, existing), {}
        props.setdefault("isArchived", False)
        props.setdefault("isAnonymous", False)
        props.setdefault("tags", {})
        props.setdefault("properties", {})
        props["provisioningState"] = "Succeeded"
        resource = {
            "id": self._id(kind, name, "versions", version),
            "name": version,
            "type": f"{PROVIDER}/workspaces/{kind}/versions",
            "properties": props,
            "systemData": self._system_data(),
        }
        self.versions[kind].setdefault(name, {})[version] = resource
        if kind == "environments" and props["properties"]["azureml.labels"] == "latest":
            self._move_latest_label(name, version)
        container = self._container(kind, name)
        container["properties"]["latestVersion"] = version
        numeric = [int(v) for v in self.versions[kind][name] if v.isdigit()]
        container["properties"]["nextVersion"] = str(max(numeric) + 1) if numeric else "1"
        return 201, shapes.asset_version(kind, resource), {}

    def _move_latest_label(self, name: str, version: str) -> None:
        """Recorded (test_environment_archive_restore_version): once version 2 is registered, version 1 reads
        ``azureml.labels: ""``; the label is on the newest version only."""
        for other, resource in self.versions["environments"][name].items():
            labels = resource["properties"]["properties"]
            if other != version and labels.get("azureml.labels") == "latest":
                labels["azureml.labels"] = ""

    def _normalize_version(self, kind: str, name: str, version: str, props: dict) -> dict:
        """The version's properties as the service stores and returns them (recorded answers)."""
        if kind == "environments":
            conda = props.get("condaFile")
            if isinstance(conda, str) and conda.strip():
                props["condaFile"] = json.dumps(yaml.safe_load(conda), indent=2)
            props.setdefault("environmentType", "UserCreated")
            props.setdefault("osType", "Linux")
            props.setdefault("autoRebuild", "Disabled")
            props.setdefault("image", None)
            props.setdefault("intellectualProperty", None)
            props.setdefault("autoDeleteSetting", None)
            # Recorded: a named version is labelled latest, an anonymous one (an endpoint's) has no label.
            label = "" if props.get("isAnonymous") else "latest"
            props["properties"] = {"azureml.labels": label, **(props.get("properties") or {})}
        elif kind == "data":
            if props.get("dataUri"):
                props["dataUri"] = self._long_output_uri(props["dataUri"])
            props.setdefault("stage", None)
            props.setdefault("intellectualProperty", None)
            props.setdefault("autoDeleteSetting", None)
        elif kind == "models" and isinstance(props.get("modelUri"), str):
            # Recorded: a long-form datastore URI sent with "resourcegroups" is stored with "resourceGroups".
            props["modelUri"] = _LONG_FORM_RESOURCE_GROUP.sub(r"\1resourceGroups/", props["modelUri"])
        elif kind == "components":
            spec = props.get("componentSpec") or {}
            validation.check_component(self, spec)
            props["componentSpec"] = components.normalize_spec(spec)
            # Recorded (test_component_archive_restore_version, ..._with_code): the description lives in the spec only.
            props["description"] = None
        return props

    def _validate_model_uri(self, uri: str) -> None:
        m = re.match(r"^azureml://(?:.*/)?jobs/(?P<job>[^/]+)/outputs/(?P<output>[^/]+)(?P<rest>/.*)?$", uri)
        if not m:
            return
        job = self.jobs.get(m.group("job"))
        if job is None:
            raise HttpError(400, "UserError", f"Job {m.group('job')} referenced by model path {uri} does not exist.")
        if job.status != "Completed":
            raise HttpError(
                400,
                "UserError",
                f"Cannot register a model from job {job.name} output: the job is {job.status}, not Completed.",
            )
        outputs = job.resource["properties"].get("outputs") or {}
        if m.group("output") not in outputs:
            raise HttpError(
                400,
                "UserError",
                f"Output '{m.group('output')}' not found on job {job.name} (outputs: {sorted(outputs)}).",
            )

    def _start_pending_upload(self, kind: str, name: str, version: str) -> dict:
        """A fresh container per upload, named after the workspace; the SDK writes its files at the container's root.

        Recorded (code_asset test_create_and_get): blobUri ``https://{account}.blob.core.windows.net:443/{container}``
        and a container SAS on ``https://{account}.blob.core.windows.net/{container}``.
        """
        upload_id = uuid.uuid4().hex
        container = f"{self.workspace_id}-{upload_id[:25]}"
        self._blob_create_container(container)
        https_uri = f"https://{self.storage_account}.blob.core.windows.net:443/{container}"
        sas = self._sas(container, None, "racwdl")
        # The SAS URI the SDK uploads through points at Azurite itself (no routing needed).
        base = self._blob_url(container) if self.blob_endpoint else f"https://{self.storage_account}.blob.core.windows.net/{container}"
        record = {"kind": kind, "name": name, "version": version, "uploadId": upload_id, "container": container}
        self.pending_uploads.append(record)
        return {
            "blobReferenceForConsumption": {
                "blobUri": https_uri,
                "storageAccountArmId": self._storage_arm_id(),
                "credential": {"credentialType": "SAS", "sasUri": f"{base}?{sas}"},
            },
            "pendingUploadId": upload_id,
            "pendingUploadType": "None",  # recorded
        }

    def _page(self, items: list, query: dict) -> dict:
        skip = int(query.get("$skipToken") or 0)
        page = items[skip : skip + self.page_size]
        out: dict[str, Any] = {"value": page}
        if skip + self.page_size < len(items):
            # nextLink uses the public ARM host; the harness routes it back here.
            path = self._current_path
            q = {k: v for k, v in query.items() if k != "$skipToken"}
            q["$skipToken"] = str(skip + self.page_size)
            out["nextLink"] = f"{ARM_HOST}{path}?" + "&".join(f"{quote(k)}={quote(str(v))}" for k, v in q.items())
        return out

    # datastores ---------------------------------------------------------------------------------
    def _datastores_route(self, method: str, parts: list[str], query: dict, body: Any) -> tuple:
        if not parts:
            if method != "GET":
                raise HttpError(405, "MethodNotAllowed", f"{method} datastores")
            items = list(self.datastores.values())
            if str(query.get("isDefault", "")).lower() == "true":
                items = [d for d in items if d["properties"].get("isDefault")]
            names = query.get("names")
            if names:
                wanted = set(names.split(","))
                items = [d for d in items if d["name"] in wanted]
            return 200, self._page([self._datastore_view(d) for d in items], query), {}
        name = parts[0]
        if len(parts) == 1:
            if method == "GET":
                if name not in self.datastores:
                    raise HttpError(404, "UserError", f"Could not find datastore: {name}.", inner=("NotFoundError",))  # recorded
                return 200, self._datastore_view(self.datastores[name]), {}
            if method == "PUT":
                return self._put_datastore(name, body or {})
            if method == "DELETE":
                if self.datastores.pop(name, None) is None:
                    return 204, None, {}
                self.datastore_secrets.pop(name, None)
                return 200, None, {}
        if len(parts) == 2 and parts[1] == "listSecrets" and method == "POST":
            if name not in self.datastores:
                raise HttpError(404, "UserError", f"Could not find datastore: {name}.", inner=("NotFoundError",))  # recorded
            secrets = self.datastore_secrets.get(name)
            if not secrets:
                kind = self.datastores[name]["properties"]["credentials"].get("credentialsType")
                raise HttpError(400, "UserError", f"No secrets for credentials of type {kind}.")  # recorded
            if (body or {}).get("expirableSecret"):
                # Recorded: asked for an expirable secret, the service answers an account SAS, whatever it stores.
                return (
                    200,
                    {"secretsType": "Sas", "sasToken": self._account_sas(name, secrets, (body or {}).get("expireAfterHours") or 1)},
                    {},
                )
            return 200, secrets, {}
        raise HttpError(404, "NotFound", f"datastores/{'/'.join(parts)}")

    def _put_datastore(self, name: str, body: dict) -> tuple:
        props = copy.deepcopy(body.get("properties") or {})
        credentials = props.get("credentials") or {"credentialsType": "None"}
        secrets = credentials.pop("secrets", None)
        if secrets:
            self.datastore_secrets[name] = secrets
        else:
            self.datastore_secrets.pop(name, None)
        props["credentials"] = credentials
        props.setdefault("isDefault", False)
        props.setdefault("tags", {})
        if props.get("datastoreType") in ("AzureBlob", "AzureDataLakeGen2", "AzureFile"):
            props.setdefault("endpoint", "core.windows.net")
            props.setdefault("protocol", "https")
        created = name not in self.datastores
        resource = {
            "id": self._id("datastores", name),
            "name": name,
            "type": f"{PROVIDER}/workspaces/datastores",
            "properties": props,
            "systemData": self._system_data(),
        }
        self.datastores[name] = resource
        if props.get("datastoreType") == "AzureBlob" and props.get("accountName") == self.storage_account:
            self._blob_create_container(props.get("containerName") or "")
        return (201 if created else 200), self._datastore_view(resource), {}

    # computes -----------------------------------------------------------------------------------
    def _compute_resource(self, name: str, vm_size: str, max_nodes: int) -> dict:
        return {
            "id": self._id("computes", name),
            "name": name,
            "type": f"{PROVIDER}/workspaces/computes",
            "location": self.location,
            "tags": {},
            "properties": {
                "createdOn": _iso(),
                "modifiedOn": _iso(),
                "disableLocalAuth": False,
                "description": None,
                "resourceId": None,
                "computeType": "AmlCompute",
                "computeLocation": self.location,
                "provisioningState": "Succeeded",
                "provisioningErrors": None,
                "provisioningWarnings": {},
                "isAttachedCompute": False,
                "properties": {
                    "vmSize": vm_size,
                    "vmPriority": "Dedicated",
                    "scaleSettings": {"maxNodeCount": max_nodes, "minNodeCount": 0, "nodeIdleTimeBeforeScaleDown": "PT2M"},
                    "subnet": None,
                    "currentNodeCount": 0,
                    "targetNodeCount": 0,
                    "nodeStateCounts": {
                        "preparingNodeCount": 0,
                        "runningNodeCount": 0,
                        "idleNodeCount": 0,
                        "unusableNodeCount": 0,
                        "leavingNodeCount": 0,
                        "preemptedNodeCount": 0,
                    },
                    "allocationState": "Steady",
                    "allocationStateTransitionTime": _iso(),
                    "errors": None,
                    "remoteLoginPortPublicAccess": "Enabled",
                    "osType": "Linux",
                    "virtualMachineImage": None,
                    "isolatedNetwork": False,
                    "enableBatchPrivateLink": False,
                    "propertyBag": {},
                },
            },
        }

    def _computes_route(self, method: str, parts: list[str], query: dict) -> tuple:
        if method != "GET":
            raise HttpError(405, "MethodNotAllowed", f"{method} computes")
        if not parts:
            return 200, self._page(list(self.computes.values()), query), {}
        if parts[0] not in self.computes:
            raise HttpError(
                404,
                "ResourceNotFound",
                f"The Resource '{PROVIDER}/workspaces/{self.workspace}/computes/{parts[0]}' under resource group "
                f"'{self.resource_group}' was not found.",
            )
        return 200, self.computes[parts[0]], {}

    # jobs ---------------------------------------------------------------------------------------
    def _jobs_route(self, method: str, parts: list[str], query: dict, body: Any) -> tuple:
        if not parts:
            if method != "GET":
                raise HttpError(405, "MethodNotAllowed", f"{method} jobs")
            view = (query.get("listViewType") or "ActiveOnly").lower()
            items = []
            for job in self.jobs.values():
                if job.parent is not None:
                    continue
                archived = bool(job.resource["properties"].get("isArchived"))
                if (view == "activeonly" and archived) or (view == "archivedonly" and not archived):
                    continue
                if query.get("jobType") and job.job_type.lower() != query["jobType"].lower():
                    continue
                items.append(self.job_view(job))
            items.reverse()  # newest first, as the service does
            return 200, self._page(items, query), {}
        name = parts[0]
        if len(parts) == 1:
            if method == "GET":
                job = self._job(name)
                if self.auto_tick and job.parent is None:
                    self._tick_job(job)
                return 200, self.job_view(job), {}
            if method == "PUT":
                return self._put_job(name, body or {}, query.get("api-version"), self._current_raw)
            if method == "DELETE":
                self._job(name)
                self.jobs.pop(name)
                return 200, None, {}
        if len(parts) == 2 and parts[1] == "cancel" and method == "POST":
            return self._cancel_job(self._job(name), query.get("api-version"))
        raise HttpError(404, "NotFound", f"jobs/{'/'.join(parts)}")

    def _cancel_job(self, job: JobRecord, api_version: str | None) -> tuple:
        """202 and an operation to poll (recorded: subscription-scoped mfeOperationResults, no Retry-After).

        A job that has ended stays as it is; one still going is CancelRequested until the operation has
        answered 202 ``cancel_polls`` times (the service takes about 30 s), then Canceled.
        """
        if not job.terminal:
            for record in [job, *(self.jobs[c] for c in job.children)]:
                if not record.terminal:
                    record.status = "CancelRequested"
            job.cancel_polls = self.cancel_polls
        return 202, b"null", {"Location": self._cancel_operation_url(job.name, api_version)}

    def _cancel_operation_url(self, name: str, api_version: str | None) -> str:
        return (
            f"{ARM_HOST}/subscriptions/{self.subscription_id}/providers/{PROVIDER}/locations/{self.location}"
            f"/mfeOperationResults/jc:{self.workspace_id}:{name}?api-version={api_version}"
        )

    def _operation_result(self, operation: str, query: dict) -> tuple:
        match = re.match(r"^jc:[^:]+:(?P<job>.+)$", operation)
        job = self.jobs.get(match["job"]) if match else None
        if job is None:
            raise not_found(f"Operation {operation} could not be found.")
        if job.status == "CancelRequested":
            if job.cancel_polls > 0:
                job.cancel_polls -= 1
                url = self._cancel_operation_url(job.name, query.get("api-version"))
                return 202, {}, {"Location": url, "Azure-AsyncOperation": url}
            self._finish(job, "Canceled")
        return 200, None, {}

    def _put_job(self, name: str, body: dict, api_version: str | None, raw: str) -> tuple:
        props = copy.deepcopy(body.get("properties") or {})
        validation.check_job_put(self, name, props, api_version, raw)
        shapes.bind_ports(props, api_version)
        existing = self.jobs.get(name)
        if existing is not None:
            return self._reput_job(existing, props, api_version)
        job_type = props.get("jobType", "Command")
        props.setdefault("experimentName", "Default")
        props.setdefault("displayName", name)
        props.setdefault("isArchived", False)
        props.setdefault("tags", {})
        props.setdefault("properties", {})
        props.setdefault("computeId", None)
        if job_type == "Command":
            props["properties"].setdefault("_azureml.ComputeTargetType", "amlctrain")
            # Recorded: the cluster's name, or null for a serverless job (test_command_job_serverless).
            cluster = props["computeId"].rsplit("/", 1)[-1] if props.get("computeId") else None
            props["properties"].setdefault("_azureml.ClusterName", cluster)
        if job_type == "Sweep":
            self._sweep_run_settings(props)
        if props.get("codeId") or (props.get("trial") or {}).get("codeId"):
            # Recorded: a job that runs code answers the snapshot the service took of it.
            props["properties"].setdefault("ContentSnapshotId", str(uuid.uuid4()))
        props["services"] = self._job_services(name, job_type)
        trial = props.get("trial")
        if isinstance(trial, dict) and trial.get("environmentId"):
            trial["environmentId"] = self._environment_arm_id(trial["environmentId"])
        objective = props.get("objective")
        if isinstance(objective, dict) and isinstance(objective.get("goal"), str):
            objective["goal"] = objective["goal"].capitalize()  # recorded: sent "maximize", answered "Maximize"
        resource = {
            "id": self._id("jobs", name),
            "name": name,
            "type": f"{PROVIDER}/workspaces/jobs",
            "properties": props,
            "systemData": self._system_data(),
        }
        job = JobRecord(name=name, resource=resource, script=self._pick_script(name, resource))
        job.status = ""
        self.jobs[name] = job
        if job_type in ("Command", "Sweep"):
            # The service's own output for logs and artifacts (recorded on command and sweep answers).
            props.setdefault("outputs", {})["default"] = {
                "jobOutputType": "uri_folder",
                "mode": "ReadWriteMount",
                "uri": f"azureml://datastores/workspaceartifactstore/ExperimentRun/dcid.{name}",
            }
        self._fill_outputs(job)
        self._set_status(job, phases(job_type)[0])
        return 201, self.job_view(job), {}

    def _environment_arm_id(self, environment_id: Any) -> Any:
        """``azureml:name:version`` answered as this workspace's ARM id (recorded for a sweep's trial, whose curated
        environment the SDK sends so; a command job's short environmentId comes back as sent)."""
        match = re.match(r"^azureml:(?P<name>[^/:@]+):(?P<version>[^/:@]+)$", environment_id or "")
        return self._id("environments", match["name"], "versions", match["version"]) if match else environment_id

    def _sweep_run_settings(self, props: dict) -> None:
        """What HyperDrive records on a sweep job's tags and properties (test_sweep_job_await_completion)."""
        objective = props.get("objective") or {}
        limits = props.get("limits") or {}
        metric = json.dumps({"name": objective.get("primaryMetric"), "goal": str(objective.get("goal") or "").lower()})
        props["tags"] = {
            "_aml_system_max_concurrent_jobs": str(limits.get("maxConcurrentTrials")),
            "_aml_system_max_total_jobs": str(limits.get("maxTotalTrials")),
            "_aml_system_max_duration_minutes": str(limits.get("timeout")),
            "_aml_system_policy_config": json.dumps({"name": "Default", "properties": {}}),
            "_aml_system_generator_config": json.dumps({"name": "RANDOM", "parameter_space": props.get("searchSpace") or {}}),
            "_aml_system_primary_metric_config": metric,
            "_aml_system_platform_config": json.dumps({"ServiceAddress": self.regional_host}),
            "_aml_system_resume_child_runs": "null",
            "_aml_system_all_jobs_generated": "false",
            "_aml_system_cancellation_requested": "false",
            "_aml_system_samples_generated_count": "0",
            **(props.get("tags") or {}),
        }
        props["properties"] = {
            "primary_metric_config": metric,
            "resume_from": "null",
            "runTemplate": "HyperDrive",
            "azureml.runsource": "hyperdrive",
            "platform": "AML",
            "user_agent": "managementfrontend/azureml-double",
            **(props.get("properties") or {}),
        }

    _MUTABLE_JOB_PROPERTIES = frozenset({"description", "tags", "isArchived", "displayName", "properties", "services", "status"})

    def _reput_job(self, job: JobRecord, props: dict, api_version: str | None) -> tuple:
        """Only metadata of an existing job may change; a PUT that changes what runs is refused. What it sends is
        compared with the job as the service answers it, so the SDK's re-PUT of a job as read (archive) is no change."""
        old = job.resource["properties"]
        answered = shapes.job(job.resource, api_version)["properties"]
        changed = sorted(k for k, v in props.items() if k not in self._MUTABLE_JOB_PROPERTIES and _differs(answered.get(k), v))
        validation.refuse_changes(
            f"Job {job.name}", changed, "only displayName, description, tags, properties and isArchived of an existing job can be updated"
        )
        for key in ("description", "tags", "isArchived", "displayName", "properties"):
            if key in props and props[key] is not None:
                old[key] = props[key] if key != "properties" else {**(old.get("properties") or {}), **props[key]}
        job.hidden = bool(old.get("isArchived"))
        return 200, self.job_view(job), {}

    def _job_services(self, name: str, job_type: str) -> dict:
        studio = {"jobServiceType": "Studio", "endpoint": f"https://ml.azure.com/runs/{name}?wsid={self.workspace_arm_id}"}
        tracking = {
            "jobServiceType": "Tracking",
            "endpoint": f"azureml://{self.location}.api.azureml.ms/mlflow/v1.0{self.workspace_arm_id}?",
        }
        # Recorded: a sweep job lists only Studio.
        return {"Studio": studio} if job_type == "Sweep" else {"Tracking": tracking, "Studio": studio}

    # output resolution (jobs.download) --------------------------------------------------------
    _MODEL_OUTPUT_TYPES = {"mlflow_model": "MLFlowModel", "custom_model": "CustomModel", "triton_model": "TritonModel"}

    def _output_asset_id(self, job: JobRecord, output_name: str) -> str:
        return (
            f"azureml://locations/{self.location}/workspaces/{self.workspace_id}"
            f"/data/azureml_{job.name}_output_data_{output_name}/versions/1"
        )

    def _run_outputs(self, job: JobRecord) -> dict:
        if job.status != "Completed":
            return {}
        outputs = job.resource["properties"].get("outputs") or {}
        return {
            name: {
                "assetId": self._output_asset_id(job, name),
                "type": self._MODEL_OUTPUT_TYPES.get(out.get("jobOutputType", ""), out.get("jobOutputType")),
            }
            for name, out in outputs.items()
            if out
        }

    def _long_output_uri(self, uri: str) -> str:
        m = re.match(r"^azureml://datastores/(.*)$", uri)
        if not m:
            return uri
        return (
            f"azureml://subscriptions/{self.subscription_id}/resourcegroups/{self.resource_group}"
            f"/workspaces/{self.workspace}/datastores/{m.group(1)}"
        )

    def _dataplane(self, method: str, plane: str, rest: str, body: Any) -> tuple:
        if method == "POST" and rest in ("/dataversion/batchGetResolvedUris", "/models/batchGetResolvedUris"):
            wanted = set((body or {}).get("values") or [])
            values = {}
            for job in self.jobs.values():
                for name, ref in self._run_outputs(job).items():
                    if ref["assetId"] in wanted:
                        out = job.resource["properties"]["outputs"][name]
                        uri = self._long_output_uri(out.get("uri") or "")
                        key = "uri" if plane == "data" else "path"
                        values[ref["assetId"]] = {key: uri, "type": out.get("jobOutputType")}
            return 200, {"values": values}, {}
        raise HttpError(404, "NotFound", f"{plane} data plane {method} {rest}")

    # run history -------------------------------------------------------------------------------
    def _history(self, method: str, rest: str, query: dict, body: Any) -> tuple:
        m = re.match(r"^/runs/(?P<run>[^/]+)(?P<tail>/.*)?$", rest)
        if rest == "/rundata" and method == "POST":
            run_id = (body or {}).get("runId")
            job = self._job(run_id)
            metadata = self.run_view(job)
            metadata["outputs"] = self._run_outputs(job)
            return 200, {"runMetadata": metadata, "runDefinition": None, "jobSpecification": None}, {}
        if m:
            job = self._job(m.group("run"))
            tail = m.group("tail") or ""
            if tail == "" and method == "GET":
                return 200, self.run_view(job), {}
            if tail == "" and method == "PATCH":
                # jobs.archive()/restore() also PATCH the run ("hidden"), tags and display name may change.
                patch = body or {}
                props = job.resource["properties"]
                if "hidden" in patch:  # a hidden run is an archived job on the ARM side
                    job.hidden = bool(patch["hidden"])
                    props["isArchived"] = job.hidden
                if patch.get("tags"):
                    props.setdefault("tags", {}).update(patch["tags"])
                if patch.get("displayName"):
                    props["displayName"] = patch["displayName"]
                if "description" in patch:
                    props["description"] = patch["description"]
                return 200, self.run_view(job), {}
            if tail == "/details" and method == "GET":
                if self.auto_tick and job.parent is None:
                    self._tick_job(job)
                return 200, self.run_view(job, details=True), {}
            if tail == "/children" and method == "GET":
                children = [self.run_view(self.jobs[c]) for c in job.children]
                top = query.get("$top")
                if top:
                    children = children[: int(top)]
                return 200, {"value": children}, {}  # recorded: one page, no continuation
        raise HttpError(404, "NotFound", f"run history {method} {rest}")


# What a version is: its content may not change once registered (metadata may).
_ASSET_CONTENT = {
    "environments": ("image", "condaFile", "build"),
    "codes": ("codeUri",),
    "data": ("dataUri", "dataType"),
    "models": ("modelUri", "modelType"),
    "components": ("componentSpec",),
}


def _content(key: str, value: Any) -> Any:
    """A content value compared as the service compares it: a conda file by what it says, not its formatting; a
    component's spec without its metadata (display name, description, tags), which a second PUT may change."""
    if key == "condaFile" and isinstance(value, str):
        with contextlib.suppress(yaml.YAMLError):
            return yaml.safe_load(value)
    if key == "componentSpec" and isinstance(value, dict):
        return {k: v for k, v in value.items() if k not in _COMPONENT_METADATA}
    return value


_COMPONENT_METADATA = ("display_name", "description", "tags")


def _differs(old: Any, new: Any) -> bool:
    """Whether ``new`` changes ``old``: only what ``new`` states counts (the service fills in the rest)."""
    if new is None:
        return False
    if isinstance(new, dict) and isinstance(old, dict):
        return any(_differs(old.get(k), v) for k, v in new.items())
    return old != new


def _view_ok(resource: dict, query: dict) -> bool:
    view = (query.get("listViewType") or "ActiveOnly").lower()
    archived = bool(resource["properties"].get("isArchived"))
    if view == "all":
        return True
    if view == "archivedonly":
        return archived
    return not archived


def _sample(spec: Any, i: int) -> Any:
    """Deterministic value ``i`` of a sweep search-space entry (choice / uniform / randint / ...)."""
    if not isinstance(spec, list) or not spec:
        return spec
    kind = str(spec[0]).lower()
    args = spec[1] if len(spec) > 1 else []
    if kind == "choice":
        values = args[0] if args and isinstance(args[0], list) else args
        return values[i % len(values)] if values else None
    if kind in ("uniform", "quniform", "loguniform", "qloguniform", "normal", "qnormal", "lognormal"):
        lo, hi = float(args[0]), float(args[1])
        return round(lo + (hi - lo) * ((i % 5) + 1) / 6, 6)
    if kind == "randint":
        return i % int(args[0])
    return args[0] if args else None


# --------------------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------------------


_MFE_PREFIXES = ("/mferp/managementfrontend/", "/rp/workspaces/")


def _normalize_path(path: str) -> str:
    """Strip the regional management-frontend prefix: it serves the same ARM paths as management.azure.com."""
    for prefix in _MFE_PREFIXES:
        if path.startswith(prefix):
            return path[len(prefix) - 1 :]
    return path


class _Handler(BaseHTTPRequestHandler):
    double: AzureMLDouble  # set on the per-server subclass
    protocol_version = "HTTP/1.1"
    server_version = "AzureMLDouble/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        double = self.double
        parts = urlsplit(self.path)
        raw_query = parse_qs(parts.query, keep_blank_values=True)
        query = {k: v[-1] for k, v in raw_query.items()}
        path = _normalize_path(parts.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: Any = None
        if raw:
            ctype = self.headers.get("Content-Type", "")
            if "json" in ctype or raw[:1] in (b"{", b"["):
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw
            elif "x-www-form-urlencoded" in ctype:
                body = {k: v[-1] for k, v in parse_qs(raw.decode()).items()}
            else:
                body = raw
        upstream = self.headers.get(UPSTREAM_HEADER, "")
        record = RecordedRequest(
            method=self.command,
            path=path,
            query=query,
            body=body,
            time=time.time(),
            host=upstream,
            raw_path=self.path,
            headers={k.lower(): v for k, v in self.headers.items() if k.lower() != "authorization"},
        )
        with double.lock:
            double.requests.append(record)
            fault = next((f for f in double.faults if f.matches(self.command, path)), None)
            if fault is not None:
                fault.times -= 1
                fault.hits += 1
                record.fault = fault.describe()
        if double.latency:
            time.sleep(double.latency)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.reset:
                record.status = 0
                self._reset()
                return
            if fault.status is not None:
                headers = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = str(fault.retry_after if fault.retry_after % 1 else int(fault.retry_after))
                if fault.retry_after_ms is not None:
                    headers["retry-after-ms"] = str(fault.retry_after_ms)
                payload = (
                    fault.body
                    if fault.body is not None
                    else {
                        "error": {
                            "code": "TooManyRequests" if fault.status == 429 else "ServiceUnavailable",
                            "message": f"Injected fault ({fault.status}) by the Azure ML double.",
                        }
                    }
                )
                record.status = fault.status
                self._send(fault.status, payload, headers)
                return
        try:
            if self._needs_token(path) and double.require_token:
                self._check_token()
            with double.lock:
                double._current_path = path
                double._current_api_version = query.get("api-version")
                double._current_raw = raw.decode("utf-8", "replace")
                status, payload, headers = double.handle(self.command, path, query, body, upstream)
        except HttpError as err:
            status, payload, headers = err.status, err.body(double.location), err.headers
        except Exception as err:  # noqa: BLE001 - a bug in the double answers 500 with its traceback
            import traceback

            status, headers = 500, {}
            payload = {"error": {"code": "DoubleInternalError", "message": f"{err!r}\n{traceback.format_exc()}"}}
        record.status = status
        self._send(status, payload, headers)

    @staticmethod
    def _needs_token(path: str) -> bool:
        return path.startswith(("/subscriptions/", "/history/", "/data/", "/modelregistry/", "/registrymanagement/"))

    def _check_token(self) -> None:
        auth = self.headers.get("Authorization", "")
        token = auth[7:] if auth.lower().startswith("bearer ") else ""
        with self.double.lock:
            ok = token in self.double.tokens
        if not ok:
            raise HttpError(
                401, "InvalidAuthenticationToken", "The access token is missing or was not issued by the double's token endpoint."
            )

    def _send(self, status: int, payload: Any, headers: dict) -> None:
        if payload is None:
            data = b""
        elif isinstance(payload, bytes):
            data = payload
        else:
            data = json.dumps(payload).encode()
        self.send_response(status)
        has_type = any(k.lower() == "content-type" for k in headers)
        if data and not has_type:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("x-ms-request-id", str(uuid.uuid4()))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _reset(self) -> None:
        """Abort the connection with a TCP RST (SO_LINGER 0) instead of answering."""
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.close()
