"""Azure ML registries as azure-ai-ml reaches them for the provider: discovery, the registry's model versions, and a
workspace's model version imported into a registry (azure-ai-ml's model share).

Recorded (`model/e2etests/test_model.pyTestModeltest_promote_model.json`): the registry is found through
`GET https://<region>.api.azureml.ms/registrymanagement/v1.0/registries/<name>/discovery` (no api-version), which
answers its id, name, tenant, primary region and regions, subscription and resource group, `workspaceName: null`, the
regional management front end (`primaryRegionResourceProviderUri`, `https://cert-<region>.experiments.azureml.net/`
in the public cloud's form) and per-region hosts (`registryFqdns`). azure-ai-ml then sends the registry's calls to that
front end (`<uri>mferp/managementfrontend/subscriptions/<sub>/resourceGroups/<rg>/providers/
Microsoft.MachineLearningServices/registries/<name>/...`) at api-version 2021-10-01-dataplanepreview.

Not recorded (the recordings stop at discovery), from azure-ai-ml 1.35.2 and the service's documentation
(how-to-share-models-pipelines-across-workspaces-with-registries): a model version is read at
`.../models/<name>/versions/<version>` (404 `UserError` when it is not there, as a workspace's) and listed at
`.../models/<name>/versions` (newest first with `$orderBy`, `$top`; no versions, an empty page); sharing POSTs
`.../import` with `{"properties": {"referenceType": "Id", "destinationName", "destinationVersion", "sourceAssetId":
"azureml://locations/<region>/workspaces/<workspace guid>/models/<name>/versions/<version>"}}`, a long-running
operation (202, `Location`); when it has run, the registry holds a copy of the workspace version (its type, flavors,
description, tags and properties) under the destination name and version, whose `id` and `modelUri` are its registry
asset id `azureml://registries/<name>/models/<model>/versions/<version>` (the form azure-ai-ml parses a registry
asset's id in, beside a workspace's ARM id). A
registry version never changes: importing onto an existing one is refused (409). The source must be a version of
this workspace that exists (404 otherwise).
"""

from __future__ import annotations

import copy
import re
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.azureml_double.errors import HttpError, not_found

if TYPE_CHECKING:
    from tests.azureml_double.server import AzureMLDouble

PROVIDER = "Microsoft.MachineLearningServices"
DATAPLANE_API = "2021-10-01-dataplanepreview"
DISCOVERY = re.compile(r"^/registrymanagement/v1\.0/registries/(?P<name>[^/]+)/discovery$", re.IGNORECASE)
REGISTRY = re.compile(
    rf"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/{re.escape(PROVIDER)}/registries/(?P<registry>[^/]+)"
    r"(?P<rest>/.*)?$",
    re.IGNORECASE,
)
OPERATION = re.compile(
    rf"^/subscriptions/(?P<sub>[^/]+)/providers/{re.escape(PROVIDER)}/locations/(?P<location>[^/]+)/registryOperationResults/(?P<operation>[^/]+)$",
    re.IGNORECASE,
)
_SOURCE_ASSET = re.compile(
    r"^azureml://locations/(?P<location>[^/]+)/workspaces/(?P<workspace>[^/]+)/models/(?P<name>[^/]+)/versions/(?P<version>[^/]+)$"
)
# Seconds between an operation's polls. azure-core reads 0 as "no advice" and falls back to the client's interval
# (30 s for the registry's client), so the double advises the shortest whole second.
_RETRY_AFTER = "1"
# What a copied version keeps of its source (the rest is the registry's own).
_COPIED = ("description", "tags", "properties", "flavors", "modelType", "jobName")


@dataclass
class RegistryRecord:
    name: str
    location: str
    registry_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    models: dict[str, dict[str, dict]] = field(default_factory=dict)  # name -> version -> resource


@dataclass
class _Import:
    registry: str
    name: str
    version: str
    source: dict
    polls_left: int


