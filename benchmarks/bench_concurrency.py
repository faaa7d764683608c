"""Benchmark: do a stack's jobs wait together? Ratios measured side by side in one run.

Run with `make bench`. With the real engine, the stock dynamic-provider host and no mocks:
- local: `pulumi up` of a stack of 12 independent 20 s jobs on a 12-slot pool, against a stack
  of one such job (1.0 would be perfect overlap), in three alternating rounds: the ratio of the medians;
- Azure path, against the loopback Azure ML double with a per-request latency and a job runtime
  injected (the double's clock ticks in wall time): `pulumi up` of 16 and of 48 jobs (`wait: true`),
  with the CPU time and peak memory (PSS) of the process tree it starts (process_tree.py), against
  an azure-ai-ml script that submits the 16 jobs, then polls each until it ends, on the provider's
  own schedule (5 s, then 1.5 times longer, at most 30 s), so the comparison is of the approach.
Prints a table of wall times, ratios, requests, CPU and memory per job; nothing is asserted.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml
from process_tree import TreeMeter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from components.provider.azure.polling import Polling, status_of, stops_waiting  # noqa: E402
from components.spec.parallelism import MAKE_PARALLEL  # noqa: E402
from tests.azureml_double import AzureMLDouble, Azurite, routed  # noqa: E402
from tests.azureml_double.jobs import JobScript  # noqa: E402
from tests.e2e.harness import copy_project, engine_env, select_stack  # noqa: E402

LOCAL_JOBS, LOCAL_SECONDS = 12, 20
LOCAL_ROUNDS = 3  # one up of each is too noisy on a small shared machine: ratios of single runs ranged 1.15 to 1.30
AZURE_JOBS = 16
AZURE_MANY_JOBS = 48  # the memory and CPU each job adds: measured between this and AZURE_JOBS
REQUEST_LATENCY = 0.05  # seconds the double adds to every answer
TICK = 0.25  # seconds per tick of the double's job clock
RUNNING_TICKS = 24  # a job runs 6 s; with Queued, Starting, Preparing and Finalizing, about 7 s in all
# `pulumi up` as `make up` runs it: with the engine limit the Makefile exports (yours, if set).
ENGINE = {"PULUMI_PARALLEL": os.environ.get("PULUMI_PARALLEL", str(MAKE_PARALLEL))}

JOB = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
command: {command}
environment: azureml:AzureML-sklearn-1.5-ubuntu22.04-py39-cpu:1
compute: azureml:cpu-cluster
"""


