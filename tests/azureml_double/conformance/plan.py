"""What a replay of one recording does: the seeds, the job outcomes, and the in-scope exchanges in order.

A plan is built from a recording (``plan_recording``) or read back from the distilled fixture (``distill``).

* **Scope.** An exchange is in scope when it is an operation the provider makes (``operations``), or the poll
  of a long-running operation whose URL an earlier in-scope answer gave in ``Location``/``Azure-AsyncOperation``.
  Blob traffic (Azurite serves it), login and every other operation are counted as out of scope, and so is a
  read of a job no in-scope PUT made (a schedule's run: the double does not serve what made it).
* **Seeds** (``seeds``): what the recording shows existed before it began is seeded into the double first.
* **Outcomes.** A job the recording shows ending Failed (or another terminal status other than Completed and
  Canceled) is scripted to end so; how long it takes is the double's own business (see ``replay``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from tests.azureml_double.conformance.operations import (
    HISTORY_PREFIX,
    LRO_HEADERS,
    LRO_POLL,
    WORKSPACE_PREFIX,
    Operation,
    find_operation,
)
from tests.azureml_double.conformance.recording import Exchange
from tests.azureml_double.conformance.seeds import Seed, plan_seeds

TERMINAL = ("Completed", "Failed", "Canceled", "NotResponding", "Paused")


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
    jobs_made: set[str] = set()
    for exchange in exchanges:
        operation = _operation(exchange, lro_urls)
        job = _job_name(exchange)
        if operation is not None and job is not None and exchange.method == "PUT":
            jobs_made.add(job)
        elif operation is not None and job is not None and exchange.succeeded and job not in jobs_made:
            plan.out_of_scope[f"reads a job made out of scope: {exchange.method} {rough_template(exchange.path)}"] += 1
            continue
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


def _job_name(exchange: Exchange) -> str | None:
    match = re.search(r"/jobs/(?P<name>[^/]+)$", exchange.path)
    return match.group("name").lower() if match else None


def _host_less(url: str) -> str:
    return re.sub(r"^[a-z]+://[^/]+", "", url, flags=re.I)


def out_of_scope_reason(exchange: Exchange) -> str:
    if exchange.host.endswith(".blob.core.windows.net"):
        return "blob storage (Azurite serves blobs)"
    if "login." in exchange.host:
        return "login"
    return f"not made by the provider: {exchange.method} {rough_template(exchange.path)}"


def rough_template(path: str) -> str:
    """``…/computes/{}`` for a workspace path: every second segment below the workspace is a name; other ARM paths
    alike (``/subscriptions/{}/providers/Microsoft.MachineLearningServices/locations/{}/mfeOperationsStatus/{}``)."""
    for prefix, label in ((WORKSPACE_PREFIX, "…"), (HISTORY_PREFIX, "history:")):
        match = prefix.match(path)
        if match:
            return label + _names_masked(match.group("rest") or "")
    if path.lower().startswith("/subscriptions/"):
        return _names_masked(path)
    return re.sub(r"/[0-9a-f-]{32,}|/\d{3,}", "/{}", path)


def _names_masked(path: str) -> str:
    """An ARM path with each name masked: segments alternate type and name, but a provider namespace is kept."""
    parts = [p for p in path.split("/") if p]
    out: list[str] = []
    for i in range(0, len(parts), 2):
        out.append(parts[i])
        if i + 1 < len(parts):
            out.append(parts[i + 1] if parts[i].lower() == "providers" else "{}")
    return "".join(f"/{p}" for p in out)


# ------------------------------------------------------------------------------------------ outcomes
def job_outcomes(steps: list[Step]) -> dict[str, str]:
    """Job name -> the outcome to script; ``<pipeline>/<step>`` for a pipeline step a children listing shows."""
    outcomes: dict[str, str] = {}
    for step in steps:
        exchange = step.exchange
        if not isinstance(exchange.body, dict):
            continue
        if re.search(r"/jobs/[^/]+$", exchange.path):
            shown = [(str(_job_name(exchange)), (exchange.body.get("properties") or {}).get("status"))]
        elif re.search(r"/runs/[^/]+/children$", exchange.path):
            children = [run for run in exchange.body.get("value") or [] if isinstance(run, dict)]
            shown = [(f"{run.get('parentRunId')}/{run.get('displayName')}", run.get("status")) for run in children]
        else:
            continue
        outcomes.update({name: status for name, status in shown if status in TERMINAL and status not in ("Completed", "Canceled")})
    return outcomes