class Registries:
    """The registries a test made (`add`), in the double's subscription and resource group."""

    def __init__(self, double: AzureMLDouble) -> None:
        self.double = double
        self.registries: dict[str, RegistryRecord] = {}
        self._imports: dict[str, _Import] = {}
        self.import_polls = 0  # 202 answers of an import's operation before it has run

    # test controls ---------------------------------------------------------------------------
    def add(self, name: str, location: str = "westeurope") -> RegistryRecord:
        with self.double.lock:
            return self.registries.setdefault(name, RegistryRecord(name, location))

    def model(self, registry: str, name: str, version: str) -> dict | None:
        return self.registries[registry].models.get(name, {}).get(version)

    # answers ---------------------------------------------------------------------------------
    def front_end(self, record: RegistryRecord) -> str:
        return f"https://cert-{record.location}.experiments.azureml.net/"

    def discovery(self, name: str) -> tuple:
        record = self._registry(name)
        body = {
            "registryId": record.registry_id,
            "registryName": record.name,
            "tenantId": self.double.tenant_id,
            "primaryRegion": record.location,
            "regions": [record.location],
            "subscriptionId": self.double.subscription_id,
            "resourceGroup": self.double.resource_group,
            "workspaceName": None,
            "primaryRegionResourceProviderUri": self.front_end(record),
            "registryFqdns": {record.location: {"uri": f"https://{record.location}.api.azureml.ms"}},
            "intellectualPropertyPublisher": None,
        }
        return 200, body, {}

    def route(self, method: str, match: re.Match, query: dict, body: Any) -> tuple:
        self._check_scope(match)
        if query.get("api-version") != DATAPLANE_API:
            raise HttpError(400, "InvalidApiVersionParameter", f"The api-version '{query.get('api-version')}' is invalid for registries.")
        record = self._registry(match["registry"])
        parts = [part for part in (match["rest"] or "").split("/") if part]
        if method == "POST" and parts == ["import"]:
            return self._import(record, body or {})
        if method == "GET" and len(parts) == 3 and parts[0] == "models" and parts[2] == "versions":
            return 200, {"value": self._latest_first(record, parts[1], query)}, {}
        if method == "GET" and len(parts) == 4 and parts[0] == "models" and parts[2] == "versions":
            found = record.models.get(parts[1], {}).get(parts[3])
            if found is None:
                raise not_found(f"Model {parts[1]}:{parts[3]} not found in registry {record.name}.", "ModelNotFound")
            return 200, found, {}
        raise HttpError(404, "NotFound", f"The double does not serve {method} registries/{record.name}/{'/'.join(parts)}")

    @staticmethod
    def _latest_first(record: RegistryRecord, name: str, query: dict) -> list[dict]:
        """A model's versions, newest first, `$top` of them. An unknown name lists none: azure-ai-ml reads the latest
        version's properties before every share, and takes an empty page (not a 404, which it would not catch from the
        registry's client) as "no such model yet"."""
        versions = sorted(record.models.get(name, {}).values(), key=lambda v: v["systemData"]["createdAt"], reverse=True)
        return versions[: int(query["$top"])] if query.get("$top") else versions

    def operation(self, match: re.Match) -> tuple:
        pending = self._imports.get(match["operation"])
        if pending is None:
            raise not_found(f"Operation {match['operation']} could not be found.")
        if pending.polls_left > 0:
            pending.polls_left -= 1
            return 202, None, {"Location": self._operation_url(match["operation"]), "Retry-After": _RETRY_AFTER}
        self._copy(pending)
        return 200, None, {}

    # rules -------------------------------------------------------------------------------------
    def _import(self, record: RegistryRecord, body: dict) -> tuple:
        props = body.get("properties") or {}
        source = _SOURCE_ASSET.match(str(props.get("sourceAssetId") or ""))
        if source is None or props.get("referenceType") != "Id":
            raise HttpError(400, "UserError", "Request is invalid and/or missing fields.")
        if source["location"] != self.double.location or source["workspace"] != self.double.workspace_id:
            raise not_found(f"Workspace {source['workspace']} not found in {source['location']}.", "WorkspaceNotFound")
        version = self.double.versions["models"].get(source["name"], {}).get(source["version"])
        if version is None:
            raise not_found(f"Model {source['name']}:{source['version']} not found.", "ModelNotFound")
        name, number = str(props.get("destinationName") or source["name"]), str(props.get("destinationVersion") or source["version"])
        if number in record.models.get(name, {}):
            raise HttpError(409, "UserError", f"Model {name}:{number} already exists in registry {record.name}; a version never changes.")
        operation = str(uuid.uuid4())
        self._imports[operation] = _Import(record.name, name, number, copy.deepcopy(version), self.import_polls)
        return 202, None, {"Location": self._operation_url(operation), "Retry-After": _RETRY_AFTER}

    def _copy(self, pending: _Import) -> None:
        record = self.registries[pending.registry]
        if pending.version in record.models.get(pending.name, {}):
            return  # the operation already ran (a poll repeated)
        kept = {key: pending.source["properties"].get(key) for key in _COPIED}
        asset_id = f"azureml://registries/{record.name}/models/{pending.name}/versions/{pending.version}"
        record.models.setdefault(pending.name, {})[pending.version] = {
            "id": asset_id,
            "name": pending.version,
            "type": f"{PROVIDER}/registries/models/versions",
            "properties": {
                **kept,
                "isArchived": False,
                "isAnonymous": False,
                "modelUri": asset_id,
                "provisioningState": "Succeeded",
                "stage": "Development",
            },
            "systemData": self.double._system_data(),
        }

    def _operation_url(self, operation: str) -> str:
        record = next(iter(self.registries.values()))
        base = self.front_end(record).rstrip("/")
        path = f"/mferp/managementfrontend/subscriptions/{self.double.subscription_id}/providers/{PROVIDER}/locations/{record.location}"
        return f"{base}{path}/registryOperationResults/{operation}?api-version={DATAPLANE_API}"

    def _registry(self, name: str) -> RegistryRecord:
        found = next((r for r in self.registries.values() if r.name.lower() == name.lower()), None)
        if found is None:
            raise not_found(f"Registry {name} not found.", "RegistryNotFound")
        return found

    def _check_scope(self, match: re.Match) -> None:
        if match["sub"].lower() != self.double.subscription_id.lower() or match["rg"].lower() != self.double.resource_group.lower():
            raise not_found(f"The Resource '{PROVIDER}/registries/{match['registry']}' under resource group '{match['rg']}' was not found.")