def write_stack(project: Path, stack: str, jobs: int, config: dict, command: str) -> list[Path]:
    files = []
    for index in range(jobs):
        path = project / "jobs" / f"bench-{index}.yml"
        path.write_text(JOB.format(command=f"{command} # job {index}"))
        files.append(path)
    entries = [{"file": f"jobs/{path.name}", "key": path.stem} for path in files]
    (project / "stacks" / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": {**config, "azureml-training:jobs": entries}}))
    return files


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def local_up(jobs: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(Path(tmp) / "project")
        config = {"azureml-training:target": "local", "azureml-training:local": {"concurrency": LOCAL_JOBS}}
        write_stack(project, "local", jobs, config, f"sleep {LOCAL_SECONDS}")
        stack = select_stack(project, "local", engine_env(Path(tmp) / "state", ENGINE))
        return timed(stack.up)


@contextmanager
def ticking(double: AzureMLDouble) -> Iterator[None]:
    """The double's jobs move on in wall time, as real ones do."""
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(TICK):
            double.tick()

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def fresh(double: AzureMLDouble) -> None:
    double.reset()
    double.add_compute("cpu-cluster")
    double.latency = REQUEST_LATENCY
    double.default_script = JobScript(running_ticks=RUNNING_TICKS)


@dataclass(frozen=True)
class AzureUp:
    jobs: int
    seconds: float
    requests: int
    meter: TreeMeter


def azure_up(double: AzureMLDouble, tmp: Path, jobs: int) -> AzureUp:
    project = copy_project(tmp / "project")
    workspace = {"existing": True, "subscriptionId": double.subscription_id, "resourceGroup": double.resource_group}
    config = {"azureml-training:target": "azure", "azureml-training:workspace": {**workspace, "name": double.workspace}}
    write_stack(project, "bench", jobs, config, "python train.py")
    stack = select_stack(project, "bench", engine_env(tmp / "state", {**double.subprocess_env(), **ENGINE}))
    stack.preview()  # the program's first run validates the YAMLs with azure-ai-ml, as a script's load_job does: not timed
    fresh(double)
    with ticking(double), TreeMeter() as meter:
        seconds = timed(stack.up)
    return AzureUp(jobs, seconds, len(double.requests), meter)


def wait(ml: object, name: str) -> None:
    for delay in Polling().delays():
        time.sleep(delay)
        if stops_waiting(status_of(ml.jobs.get(name))):
            return


def submit_all_then_poll(ml: object, files: list[Path]) -> None:
    from azure.ai.ml import load_job

    waiting = [ml.jobs.create_or_update(load_job(path)).name for path in files]
    for delay in Polling().delays():
        time.sleep(delay)
        waiting = [name for name in waiting if not stops_waiting(status_of(ml.jobs.get(name)))]
        if not waiting:
            return


def azure_script(double: AzureMLDouble, tmp: Path, script: Callable[[object, list[Path]], None]) -> float:
    from azure.ai.ml import MLClient
    from azure.identity import DefaultAzureCredential

    for folder in ("jobs", "stacks"):
        (tmp / folder).mkdir(parents=True)
    files = write_stack(tmp, "script", AZURE_JOBS, {}, "python train.py")
    with routed(double.url, double.blob_endpoint):
        ml = MLClient(DefaultAzureCredential(), double.subscription_id, double.resource_group, double.workspace)
        fresh(double)
        with ticking(double):
            return timed(lambda: script(ml, files))


def row(label: str, seconds: float, ratio: float | None = None, note: str = "") -> None:
    shown = f"{ratio:7.2f}" if ratio is not None else " " * 7
    print(f"{label:<48} {seconds:7.1f}s {shown}  {note}", flush=True)


def main() -> None:
    parts = sys.argv[1:] or ["local", "azure"]  # `bench_concurrency.py azure` measures one part
    print(f"{'measurement':<48} {'wall':>8} {'ratio':>7}  note", flush=True)
    if "local" in parts:
        local()
    if "azure" in parts:
        azure()


def local() -> None:
    """Alternating rounds, so a machine that slows down (other work, a warming cache) weighs on both sides alike."""
    one, many = [], []
    for _ in range(LOCAL_ROUNDS):
        one.append(local_up(1))
        many.append(local_up(LOCAL_JOBS))
    spread = ", ".join(f"{m / o:.2f}" for o, m in zip(one, many, strict=True))
    row(f"local: 1 job of {LOCAL_SECONDS} s (median of {LOCAL_ROUNDS})", statistics.median(one))
    ratio = statistics.median(many) / statistics.median(one)
    label = f"local: {LOCAL_JOBS} jobs, {LOCAL_JOBS} slots (median of {LOCAL_ROUNDS})"
    row(label, statistics.median(many), ratio, f"vs 1 job (goal <= 1.4); each round: {spread}")


def azure() -> None:
    with Azurite() as azurite, AzureMLDouble(blob_endpoint=azurite.blob_endpoint) as double, tempfile.TemporaryDirectory() as tmp:
        few, many = (azure_up(double, Path(tmp) / f"up-{jobs}", jobs) for jobs in (AZURE_JOBS, AZURE_MANY_JOBS))
        for up in (few, many):
            note = (
                f"{up.requests / up.jobs:.1f} requests/job; process tree: {up.meter.cpu_seconds:.1f} CPU-s, "
                f"peak {up.meter.peak_pss_mib:.0f} MiB PSS, at most {up.meter.most_processes} processes"
            )
            row(f"azure: {up.jobs} jobs, pulumi up", up.seconds, None, note)
        extra = many.jobs - few.jobs
        memory = (many.meter.peak_pss_mib - few.meter.peak_pss_mib) / extra
        cpu = (many.meter.cpu_seconds - few.meter.cpu_seconds) / extra
        print(f"azure: each job beyond {few.jobs} adds {memory:.1f} MiB PSS and {cpu:.2f} CPU-s (goal <= 25 MiB, <= 0.5 s)")
        seconds = azure_script(double, Path(tmp) / "script", submit_all_then_poll)
        note = f"{len(double.requests) / AZURE_JOBS:.1f} requests/job; ratio = pulumi up / script (goal <= 1.3)"
        row(f"azure: {AZURE_JOBS} jobs, script: submit all, then poll", seconds, few.seconds / seconds, note)
        job_seconds = (RUNNING_TICKS + 4) * TICK
        print(f"(azure: {REQUEST_LATENCY * 1000:.0f} ms per request, jobs of about {job_seconds:.0f} s)")


if __name__ == "__main__":
    main()
