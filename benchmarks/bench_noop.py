"""Benchmark: how fast a no-op preview decides that nothing changed.

Run with `make bench`. Measures, with the real code and no mocks:
- `check` + `diff` of a job's properties in the provider (pure: no network, no azure-ai-ml);
- a whole no-op `pulumi preview` of the local stack under the real engine (after one `up`);
- how that preview grows with the number of jobs: local stacks of 4 and of 32 trivial jobs, in
  three alternating rounds, the ratio of the medians.
Prints a table; nothing is asserted (that's the tests' job: see tests/provider/test_providers.py).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_concurrency import ENGINE, write_stack
from pulumi import automation as auto

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from components.provider.providers import JobProvider  # noqa: E402
from tests.e2e.harness import copy_project, engine_env, select_stack  # noqa: E402
from tests.provider.test_providers import job_props  # noqa: E402


def measure(label: str, action: Callable[[], object], repeat: int) -> None:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    print(f"{label:<45} median {statistics.median(times) * 1000:10.2f} ms   min {min(times) * 1000:10.2f} ms   n={repeat}")


FEW_JOBS, MANY_JOBS, ROUNDS = 4, 32, 3


def trivial_jobs_stack(tmp: Path, jobs: int) -> auto.Stack:
    """A local stack of `jobs` jobs that echo, deployed once."""
    project = copy_project(tmp / f"project-{jobs}")
    config = {"azureml-training:target": "local", "azureml-training:local": {"concurrency": 8}}
    write_stack(project, "local", jobs, config, "echo done")
    stack = select_stack(project, "local", engine_env(tmp / f"state-{jobs}", ENGINE))
    stack.up()
    return stack


def preview_growth() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        stacks = {jobs: trivial_jobs_stack(Path(tmp), jobs) for jobs in (FEW_JOBS, MANY_JOBS)}
        seconds: dict[int, list[float]] = {jobs: [] for jobs in stacks}
        for _ in range(ROUNDS):
            for jobs, stack in stacks.items():
                start = time.perf_counter()
                stack.preview(expect_no_changes=True)
                seconds[jobs].append(time.perf_counter() - start)
        for jobs, times in seconds.items():
            rounds = ", ".join(f"{t:.2f}" for t in times)
            print(f"no-op `pulumi preview`, {jobs:>2} trivial local jobs   median {statistics.median(times):7.2f} s   rounds {rounds}")
        ratio = statistics.median(seconds[MANY_JOBS]) / statistics.median(seconds[FEW_JOBS])
        print(f"no-op preview of {MANY_JOBS} jobs / {FEW_JOBS} jobs: {ratio:.2f} (goal <= 1.5)")
        for stack in stacks.values():
            stack.destroy()


def main() -> None:
    provider, olds, news = JobProvider(), job_props(), job_props()
    measure("provider check + diff (no change)", lambda: provider.diff("id", olds, provider.check(olds, news).inputs), 2000)
    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(Path(tmp) / "project")
        stack = select_stack(project, "local", engine_env(Path(tmp) / "state"))
        stack.up()
        measure("no-op `pulumi preview` of the local stack", lambda: stack.preview(expect_no_changes=True), 3)
        stack.destroy()
    preview_growth()


if __name__ == "__main__":
    main()
