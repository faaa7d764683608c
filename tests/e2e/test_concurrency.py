"""Under the real engine and the stock dynamic-provider host: every job of a stack waits at once.

The host serves calls from four threads as shipped, and a job's create holds one until the job
ends; one host serves every job of the stack all the same (the provider widens its pool, see
components/provider/host_threads.py), bounded only by each compute's `local.concurrency` slots.
A job added later disturbs none of them; it fails, message first.
The engine itself runs at most `--parallel` operations at once (the Makefile sets 64, as these
runs do); a preview warns when more jobs wait than that.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml
from pulumi import automation as auto

from components.spec.parallelism import MAKE_PARALLEL
from tests.e2e.harness import copy_project, engine_env, resource_error, select_stack
from tests.e2e.test_errors import FAILING_JOB, assert_message_first

CONCURRENCY = 2
# Three computes of two slots run five jobs at once (more than the host's four threads); `a`
# has one more, which must wait for a slot.
JOBS = {"a0": "a", "a1": "a", "a2": "a", "b0": "b", "b1": "b", "c0": "c"}
AT_ONCE = 5

# Each job arrives at a barrier (a folder of files) and waits, up to a minute, until AT_ONCE
# jobs have arrived: with fewer running at once it fails. A job that comes later passes at once.
JOB_YAML = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
command: >-
  date +%s.%N > ${{{{outputs.span}}}}/start &&
  touch {barrier}/{key} &&
  for i in $(seq 600); do [ $(ls {barrier} | wc -l) -ge {at_once} ] && break; sleep 0.1; done &&
  [ $(ls {barrier} | wc -l) -ge {at_once} ] &&
  date +%s.%N > ${{{{outputs.span}}}}/end
outputs:
  span:
    type: uri_folder
environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest
compute: azureml:{compute}
"""


def write_job(project: Path, key: str, compute: str) -> None:
    barrier = project / "barrier"
    barrier.mkdir(exist_ok=True)
    text = JOB_YAML.format(barrier=barrier, key=key, at_once=AT_ONCE, compute=compute)
    (project / "jobs" / f"{key}.yml").write_text(text)


def write_stack(project: Path, jobs: dict[str, str]) -> None:
    config = {
        "azureml-training:target": "local",
        "azureml-training:local": {"concurrency": CONCURRENCY},
        "azureml-training:jobs": [{"file": f"jobs/{key}.yml", "key": key} for key in jobs],
    }
    (project / "stacks" / "Pulumi.local.yaml").write_text(yaml.safe_dump({"config": config}))


def spans(project: Path, outputs: dict) -> dict[str, tuple[float, float]]:
    """Each job's (start, end), as its process wrote them into its output folder."""
    found = {}
    for key, job in outputs["jobs"].items():
        folder = Path(job["url"].removeprefix("file://")) / "outputs" / "span"
        found[key] = (float((folder / "start").read_text()), float((folder / "end").read_text()))
    return found


def most_at_once(intervals: list[tuple[float, float]]) -> int:
    events = sorted(itertools.chain(((start, 1) for start, _ in intervals), ((end, -1) for _, end in intervals)))
    running = peak = 0
    for _, change in events:
        running += change
        peak = max(peak, running)
    return peak


def test_more_waiting_jobs_than_host_threads_run_at_once_within_each_computes_slots(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    for key, compute in JOBS.items():
        write_job(project, key, compute)
    write_stack(project, JOBS)
    stack = select_stack(project, "local", engine_env(tmp_path / "state", {"PULUMI_PARALLEL": str(MAKE_PARALLEL)}))

    outputs = {k: v.value for k, v in stack.up().outputs.items()}
    ran = spans(project, outputs)
    assert {job["status"] for job in outputs["jobs"].values()} == {"Completed"}, "all passed the barrier: five ran at once"
    resources = stack.export_stack().deployment["resources"]
    instances = {r["urn"].rsplit("::", 1)[-1] for r in resources if r["type"] == "pulumi:providers:pulumi-python"}
    assert instances == {"azureml-assets"}, "one provider instance (one host process) serves the whole stack"
    served_by = {r["provider"].split("::")[-2] for r in resources if r["type"].startswith("pulumi-python:dynamic")}
    assert served_by == {"azureml-assets"}, served_by
    for compute in set(JOBS.values()):
        on_compute = [span for key, span in ran.items() if JOBS[key] == compute]
        assert most_at_once(on_compute) <= CONCURRENCY, f"compute {compute} ran more than its {CONCURRENCY} slots: {on_compute}"

    # A new job: nothing else moves, nothing is replaced or run again.
    # It fails, and its error reads message first.
    (project / "jobs" / "late.yml").write_text(FAILING_JOB)
    write_stack(project, {**JOBS, "late": "b"})
    shown: list[str] = []
    preview = stack.preview(on_output=shown.append)
    warning = "stacks/Pulumi.local.yaml: jobs/late.yml: environment: azureml:AzureML-sklearn-1.5-ubuntu22.04-py39-cpu:1 is curated"
    assert warning in "\n".join(shown), "what the local target ignores is named at preview"
    assert preview.change_summary == {"create": 1, "same": preview.change_summary["same"]}, preview.change_summary
    with pytest.raises(auto.CommandError) as failed:
        stack.up()
    error = resource_error(failed.value)
    assert error[0].startswith("azureml-training: job azureml-training-local-late-"), error
    assert error[0].endswith("failed with exit status 3."), error
    assert "ValueError: no column named label" in error[2:], error  # the log's tail, after the line naming the log
    assert_message_first(error, "late")
    jobs = {r["outputs"]["key"]: r["outputs"]["name"] for r in stack.export_stack().deployment["resources"] if r["type"].endswith(":Job")}
    assert jobs == {key: job["name"] for key, job in outputs["jobs"].items()}
    assert spans(project, outputs) == ran


def stack_warnings(stack: auto.Stack, **options: object) -> list[str]:
    """The warnings a `pulumi preview` emits, each once, as the engine's diagnostic events carry them."""
    events: list[auto.EngineEvent] = []
    stack.preview(on_event=events.append, **options)
    return [e.diagnostic_event.message.strip() for e in events if e.diagnostic_event and e.diagnostic_event.severity == "warning"]


def test_preview_warns_when_more_jobs_wait_than_the_engine_runs_operations_at_once(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    jobs = {"a0": "a", "a1": "a", "b0": "b"}
    for key, compute in jobs.items():
        write_job(project, key, compute)
    write_stack(project, jobs)
    # PULUMI_PARALLEL, as `make preview` sets it, reaches the program through the CLI and its language host.
    stack = select_stack(project, "local", engine_env(tmp_path / "state", {"PULUMI_PARALLEL": "2"}))
    queued = "stacks/Pulumi.local.yaml: 3 jobs wait for their runs but the engine runs at most 2 operations at once"
    warnings = [w for w in stack_warnings(stack) if "operations at once" in w]
    assert len(warnings) == 1 and warnings[0].startswith(queued) and "\n" not in warnings[0], f"once, in one line: {warnings}"

    # `--parallel` wins over the variable; with room for every job, nothing is said.
    assert not [w for w in stack_warnings(stack, parallel=3) if "operations at once" in w]
