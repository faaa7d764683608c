"""How much a job may run: a sweep's trials, and the time limits of jobs, sweeps and their trials.

A job resource carries its YAML body as `definition` (a pipeline's inline steps under `jobs`, each checked as
the job it is) and the stack file's `timeoutMinutes` as `timeout_minutes`. Azure ML's own limits are in
seconds (`limits.timeout`, `limits.trial_timeout`); the policy config says minutes, as the stack file does.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from .policy import guardrail, whole_number
from .resources import is_job, known, mapping, number


def _bodies(definition: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The job itself, and a pipeline's inline steps, each with the path that names it in the YAML."""
    yield "", definition
    if known(definition, "type") == "pipeline":
        for step, body in mapping(known(definition, "jobs")).items():
            yield f"jobs.{step}.", mapping(body)


def _above(value: Any, limit: float | None) -> bool:
    return isinstance(value, int | float) and limit is not None and value > limit


def _sweep_limits(where: str, limits: Mapping[str, Any], config: Mapping[str, Any]) -> Iterator[str]:
    trials, most = known(limits, "max_total_trials"), config.get("maxTotalTrials")
    if most is not None and trials is None:
        yield f"{where}limits.max_total_trials is not set; this stack allows at most {number(most)} trials (maxTotalTrials)"
    elif _above(trials, most):
        yield f"{where}limits.max_total_trials is {number(trials)}, above this stack's maxTotalTrials of {number(most)}"
    concurrent, most = known(limits, "max_concurrent_trials"), config.get("maxConcurrentTrials")
    if _above(concurrent, most):
        yield f"{where}limits.max_concurrent_trials is {number(concurrent)}, above this stack's maxConcurrentTrials of {number(most)}"
    trial_timeout, minutes = known(limits, "trial_timeout"), config.get("maxTrialTimeoutMinutes")
    if _above(trial_timeout, None if minutes is None else minutes * 60):
        yield f"{where}limits.trial_timeout is {number(trial_timeout)} s, above this stack's maxTrialTimeoutMinutes of {number(minutes)}"


def _job_limits(args: ResourceValidationArgs, config: Mapping[str, Any]) -> Iterator[str]:
    if not is_job(args.resource_type, args.props):
        return
    job, minutes = known(args.props, "key", args.name), config.get("maxTimeoutMinutes")
    waits = known(args.props, "timeout_minutes")
    if _above(waits, minutes):
        yield f"job {job}: timeoutMinutes is {number(waits)}, above this stack's maxTimeoutMinutes of {number(minutes)}"
    for where, body in _bodies(mapping(known(args.props, "definition"))):
        limits = mapping(known(body, "limits"))
        if known(body, "type") == "sweep":
            yield from (f"job {job}: {message}" for message in _sweep_limits(where, limits, config))
        timeout = known(limits, "timeout")
        if _above(timeout, None if minutes is None else minutes * 60):
            yield f"job {job}: {where}limits.timeout is {number(timeout)} s, above this stack's maxTimeoutMinutes of {number(minutes)}"


job_limits = guardrail(
    "job-limits",
    "Jobs and sweeps stay within the stack's trial and time limits.",
    _job_limits,
    {
        "maxTotalTrials": whole_number("The most trials a sweep may run (limits.max_total_trials, which must then be set).", 1),
        "maxConcurrentTrials": whole_number("The most trials a sweep may run at once (limits.max_concurrent_trials).", 1),
        "maxTimeoutMinutes": whole_number("The longest a job may run: its YAML's limits.timeout and its stack entry's timeoutMinutes.", 1),
        "maxTrialTimeoutMinutes": whole_number("The longest a sweep's trial may run (limits.trial_timeout).", 1),
    },
)
