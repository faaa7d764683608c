"""Online endpoints and their deployments, served as the recorded service serves them.

Grounded in ``../shared/azureml-recordings/online_services/`` (an endpoint's whole life; an endpoint, a code
deployment, traffic, keys and the endpoint's delete):

* every PUT and DELETE is a long-running operation of the management front end: a PUT answers 201 (also when it
  updates: the recorded traffic update answers 201) with ``Azure-AsyncOperation`` pointing at a
  subscription-scoped ``…/locations/<region>/mfeOperationsStatus/<id>`` (``oeidp:<workspace id>:<uuid>`` for
  endpoints, ``odidp:…`` for deployments) and ``x-ms-async-operation-timeout: PT30M``; a DELETE answers 202 with
  the body ``null``, the same ``Azure-AsyncOperation`` and a ``Location`` at ``mfeOperationResults/<id>``;
* the operation's status reads ``Updating`` until it ends ``Succeeded`` (or ``Failed``, with its ``error``), with
  ``endTime`` ``0001-01-01T00:00:00+00:00`` until then; it moves with the double's clock (``tick``):
  ``endpoint_ticks`` / ``deployment_ticks`` ticks;
* the resource reads ``provisioningState: Creating`` (a deployment's update: ``Updating``; a delete:
  ``Deleting``) until its operation ends; an endpoint's ``scoringUri``/``swaggerUri`` are null until it is
  ``Succeeded``; a deployment gets its serving environment variables (``AZUREML_MODEL_DIR``, and for a scoring
  script ``AZUREML_ENTRY_SCRIPT``/``AML_APP_ROOT``) once provisioned;
* an update's answer carries what the update sent, not what the service made at creation (no ``location``,
  ``identity``, creation ``systemData`` or ``azureml.onlineendpointid``);
* ``listKeys`` answers ``primaryKey``/``secondaryKey`` (made once, at creation); traffic lives on the endpoint;
* a deployment answered at 2022-02-01-preview has ``privateNetworkConnection`` and no ``dataCollector``.

Rules the recordings do not show, taken from the service's documentation: a deployment needs its endpoint and
its model version (404 otherwise), traffic may name only deployments of the endpoint that exist, a deployment
that still takes traffic cannot be deleted, deleting an endpoint deletes its deployments, and ``getLogs`` answers
a deployment's container log tail as ``{"content": ...}``.
"""

from __future__ import annotations

import copy
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tests.azureml_double.errors import HttpError, bad_argument, not_found
from tests.azureml_double.mfe_operations import PROVIDER, OperationBook, delete_headers, operation_path, operation_url, put_headers

if TYPE_CHECKING:
    from tests.azureml_double.server import AzureMLDouble

NOT_ENDED = "0001-01-01T00:00:00+00:00"
ENDPOINT_TYPE = f"{PROVIDER}/workspaces/onlineEndpoints"
DEPLOYMENT_TYPE = f"{ENDPOINT_TYPE}/deployments"
OLD_API = "2022-02-01-preview"  # what azure-ai-ml sends for endpoints; deployments go at 2023-04-01-preview
_PROBE = {"failureThreshold": 30, "successThreshold": 1, "timeout": "PT2S", "period": "PT10S", "initialDelay": "PT10S"}
# What the service fills in for a deployment that did not say (recorded answers).
_DEPLOYMENT_DEFAULTS: dict[str, Any] = {
    "description": None,
    "codeConfiguration": None,
    "environmentId": None,
    "environmentVariables": {},
    "scaleSettings": {"scaleType": "Default"},
    "requestSettings": {"maxQueueWait": "PT0S", "requestTimeout": "PT5S", "maxConcurrentRequestsPerInstance": 1},
    "modelMountPath": None,
    "appInsightsEnabled": False,
    "livenessProbe": _PROBE,
    "readinessProbe": _PROBE,
    "instanceType": None,
    "model": None,
    "egressPublicNetworkAccess": "Enabled",
    "endpointComputeType": "Managed",
}
DEFAULT_LOG = (
    "Azure ML Inferencing HTTP server v1.3.0\n"
    "Initializing logger\n"
    "Starting up app insights client\n"
    "Found user script at /var/azureml-app/azureml-models/model/1\n"
    "Users's init has completed successfully\n"
    "Listening at: http://0.0.0.0:31311\n"
)


