"""Distill recordings into the compact fixture of expectations committed beside this module.

    python -m tests.azureml_double.conformance.distill ../shared/azureml-recordings [-o expectations.json]

The fixture keeps what a replay needs and what ``compare`` reads, nothing else: per recording, the seeds, job
outcomes and out-of-scope counts (``plan``), and the in-scope exchanges with their requests as recorded, the
answers' status, long-running-operation headers (signed URLs shortened to an alias) and bodies reduced to their
``skeleton``. The checker reads it like a folder of recordings, so a
clone without ``../shared`` still checks the double against the service's facts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from tests.azureml_double.conformance.compare import COMPARED_HEADERS, IDENTIFIER
from tests.azureml_double.conformance.forms import string_form
from tests.azureml_double.conformance.operations import LRO_POLL, OPERATIONS, WORKSPACE_PREFIX, Operation
from tests.azureml_double.conformance.plan import Plan, Step
from tests.azureml_double.conformance.recording import Exchange, exchange_from_entry
from tests.azureml_double.conformance.seeds import Seed

FORMAT = "azureml-double-conformance-expectations/1"
DEFAULT_FIXTURE = Path(__file__).with_name("expectations.json")
_KEPT = ("id", "name", "message", "nextLink")
_BY_LABEL: dict[str, Operation] = {op.label(): op for op in (*OPERATIONS, LRO_POLL)}


def is_fixture(document: Any) -> bool:
    return isinstance(document, dict) and document.get("format") == FORMAT


def distill(plans: list[Plan]) -> dict[str, Any]:
    return {"format": FORMAT, "sessions": [_session(plan) for plan in plans]}


def read_fixture(document: dict[str, Any]) -> list[Plan]:
    return [_plan(session) for session in document["sessions"]]


def _session(plan: Plan) -> dict[str, Any]:
    aliases = _lro_aliases(plan)
    return {
        "source": plan.source,
        "identity": sorted({m.group(0) for p in plan.recorded_paths if (m := _IDENTITY.match(p))}),
        "out_of_scope": dict(sorted(plan.out_of_scope.items())),
        "seeds": [{k: v for k, v in vars(seed).items() if v not in (None, "")} for seed in plan.seeds],
        "outcomes": plan.outcomes,
        "steps": [{"operation": step.operation.label(), "entry": _entry(step.exchange, aliases)} for step in plan.steps],
    }


_IDENTITY = re.compile(WORKSPACE_PREFIX.pattern.replace("(?P<rest>/.*)?$", ""), re.IGNORECASE)


def _plan(session: dict[str, Any]) -> Plan:
    steps = [Step(exchange_from_entry(int(s["entry"]["Index"]), s["entry"]), _BY_LABEL[s["operation"]]) for s in session["steps"]]
    return Plan(
        source=session["source"],
        steps=steps,
        seeds=[Seed(**{"version": None, "properties": None, **seed}) for seed in session["seeds"]],
        outcomes=dict(session["outcomes"]),
        out_of_scope=Counter(session["out_of_scope"]),
        recorded_paths=list(session["identity"]),
    )


def _lro_aliases(plan: Plan) -> dict[str, str]:
    """Signed LRO URLs (kilobytes each) -> a short stand-in that stays distinct and keeps the api-version."""
    aliases = {}
    for step in plan.steps:
        for name in COMPARED_HEADERS:
            value = step.exchange.header(name)
            if value and value.startswith(("http://", "https://")):
                full = re.sub(r"^[a-z]+://[^/]+", "", value, flags=re.I)
                path, _, query = full.partition("?")
                api = re.search(r"(?:^|&)api-version=([^&]+)", query)
                digest = hashlib.sha256(full.encode()).hexdigest()[:10]
                aliases[full] = f"{path}?" + (f"api-version={api.group(1)}&" if api else "") + f"recorded={digest}"
    return aliases


def _entry(exchange: Exchange, aliases: dict[str, str]) -> dict[str, Any]:
    def alias(url: str) -> str:
        host = re.match(r"^[a-z]+://[^/]+", url, flags=re.I)
        rest = url[host.end() :] if host else url
        return (host.group(0) if host else "") + aliases.get(rest, rest)

    headers = {k: alias(v) for k, v in exchange.headers.items() if k.lower() in {h.lower() for h in COMPARED_HEADERS}}
    return {
        "Index": exchange.index,
        "RequestUri": alias(exchange.url),
        "RequestMethod": exchange.method,
        "RequestBody": exchange.request_body,
        "StatusCode": exchange.status,
        "ResponseHeaders": headers,
        "ResponseBody": skeleton(exchange.body),
    }


def skeleton(value: Any, key: str = "") -> Any:
    """The answer as ``compare`` sees it: keys, JSON types, identifiers, names, ids, messages and the forms of
    URIs and JSON text (a form is a string of its own form); other text is ""."""
    if isinstance(value, dict):
        return {k: skeleton(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [skeleton(v, key) for v in value]
    if isinstance(value, str) and key not in _KEPT and not IDENTIFIER.match(value):
        return string_form(value) or ""
    return value


def dumps(document: dict[str, Any]) -> str:
    """Compact JSON, one line per exchange, so that a change to the fixture reads as a small diff."""

    def line(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    sessions = []
    for session in document["sessions"]:
        head = line({k: v for k, v in session.items() if k != "steps"})[:-1]
        steps = ",\n  ".join(line(step) for step in session["steps"])
        sessions.append(f'{head},"steps":[\n  {steps}]}}')
    return f'{{"format":{line(document["format"])},"sessions":[\n' + ",\n".join(sessions) + "]}\n"


def main(argv: list[str] | None = None) -> None:
    from tests.azureml_double.conformance.check import load_plans

    parser = argparse.ArgumentParser(prog="python -m tests.azureml_double.conformance.distill", description=__doc__)
    parser.add_argument("recordings", type=Path)
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_FIXTURE)
    args = parser.parse_args(argv)
    document = distill(load_plans(args.recordings))
    args.output.write_text(dumps(document))
    steps = sum(len(s["steps"]) for s in document["sessions"])
    print(f"{args.output}: {len(document['sessions'])} recordings, {steps} exchanges")


if __name__ == "__main__":
    main()
