"""Sweep jobs: trials of one command over a search space; the best by the objective's metric wins.

Trials run in parallel up to `limits.max_concurrent_trials` (and the compute's slots), each
in its own folder `trials/<sweep>_<n>/` and as an MLflow child run of the sweep's run (tag
mlflow.parentRunId). `limits.timeout` bounds the whole sweep: trials not started by then are
canceled and running ones stopped; `limits.trial_timeout` bounds each trial. Early
termination policies need Azure ML's service, so every trial runs to its end here. The sweep
completes when at least one trial logged the primary metric; its outputs are the best trial's.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from components.provider.local.environments import resolve_environment
from components.provider.local.errors import InvalidDefinitionError, JobFailedError
from components.provider.local.inputs import resolve_inputs
from components.provider.local.job import JobContext, JobResult, code_path
from components.provider.local.progress import report, warn
from components.provider.local.records import write_record
from components.provider.local.runs import RunSpec, execute, own_run, snapshot
from components.provider.local.sampling import Trial, sample_trials
from components.provider.local.tracking_client import PARENT_RUN_TAG
from components.provider.local.workspace import LocalWorkspace

_GOALS = ("maximize", "minimize")


@dataclass(frozen=True)
class Objective:
    metric: str
    goal: str


@dataclass(frozen=True)
class TrialOutcome:
    name: str
    params: Trial
    status: str
    run_id: str | None = None
    metric: float | None = None
    outputs: Mapping[str, Path] = field(default_factory=dict)
    error: str | None = None
    started: float | None = None
    ended: float | None = None

    def record(self) -> dict[str, Any]:
        return {**self.__dict__, "outputs": {name: str(path) for name, path in self.outputs.items()}}


def run_sweep_job(job: JobContext, workspace: LocalWorkspace) -> JobResult:
    definition, layout = job.definition, workspace.layout
    objective = _objective(definition, job.subject)
    limits = definition.get("limits") or {}
    trials = sample_trials(
        definition.get("search_space") or {}, definition.get("sampling_algorithm"), limits.get("max_total_trials"), job.name, job.subject
    )
    if definition.get("early_termination"):
        warn(job.subject, "early termination needs Azure ML's service: every trial runs to its end here")
    trial = definition.get("trial") or {}
    if not trial.get("command"):
        raise InvalidDefinitionError(f"{job.subject} has no trial.command")
    snapshot(code_path(trial.get("code"), job.base_dir, job.subject), job.folder / "code", layout.path)
    timeout = limits.get("timeout")
    template = RunSpec(
        subject=job.subject,
        name=job.name,
        folder=job.folder,
        code=job.folder / "code",
        command=str(trial["command"]),
        inputs=resolve_inputs(layout, definition.get("inputs"), job.base_dir, job.subject),
        outputs=definition.get("outputs") or {},
        python=resolve_environment(layout, trial.get("environment"), job.base_dir, job.subject),
        compute=definition.get("compute"),
        experiment_name=job.experiment_name,
        experiment_id=job.experiment_id,
        deadline=min(job.deadline, time.monotonic() + timeout) if timeout else job.deadline,
        timeout=limits.get("trial_timeout"),
        environment_variables=trial.get("environment_variables") or {},
    )
    run_id = own_run(job.folder, workspace, job.experiment_id, job.name, job.tags)
    status = "FAILED"
    try:
        outcomes = _run_trials(template, trials, limits.get("max_concurrent_trials"), run_id, objective, workspace)
        best = _best(outcomes, objective, job.subject)
        status = "FINISHED"
    finally:
        workspace.tracking.finish_run(run_id, status)
    _summarize(workspace, run_id, best, objective, job.subject)
    return JobResult(run_id, best.outputs, best.name, best.run_id)


def _run_trials(
    template: RunSpec, trials: list[Trial], max_concurrent: int | None, parent_run_id: str, objective: Objective, workspace: LocalWorkspace
) -> list[TrialOutcome]:
    workers = max(1, min(int(max_concurrent or len(trials)), len(trials)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=template.name) as pool:
        futures = [
            pool.submit(_run_trial, template, index, params, len(trials), parent_run_id, objective, workspace)
            for index, params in enumerate(trials)
        ]
        try:
            return [future.result() for future in futures]
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _run_trial(
    template: RunSpec, index: int, params: Trial, total: int, parent_run_id: str, objective: Objective, workspace: LocalWorkspace
) -> TrialOutcome:
    name = f"{template.name}_{index}"
    folder = template.folder / "trials" / name
    if time.monotonic() >= template.deadline:
        outcome = TrialOutcome(name, params, "Canceled", error="the sweep ran out of time before this trial started")
    else:
        tags = {PARENT_RUN_TAG: parent_run_id, "azureml.hyperparameters": json.dumps(params)}
        spec = replace(
            template, subject=f"trial {name}", name=name, folder=folder, search_space={k: str(v) for k, v in params.items()}, tags=tags
        )
        outcome = _execute_trial(spec, params, objective, workspace)
    shown = f" ({objective.metric}={outcome.metric:g})" if outcome.metric is not None else ""
    report(template.subject, f"trial {index + 1}/{total} {outcome.status}{shown}")
    write_record(folder / "trial.json", outcome.record())
    return outcome


def _execute_trial(spec: RunSpec, params: Trial, objective: Objective, workspace: LocalWorkspace) -> TrialOutcome:
    try:
        result = execute(spec, workspace)
    except JobFailedError as err:
        return TrialOutcome(spec.name, params, "Failed", error=str(err))
    metric = workspace.tracking.metric(result.run_id, objective.metric)
    return TrialOutcome(spec.name, params, "Completed", result.run_id, metric, result.outputs, started=result.started, ended=result.ended)


def _best(outcomes: list[TrialOutcome], objective: Objective, subject: str) -> TrialOutcome:
    scored = [outcome for outcome in outcomes if outcome.metric is not None]
    if scored:
        pick = max if objective.goal == "maximize" else min
        return pick(scored, key=lambda outcome: outcome.metric)
    if all(outcome.status != "Completed" for outcome in outcomes):
        first = next(outcome for outcome in outcomes if outcome.error)
        raise JobFailedError(f"{subject}: every trial failed. The first: {first.error}")
    raise JobFailedError(f"{subject}: no trial logged the primary metric {objective.metric!r} (log it with mlflow.log_metric)")


def _summarize(workspace: LocalWorkspace, run_id: str, best: TrialOutcome, objective: Objective, subject: str) -> None:
    """The sweep's own run shows the best trial and its metric, as Azure ML's sweep job does."""
    workspace.tracking.log_metric(run_id, objective.metric, best.metric)
    workspace.tracking.set_tags(run_id, {"azureml.best_trial": best.name})
    report(subject, f"best trial {best.name} ({objective.metric}={best.metric:g})")


def _objective(definition: Mapping[str, Any], subject: str) -> Objective:
    objective = definition.get("objective") or {}
    metric, goal = objective.get("primary_metric"), str(objective.get("goal", "")).lower()
    if not metric or goal not in _GOALS:
        raise InvalidDefinitionError(f"{subject}: objective needs primary_metric and goal (maximize or minimize)")
    return Objective(str(metric), goal)