def _iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class Operation:
    """A long-running operation of the management front end, moving one step per tick of the double's clock."""

    id: str
    ticks_left: int
    outcome: str = "Succeeded"
    error: dict | None = None
    started: str = field(default_factory=_iso)
    ended: str | None = None
    on_end: Callable[[Operation], None] = lambda _op: None

    @property
    def status(self) -> str:
        return "Updating" if self.ended is None else self.outcome

    def tick(self) -> None:
        if self.ended is not None:
            return
        self.ticks_left -= 1
        if self.ticks_left <= 0:
            self.ended = _iso()
            self.on_end(self)

    def view(self, arm_path: str) -> dict:
        body = {"id": arm_path, "name": self.id, "startTime": self.started, "endTime": self.ended or NOT_ENDED}
        body |= {"percentComplete": 0.0, "status": self.status}
        if self.outcome == "Failed" and self.ended is not None:
            body["error"] = self.error
        return body


@dataclass
class ProvisioningScript:
    """How an endpoint's or deployment's operation ends (a test control): ``Failed`` with the service's error, and for a
    deployment its container log."""

    outcome: str = "Succeeded"
    error_code: str = "ResourceNotReady"
    error_message: str = "User container has crashed or terminated."
    log: str = DEFAULT_LOG


@dataclass
class _Endpoint:
    name: str
    body: dict  # what the last PUT sent: tags, location, identity, properties
    created: str
    keys: dict[str, str]
    state: str = "Creating"
    operation: str = ""
    principal: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class _Deployment:
    endpoint: str
    name: str
    body: dict
    created: str
    script: ProvisioningScript
    state: str = "Creating"
    operation: str = ""
    provisioned: bool = False


