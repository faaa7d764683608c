"""What a recording shows existed before it began (or was made by calls out of scope): the seeds of its replay.

* resources an in-scope GET returned that no earlier in-scope PUT created;
* resources an in-scope PUT updated rather than created: its answer says they were created before the recording
  began (``systemData.createdAt`` before the first answer's ``Date``; an anonymous model the SDK registers again, a
  job submitted again under its name, which answers the job as it is, e.g. Completed);
* resources an out-of-scope PUT created (named as its answer names them: the service names some versions itself)
  or an out-of-scope GET of one resource returned;
* registries the recording found through their discovery endpoint;
* resources an accepted request references (compute, environment, code, data, component, datastore ids in its
  body). A rejected request's references are seeded too, except those its error names: the error is about them.
* what a seed itself references.

Listings the provider never makes are not read: what they show matters only through names a request uses.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from tests.azureml_double.conformance.recording import Exchange

# Kinds a seed can create, and the ARM id of one resource of each kind (jobs last: they name the others).
SEEDABLE = ("registries", "computes", "datastores", "codes", "environments", "data", "models", "components", "jobs")
# Kinds whose resources are not versions; jobs are seeded only when a PUT shows they existed before.
_UNVERSIONED = ("computes", "datastores")
_RESOURCE = re.compile(
    r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.MachineLearningServices/workspaces/[^/]+"
    r"/(?P<kind>" + "|".join(SEEDABLE) + r")/(?P<name>[^/?\s\"']+)(?:/versions/(?P<version>[^/?\s\"']+))?",
    re.IGNORECASE,
)
# A registry the recording found through discovery existed before it (registries are made outside the workspace).
_REGISTRY_DISCOVERY = re.compile(r"^/registrymanagement/v1\.0/registries/(?P<name>[^/]+)/discovery$", re.IGNORECASE)
_DATASTORE_URI = re.compile(r"azureml://(?:subscriptions/[^/]+/resourcegroups/[^/]+/workspaces/[^/]+/)?datastores/(?P<name>[^/]+)/", re.I)


@dataclass
class Seed:
    kind: str
    name: str
    version: str | None
    properties: dict[str, Any] | None  # None: a minimal resource of the kind
    reason: str

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.name}/{self.version or ''}".lower()


def plan_seeds(exchanges: list[Exchange], in_scope: set[int]) -> list[Seed]:
    """Seeds in an order that makes what a seed references first (computes, datastores, codes, ... components)."""
    created: set[str] = set()
    seeds: dict[str, Seed] = {}
    began = _recording_began(exchanges)

    def add(seed: Seed) -> None:
        if seed.key in created or seed.key in seeds:
            return
        seeds[seed.key] = seed
        for referenced in _references_in(seed.properties, "", f"referenced by the seed {seed.kind}/{seed.name}"):
            add(referenced)

    for exchange in exchanges:
        scoped = id(exchange) in in_scope
        if exchange.method == "PUT" and exchange.succeeded:
            # The answer's id: the service names some versions itself (anonymous components).
            made = _resource_at(_id_of(exchange.body) or exchange.path, with_jobs=True)
            if made is not None and scoped and _created_before(exchange.body, began):
                add(_shown(made, exchange.body, f"updated by #{exchange.index}, made before the recording", exchange))
            elif made is not None and scoped:
                created.add(made.key)
            elif made is not None and made.kind != "jobs" and isinstance(exchange.body, dict):
                add(_shown(made, exchange.body, f"created by out-of-scope #{exchange.index}", exchange))
        discovered = _REGISTRY_DISCOVERY.match(exchange.path) if exchange.method == "GET" and exchange.succeeded else None
        if discovered is not None and isinstance(exchange.body, dict):
            found = {"location": exchange.body.get("primaryRegion")}
            add(Seed("registries", discovered["name"], None, found, f"discovered by #{exchange.index}"))
            continue
        if exchange.method == "GET" and exchange.succeeded and isinstance(exchange.body, dict):
            shown = [exchange.body] if scoped or "value" not in exchange.body else []
            if scoped:
                shown += [item for item in exchange.body.get("value") or [] if isinstance(item, dict)]
            for resource in shown:
                found = _resource_at(_id_of(resource))
                if found is not None:
                    add(_shown(found, resource, f"returned by #{exchange.index}", exchange))
        if exchange.method in ("PUT", "POST") and exchange.request_body is not None:
            error_text = "" if exchange.succeeded else str(exchange.body)
            for seed in _references_in(exchange.request_body, error_text, f"referenced by #{exchange.index}"):
                add(seed)
    return sorted(seeds.values(), key=lambda seed: SEEDABLE.index(seed.kind))


def _recording_began(exchanges: list[Exchange]) -> datetime | None:
    """When the first recorded answer was given (its ``Date`` header)."""
    for exchange in exchanges:
        with contextlib.suppress(TypeError, ValueError):
            return parsedate_to_datetime(exchange.header("Date") or "")
    return None


def _created_before(resource: Any, moment: datetime | None) -> bool:
    created = ((resource or {}).get("systemData") or {}).get("createdAt") if isinstance(resource, dict) else None
    if moment is None or not isinstance(created, str):
        return False
    try:
        return datetime.fromisoformat(created[:19]).replace(tzinfo=UTC) < moment
    except ValueError:
        return False


def _id_of(resource: Any) -> str:
    return str(resource.get("id") or "") if isinstance(resource, dict) else ""


def _resource_at(path: str, *, with_jobs: bool = False) -> Seed | None:
    match = _RESOURCE.search(path)
    kind = match.group("kind").lower() if match else ""
    if kind == "jobs" and not with_jobs:
        return None
    if match is None or (kind not in (*_UNVERSIONED, "jobs") and match.group("version") is None):
        return None  # a container: it exists when a version does
    return Seed(kind, match.group("name"), match.group("version"), None, "")


def _shown(found: Seed, resource: dict[str, Any], reason: str, exchange: Exchange) -> Seed:
    properties = dict(resource.get("properties") or {})
    if "hash" in exchange.query and found.kind == "codes":
        # Sanitizers zero the hash in the query but not in the answer; the double matches the query's.
        properties["properties"] = {**(properties.get("properties") or {}), "hash_sha256": exchange.query["hash"]}
        if "hashVersion" in exchange.query:
            properties["properties"]["hash_version"] = exchange.query["hashVersion"]
    return Seed(found.kind, found.name, found.version, properties, reason)


def _references_in(value: Any, error_text: str, reason: str) -> list[Seed]:
    """Resources (ARM ids, datastore URIs) a body names, except those an error names: the error is about them."""
    found: list[Seed] = []
    for string in _strings(value):
        for match in _RESOURCE.finditer(string):
            seed = _resource_at(match.group(0))
            if seed is not None and not _named(seed.name, error_text):
                seed.reason = reason
                found.append(seed)
        for match in _DATASTORE_URI.finditer(string):
            if not _named(match.group("name"), error_text):
                found.append(Seed("datastores", match.group("name"), None, None, reason))
    return found


def _named(name: str, error_text: str) -> bool:
    return bool(error_text) and re.search(rf"\b{re.escape(name)}\b", error_text) is not None


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []
