"""Replay a plan against a fresh double and compare every answer.

Time. The service's jobs and operations move on their own between two requests; the double's move when its
clock ticks (``AzureMLDouble.tick``, a test control). The replay never ticks before a request that changes
something (PUT, POST, DELETE). Before a read of something that changes with time (a job, a long-running
operation's status), when the double's answer differs from the recorded one in time-dependent ways (status code,
LRO headers, a status-like value), the replay ticks the double's clock once and reads again, up to ``MAX_TICKS``
times (fewer once the answer cannot change any more: an error, a job that ended), and keeps the first answer
without such differences (its other differences are reported). The clock only goes forward and the replay adds
no tick before a read that already agrees, so this accepts exactly the recorded sequences of statuses the
double produces in that order, each held for as many reads as the recording shows: 17 polls answering Running
are 17 reads without a tick. A status the double skips or never reaches stays a mismatch, reported with the
statuses the double went through. A PUT of a job the double already has (it answers 200, not 201) changes
only the job's metadata and answers the job's state: it counts as a read of the job, sent again after each tick.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

from tests.azureml_double.conformance.client import DoubleClient
from tests.azureml_double.conformance.compare import Answer, Difference, compare
from tests.azureml_double.conformance.operations import LRO_HEADERS, LRO_POLL, replay_api_version
from tests.azureml_double.conformance.plan import TERMINAL, Plan, Step
from tests.azureml_double.conformance.recording import Exchange
from tests.azureml_double.conformance.rewrite import Rewriter
from tests.azureml_double.conformance.seeding import apply_seeds
from tests.azureml_double.server import AzureMLDouble

MAX_TICKS = 20
_TIME_DEPENDENT = re.compile(r"/jobs/[^/]+$|operationResults/|OperationResults/|OperationsStatus/|/operations/", re.IGNORECASE)


@dataclass
class StepResult:
    step: Step
    api_version: str | None
    answer: Answer | None
    differences: list[Difference]
    ticks: int = 0  # clock ticks before the answer kept (or tried in vain, when it still differs)
    seen: list[str] = field(default_factory=list)  # statuses the double showed while the clock moved


@dataclass
class PlanResult:
    plan: Plan
    results: list[StepResult]
    notes: list[str]


def replay(plan: Plan) -> PlanResult:
    with AzureMLDouble() as double:
        client = DoubleClient(double.port)
        try:
            rewriter = Rewriter(plan.recorded_paths, double.subscription_id, double.resource_group, double.workspace)
            notes = apply_seeds(double, client, plan.seeds, rewriter)
            _script_outcomes(double, plan.outcomes)
            return PlanResult(plan, _run_steps(plan, double, client, rewriter), notes)
        finally:
            client.close()


def _script_outcomes(double: AzureMLDouble, outcomes: dict[str, str]) -> None:
    """Jobs end as recorded; a pipeline's steps (``<pipeline>/<step>``) too, and the pipeline with them."""
    steps: dict[str, dict[str, dict[str, str]]] = {}
    for name, outcome in outcomes.items():
        pipeline, _, step = name.partition("/")
        if step:
            steps.setdefault(pipeline, {})[step] = {"outcome": outcome}
    for name, outcome in outcomes.items():
        if "/" not in name:
            double.script_job(name, outcome=outcome, steps=steps.pop(name, {}))
    for pipeline, by_step in steps.items():
        double.script_job(pipeline, steps=by_step)


def _run_steps(plan: Plan, double: AzureMLDouble, client: DoubleClient, rewriter: Rewriter) -> list[StepResult]:
    followed: dict[str, str] = {}  # recorded URL an answer gave (host-less) -> the one the double gave in its place
    results = []
    for step in plan.steps:
        result = _run_step(step, double, client, rewriter, followed)
        results.append(result)
        if result.answer is not None:
            followed.update(urls_to_follow(step.exchange, result.answer, rewriter))
    return results


def urls_to_follow(exchange: Exchange, answer: Answer, rewriter: Rewriter) -> dict[str, str]:
    """URLs a later request may follow: LRO headers and a list page's ``nextLink``, the recorded one -> the double's.

    (The double's body was renamed to the recording's identity for comparing; ``rewriter.text`` names it back.)
    """
    pairs = [(exchange.header(name), _header(answer, name)) for name in LRO_HEADERS]
    if isinstance(exchange.body, dict) and isinstance(answer.body, dict):
        pairs.append((exchange.body.get("nextLink"), answer.body.get("nextLink")))
    return {_host_less(str(recorded)): rewriter.text(_host_less(str(ours))) for recorded, ours in pairs if recorded and ours}


