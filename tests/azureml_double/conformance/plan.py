"""What a replay of one recording does: the seeds, the job outcomes, and the in-scope exchanges in order.

A plan is built from a recording (``plan_recording``) or read back from the distilled fixture (``distill``).

* **Scope.** An exchange is in scope when it is an operation the provider makes (``operations``), or the poll
  of a long-running operation whose URL an earlier in-scope answer gave in ``Location``/``Azure-AsyncOperation``.
  Blob traffic (Azurite serves it), login and every other operation are counted as out of scope.
* **Seeds.** What the recording shows existed before (or was made by out-of-scope calls) is seeded into the
  double before the replay: resources an in-scope GET returned that no earlier in-scope PUT created; resources an
  out-of-scope PUT created or an out-of-scope GET of one resource returned; and resources an accepted request
  references (compute, environment, code, data, component, datastore ids in its body). A rejected request's
  references are seeded too, except those its error names.
* **Outcomes.** A job the recording shows ending Failed (or another terminal status other than Completed and
  Canceled) is scripted to end so; how long it takes is the double's own business (see ``replay``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tests.azureml_double.conformance.operations import (
    HISTORY_PREFIX,
    LRO_HEADERS,
    LRO_POLL,
    WORKSPACE_PREFIX,
    Operation,
    find_operation,
)
from tests.azureml_double.conformance.recording import Exchange

TERMINAL = ("Completed", "Failed", "Canceled", "NotResponding", "Paused")
# Kinds a seed can create, and the ARM id of one resource of each kind.
SEEDABLE = ("computes", "datastores", "codes", "environments", "data", "models", "components")
_RESOURCE = re.compile(
    r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.MachineLearningServices/workspaces/[^/]+"
    r"/(?P<kind>" + "|".join(SEEDABLE) + r")/(?P<name>[^/?\s\"']+)(?:/versions/(?P<version>[^/?\s\"']+))?",
    re.IGNORECASE,
)
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


@dataclass
class Step:
    exchange: Exchange
    operation: Operation


@dataclass
class Plan:
    source: str
    steps: list[Step]
    seeds: list[Seed] = field(default_factory=list)
    outcomes: dict[str, str] = field(default_factory=dict)  # job name -> terminal status to script
    out_of_scope: Counter[str] = field(default_factory=Counter)  # reason -> number of exchanges
    recorded_paths: list[str] = field(default_factory=list)  # every ARM path, to learn the recorded identity


def plan_recording(source: str, exchanges: list[Exchange]) -> Plan:
    plan = Plan(source=source, steps=[], recorded_paths=[e.path for e in exchanges])
    lro_urls: set[str] = set()
    for exchange in exchanges:
        operation = _operation(exchange, lro_urls)
        if operation is None:
            plan.out_of_scope[out_of_scope_reason(exchange)] += 1
            continue
        plan.steps.append(Step(exchange, operation))
        lro_urls |= {_host_less(v) for name in LRO_HEADERS if (v := exchange.header(name))}
    plan.seeds = plan_seeds(exchanges, {id(step.exchange) for step in plan.steps})
    plan.outcomes = job_outcomes(plan.steps)
    return plan


def _operation(exchange: Exchange, lro_urls: set[str]) -> Operation | None:
    if exchange.host.endswith(".blob.core.windows.net"):
        return None
    operation = find_operation(exchange.method, exchange.path)
    if operation is None and exchange.method == "GET" and exchange.path_and_query in lro_urls:
        return LRO_POLL
    return operation


def _host_less(url: str) -> str:
    return re.sub(r"^[a-z]+://[^/]+", "", url, flags=re.I)


def out_of_scope_reason(exchange: Exchange) -> str:
    if exchange.host.endswith(".blob.core.windows.net"):
        return "blob storage (Azurite serves blobs)"
    if "login." in exchange.host:
        return "login"
    return f"not made by the provider: {exchange.method} {rough_template(exchange.path)}"


def rough_template(path: str) -> str:
    """``…/computes/{}`` for a workspace path: every second segment below the workspace is a name."""
    for prefix, label in ((WORKSPACE_PREFIX, "…"), (HISTORY_PREFIX, "history:")):
        match = prefix.match(path)
        if match:
            parts = [p for p in (match.group("rest") or "").split("/") if p]
            return label + "".join(f"/{p}" if i % 2 == 0 else "/{}" for i, p in enumerate(parts))
    return re.sub(r"/[0-9a-f-]{32,}|/\d{3,}", "/{}", path)


# ------------------------------------------------------------------------------------------ seeds
def plan_seeds(exchanges: list[Exchange], in_scope: set[int]) -> list[Seed]:
    """Seeds in an order that makes what a seed references first (computes, datastores, codes, ... components)."""
    created: set[str] = set()
    seeds: dict[str, Seed] = {}

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
            made = _resource_at(_id_of(exchange.body) or exchange.path)
            if made is not None and scoped:
                created.add(made.key)
            elif made is not None and isinstance(exchange.body, dict):
                add(_shown(made, exchange.body, f"created by out-of-scope #{exchange.index}", exchange))
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


def _id_of(resource: Any) -> str:
    return str(resource.get("id") or "") if isinstance(resource, dict) else ""


def _resource_at(path: str) -> Seed | None:
    match = _RESOURCE.search(path)
    if match is None or (
        match.group("kind").lower() != "computes" and match.group("kind").lower() != "datastores" and match.group("version") is None
    ):
        return None  # a container: it exists when a version does
    return Seed(match.group("kind").lower(), match.group("name"), match.group("version"), None, "")


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


# ------------------------------------------------------------------------------------------ outcomes
def job_outcomes(steps: list[Step]) -> dict[str, str]:
    outcomes: dict[str, str] = {}
    for step in steps:
        exchange = step.exchange
        match = re.search(r"/jobs/(?P<name>[^/]+)$", exchange.path)
        if match is None or not isinstance(exchange.body, dict):
            continue
        status = (exchange.body.get("properties") or {}).get("status")
        if status in TERMINAL and status not in ("Completed", "Canceled"):
            outcomes[match.group("name")] = status
    return outcomes