class OnlineServices:
    """The workspace's online endpoints, deployments and their operations (state of one :class:`AzureMLDouble`)."""

    def __init__(self, double: AzureMLDouble) -> None:
        self.double = double
        self.endpoints: dict[str, _Endpoint] = {}
        self.deployments: dict[tuple[str, str], _Deployment] = {}
        self.operations: OperationBook[Operation] = OperationBook(double)
        self.endpoint_ticks = 2  # recorded: two polls Updating, then Succeeded
        self.deployment_ticks = 3  # recorded: minutes of Updating
        self._scripts: dict[tuple[str, str], ProvisioningScript] = {}  # by (endpoint, deployment); an endpoint's: (endpoint, "")

    # test controls ---------------------------------------------------------------------------------
    def script_deployment(self, endpoint: str, name: str, **kwargs: Any) -> ProvisioningScript:
        """Set how the deployment ``endpoint/name`` provisions, before its next PUT (see ProvisioningScript)."""
        script = self._scripts[(endpoint, name)] = ProvisioningScript(**kwargs)
        return script

    def script_endpoint(self, name: str, **kwargs: Any) -> ProvisioningScript:
        """Set how the endpoint ``name``'s next PUT provisions (see ProvisioningScript)."""
        script = self._scripts[(name, "")] = ProvisioningScript(**kwargs)
        return script

    def tick(self) -> None:
        self.operations.tick()

    # routing ---------------------------------------------------------------------------------------
    def route(self, method: str, parts: list[str], query: dict, body: Any) -> tuple:
        """``parts`` below ``…/onlineEndpoints``."""
        api = query.get("api-version")
        if not parts:
            if method == "GET":
                return 200, {"value": [self._endpoint_view(e, api) for e in self.endpoints.values()]}, {}
            raise HttpError(405, "MethodNotAllowed", f"{method} on onlineEndpoints")
        name, rest = parts[0], parts[1:]
        if not rest:
            return self._endpoint_route(method, name, api, body)
        if rest == ["listKeys"] and method == "POST":
            endpoint = self._endpoint(name)
            return 200, {"primaryKey": endpoint.keys["primary"], "secondaryKey": endpoint.keys["secondary"]}, {}
        if rest[0] == "deployments":
            return self._deployments_route(method, name, rest[1:], api, body)
        raise HttpError(404, "NotFound", f"onlineEndpoints/{'/'.join(parts)}")

    def operation_status(self, operation_id: str, api: str | None) -> tuple:
        operation = self.operations.get(operation_id)
        return 200, operation.view(operation_path(self.double, "mfeOperationsStatus", operation_id)), {}

    def operation_result(self, operation_id: str, api: str | None) -> tuple:
        operation = self.operations.get(operation_id)
        if operation.ended is None:
            return 202, None, delete_headers(self.double, operation_id, api)
        return 200, None, {}

    # endpoints -------------------------------------------------------------------------------------
    def _endpoint_route(self, method: str, name: str, api: str | None, body: Any) -> tuple:
        if method == "GET":
            self.operations.advance_on_read(self._endpoint(name).operation)
            return 200, self._endpoint_view(self._endpoint(name), api), {}
        if method == "PUT":
            return self._put_endpoint(name, dict(body or {}), api)
        if method == "DELETE":
            return self._delete_endpoint(name, api)
        raise HttpError(405, "MethodNotAllowed", f"{method} on an online endpoint")

    def _put_endpoint(self, name: str, body: dict, api: str | None) -> tuple:
        props = body.get("properties") or {}
        self._check_traffic(name, props)
        existing = self.endpoints.get(name)
        if existing is None:
            keys = {"primary": secrets.token_hex(16), "secondary": secrets.token_hex(16)}
            endpoint = self.endpoints[name] = _Endpoint(name, copy.deepcopy(body), _iso(), keys)
        else:
            endpoint = existing
            endpoint.body = {**endpoint.body, **copy.deepcopy(body), "location": endpoint.body.get("location")}
        endpoint.state = "Creating"  # recorded for an update too
        script = self._scripts.pop((name, ""), None) or ProvisioningScript()
        error = {"code": script.error_code, "message": script.error_message}
        endpoint.operation = self._start(
            "oeidp", self.endpoint_ticks, lambda op: self._endpoint_provisioned(endpoint, op), outcome=script.outcome, error=error
        )
        view = self._endpoint_view(endpoint, api, update=existing is not None)
        return 201, view, put_headers(self.double, endpoint.operation, api)

    def _endpoint_provisioned(self, endpoint: _Endpoint, operation: Operation) -> None:
        endpoint.state = operation.outcome

    def _delete_endpoint(self, name: str, api: str | None) -> tuple:
        endpoint = self._endpoint(name)
        endpoint.state = "Deleting"

        def gone(_operation: Operation) -> None:
            self.endpoints.pop(name, None)
            for key in [key for key in self.deployments if key[0] == name]:
                del self.deployments[key]

        endpoint.operation = self._start("oeidp", self.endpoint_ticks, gone)
        return 202, b"null", delete_headers(self.double, endpoint.operation, api)

    def _check_traffic(self, name: str, props: dict) -> None:
        for key in ("traffic", "mirrorTraffic"):
            for deployment in props.get(key) or {}:
                if (name, deployment) not in self.deployments:
                    raise bad_argument(f"Deployment {deployment} does not exist for endpoint {name}; {key} can name only its deployments.")

    def _endpoint_view(self, endpoint: _Endpoint, api: str | None, *, update: bool = False) -> dict:
        sent = endpoint.body.get("properties") or {}
        own = {"AzureAsyncOperationUri": operation_url(self.double, "mfeOperationsStatus", endpoint.operation, api)}
        if not update:
            own = {"azureml.onlineendpointid": self.double._id("onlineEndpoints", endpoint.name).lower(), **own}
        succeeded = endpoint.state == "Succeeded"
        # Recorded: the scoring host is in the endpoint's own region (the location its PUT named).
        host = f"https://{endpoint.name}.{self._location(endpoint.body)}.inference.ml.azure.com"
        properties = {
            "description": sent.get("description"),
            "properties": {**(sent.get("properties") or {}), **own},
            "scoringUri": f"{host}/score" if succeeded else None,
            "swaggerUri": f"{host}/swagger.json" if succeeded else None,
            "authMode": sent.get("authMode", "Key"),
            "provisioningState": endpoint.state,
            "compute": sent.get("compute"),
            "traffic": dict(sent.get("traffic") or {}),
            "mirrorTraffic": dict(sent.get("mirrorTraffic") or {}),
            "publicNetworkAccess": sent.get("publicNetworkAccess", "Enabled"),
        }
        view = {"id": self.double._id("onlineEndpoints", endpoint.name), "name": endpoint.name, "type": ENDPOINT_TYPE}
        view |= {"properties": properties, "systemData": self._system_data(endpoint.created, update)}
        view |= {"tags": dict(endpoint.body.get("tags") or {})}
        if not update:
            view["location"] = self._location(endpoint.body)
        view["kind"] = "Managed"
        if not update:
            view["identity"] = self._identity(endpoint)
        return view

    def _location(self, body: dict) -> str:
        return str(body.get("location") or self.double.location)

    def _identity(self, endpoint: _Endpoint) -> dict:
        identity = dict(endpoint.body.get("identity") or {"type": "SystemAssigned"})
        return identity | {"principalId": endpoint.principal, "tenantId": self.double.tenant_id}

    def _endpoint(self, name: str) -> _Endpoint:
        endpoint = self.endpoints.get(name)
        if endpoint is None:
            raise not_found(f"Could not find endpoint {name}.", "EndpointNotFound")
        return endpoint

    # deployments -----------------------------------------------------------------------------------
    def _deployments_route(self, method: str, endpoint_name: str, parts: list[str], api: str | None, body: Any) -> tuple:
        self._endpoint(endpoint_name)
        if not parts:
            if method == "GET":
                listed = [d for key, d in self.deployments.items() if key[0] == endpoint_name]
                return 200, {"value": [self._deployment_view(d, api) for d in listed]}, {}
            raise HttpError(405, "MethodNotAllowed", f"{method} on deployments")
        name, rest = parts[0], parts[1:]
        if rest == ["getLogs"] and method == "POST":
            return 200, {"content": self._log_tail(self._deployment(endpoint_name, name), dict(body or {}))}, {}
        if rest:
            raise HttpError(404, "NotFound", f"deployments/{'/'.join(parts)}")
        if method == "GET":
            self.operations.advance_on_read(self._deployment(endpoint_name, name).operation)
            return 200, self._deployment_view(self._deployment(endpoint_name, name), api), {}
        if method == "PUT":
            return self._put_deployment(endpoint_name, name, dict(body or {}), api)
        if method == "DELETE":
            return self._delete_deployment(endpoint_name, name, api)
        raise HttpError(405, "MethodNotAllowed", f"{method} on a deployment")

    def _put_deployment(self, endpoint_name: str, name: str, body: dict, api: str | None) -> tuple:
        from tests.azureml_double import validation

        validation.check_deployment_put(self.double, body.get("properties") or {})
        key = (endpoint_name, name)
        existing = self.deployments.get(key)
        if existing is None:
            script = self._scripts.pop(key, None) or ProvisioningScript()
            deployment = self.deployments[key] = _Deployment(endpoint_name, name, copy.deepcopy(body), _iso(), script)
        else:
            deployment = existing
            deployment.body = copy.deepcopy(body)
            deployment.script = self._scripts.pop(key, deployment.script)
            deployment.state = "Updating"
        outcome = deployment.script.outcome
        error = {"code": deployment.script.error_code, "message": deployment.script.error_message}
        deployment.operation = self._start(
            "odidp", self.deployment_ticks, lambda op: self._deployment_provisioned(deployment, op), outcome=outcome, error=error
        )
        return 201, self._deployment_view(deployment, api), put_headers(self.double, deployment.operation, api)

    def _deployment_provisioned(self, deployment: _Deployment, operation: Operation) -> None:
        deployment.state = operation.outcome
        deployment.provisioned = deployment.provisioned or operation.outcome == "Succeeded"

    def _delete_deployment(self, endpoint_name: str, name: str, api: str | None) -> tuple:
        deployment = self._deployment(endpoint_name, name)
        endpoint_props = self._endpoint(endpoint_name).body.get("properties") or {}
        if (endpoint_props.get("traffic") or {}).get(name):
            raise bad_argument(
                f"Deployment {name} of endpoint {endpoint_name} still takes traffic; set its traffic to 0 before deleting it."
            )
        deployment.state = "Deleting"
        deployment.operation = self._start("odidp", self.deployment_ticks, lambda _op: self.deployments.pop((endpoint_name, name), None))
        return 202, b"null", delete_headers(self.double, deployment.operation, api)

    def _deployment_view(self, deployment: _Deployment, api: str | None) -> dict:
        sent = deployment.body.get("properties") or {}
        properties = {key: copy.deepcopy(sent.get(key, default)) for key, default in _DEPLOYMENT_DEFAULTS.items()}
        properties["properties"] = {
            **(sent.get("properties") or {}),
            "AzureAsyncOperationUri": operation_url(self.double, "mfeOperationsStatus", deployment.operation, api),
        }
        if deployment.provisioned:
            properties["environmentVariables"] = {**properties["environmentVariables"], **self._serving_variables(sent)}
        properties["provisioningState"] = deployment.state
        if api == OLD_API:
            properties["privateNetworkConnection"] = False
        else:
            properties["dataCollector"] = sent.get("dataCollector")
        sku = {"name": "Default", "tier": "Standard", "capacity": 1, **(deployment.body.get("sku") or {})}
        view = {"id": self.double._id("onlineEndpoints", deployment.endpoint, "deployments", deployment.name), "name": deployment.name}
        view |= {"type": DEPLOYMENT_TYPE, "properties": properties, "systemData": self._system_data(deployment.created, False)}
        view |= {"tags": dict(deployment.body.get("tags") or {}), "location": self._location(deployment.body)}
        return view | {"kind": "Managed", "sku": sku}

    @staticmethod
    def _serving_variables(sent: dict) -> dict[str, str]:
        """Where the container finds the model and the scoring script (recorded, once provisioned)."""
        variables: dict[str, str] = {}
        model = str(sent.get("model") or "").rstrip("/").split("/")
        if len(model) >= 4 and model[-2] == "versions":
            variables["AZUREML_MODEL_DIR"] = f"/var/azureml-app/azureml-models/{model[-3]}/{model[-1]}"
        script = (sent.get("codeConfiguration") or {}).get("scoringScript")
        if script:
            variables |= {"AZUREML_ENTRY_SCRIPT": script, "AML_APP_ROOT": "/var/azureml-app/onlinescoring"}
        return variables

    @staticmethod
    def _log_tail(deployment: _Deployment, request: dict) -> str:
        """The inference server's log is the scripted one; the storage initializer's only says it fetched the model."""
        container = request.get("containerType") or "InferenceServer"
        if container not in ("InferenceServer", "StorageInitializer"):
            raise bad_argument(f"Invalid container type {container}.")
        log = deployment.script.log if container == "InferenceServer" else "Downloading the model.\nDone.\n"
        lines = log.splitlines()
        tail = int(request.get("tail") or len(lines))
        return "\n".join(lines[-tail:]) + "\n" if lines else ""

    def _deployment(self, endpoint_name: str, name: str) -> _Deployment:
        deployment = self.deployments.get((endpoint_name, name))
        if deployment is None:
            raise not_found(f"Could not find deployment {name} of endpoint {endpoint_name}.", "DeploymentNotFound")
        return deployment

    # operations ------------------------------------------------------------------------------------
    def _start(self, prefix: str, ticks: int, on_end: Callable[[Operation], None], **outcome: Any) -> str:
        operation_id = f"{prefix}:{self.double.workspace_id}:{uuid.uuid4()}"
        return self.operations.add(operation_id, Operation(operation_id, ticks, on_end=on_end, **outcome))

    @staticmethod
    def _system_data(created: str, update: bool) -> dict:
        """Recorded: creation time and creator, and the last change; an update's answer has only the last change."""
        if update:
            return {"lastModifiedAt": _iso()}
        return {"createdAt": created, "createdBy": "double@example.com", "lastModifiedAt": _iso()}
