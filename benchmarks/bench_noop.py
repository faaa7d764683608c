"""Benchmark: how fast a no-op preview decides that nothing changed.

Run with `make bench`. Measures, with the real code and no mocks:
- `check` + `diff` of a job's properties in the provider (pure: no network, no azure-ai-ml);
- a whole no-op `pulumi preview` of the local stack under the real engine (after one `up`),
  split into the time the program takes to start and the engine's total.
Prints a table; nothing is asserted (that's the tests' job: see tests/provider/test_providers.py).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

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


def main() -> None:
    provider, olds, news = JobProvider(), job_props(), job_props()
    measure("provider check + diff (no change)", lambda: provider.diff("id", olds, provider.check(olds, news).inputs), 2000)
    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(Path(tmp) / "project")
        stack = select_stack(project, "local", engine_env(Path(tmp) / "state"))
        stack.up()
        measure("no-op `pulumi preview` of the local stack", lambda: stack.preview(expect_no_changes=True), 3)
        stack.destroy()


if __name__ == "__main__":
    main()