def _run_step(step: Step, double: AzureMLDouble, client: DoubleClient, rewriter: Rewriter, followed: dict[str, str]) -> StepResult:
    exchange = step.exchange
    target = followed.get(exchange.path_and_query)
    if target is not None:
        api_version = exchange.api_version
    elif step.operation is LRO_POLL:
        missing = Difference("header", "Location", "present", "absent (nothing to poll)")
        return StepResult(step, exchange.api_version, None, [missing])
    else:
        api_version = replay_api_version(step.operation, exchange.api_version)
        target = _with_api_version(rewriter.text(exchange.path_and_query), api_version)
    body = rewriter.value(exchange.request_body)
    upstream = f"https://{exchange.host}"
    recorded = Answer(exchange.status, exchange.headers, exchange.body)
    answer = _named_as_recorded(client.send(exchange.method, target, body, upstream=upstream), rewriter)
    differences = compare(recorded, answer)
    if exchange.method == "PUT" and isinstance(exchange.body, dict) and isinstance(answer.body, dict):
        rewriter.alias(rewriter.text(str(exchange.body.get("id") or "")), str(answer.body.get("id") or ""))
    result = StepResult(step, api_version, answer, differences)
    if differences and _reads_state(exchange, answer):
        _advance_until_match(result, double, client, rewriter, recorded, (exchange.method, target, body, upstream))
    return result


def _reads_state(exchange: Exchange, answer: Answer) -> bool:
    """A read of something that moves with time, or a PUT of a job the double already had (metadata only)."""
    if not _TIME_DEPENDENT.search(exchange.path):
        return False
    return exchange.method == "GET" or (exchange.method == "PUT" and answer.status == 200 and "/jobs/" in exchange.path)


def _named_as_recorded(answer: Answer, rewriter: Rewriter) -> Answer:
    return Answer(answer.status, answer.headers, rewriter.back(answer.body))


def _advance_until_match(
    result: StepResult,
    double: AzureMLDouble,
    client: DoubleClient,
    rewriter: Rewriter,
    recorded: Answer,
    request: tuple[str, str, object, str],
) -> None:
    """Tick and send the read again while the answer differs in time-dependent ways; keep the first that does not."""
    if not any(d.time_dependent for d in result.differences):
        return
    method, target, body, upstream = request
    result.seen.append(_status(result.answer))
    for tick in range(1, MAX_TICKS + 1):
        double.tick()
        answer = _named_as_recorded(client.send(method, target, body, upstream=upstream), rewriter)
        differences = compare(recorded, answer)
        if _status(answer) != result.seen[-1]:
            result.seen.append(_status(answer))
        if not any(d.time_dependent for d in differences):
            result.answer, result.differences, result.ticks = answer, differences, tick
            return
        if _settled(answer):
            result.ticks = tick
            return
    result.ticks = MAX_TICKS


def _settled(answer: Answer) -> bool:
    """No later moment changes this answer: an error, or a job that has ended."""
    body = answer.body if isinstance(answer.body, dict) else {}
    return answer.status >= 400 or (body.get("properties") or {}).get("status") in TERMINAL


def _status(answer: Answer | None) -> str:
    if answer is None:
        return ""
    body = answer.body if isinstance(answer.body, dict) else {}
    status = (body.get("properties") or {}).get("status") or body.get("status")
    return f"{answer.status} {status}" if status else str(answer.status)


def _header(answer: Answer, name: str) -> str | None:
    return next((v for k, v in answer.headers.items() if k.lower() == name.lower()), None)


def _host_less(url: str) -> str:
    return re.sub(r"^[a-z]+://[^/]+", "", url, flags=re.IGNORECASE)


def _with_api_version(path_and_query: str, api_version: str | None) -> str:
    parts = urlsplit(path_and_query)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "api-version"]
    if api_version:
        query.append(("api-version", api_version))
    return parts.path + (f"?{urlencode(query)}" if query else "")
