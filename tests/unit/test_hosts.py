"""Which provider instance (host process) serves which asset, under mocks: one for the stack, however many jobs."""

from __future__ import annotations

from typing import Any

import pytest

from components.provider import hosts
from tests.unit.harness import Run, run_stack

PROVIDER = "pulumi:providers:pulumi-python"


def served_by(run: Run) -> dict[str, str]:
    """Each dynamic resource's provider instance, by name."""
    return {r.name: r.provider.split("::")[-2] for r in run.resources if r.type.startswith("pulumi-python:dynamic")}


def local_stack(jobs: int) -> dict[str, Any]:
    entries = [{"file": "jobs/train-job.yml", "key": f"train{index}"} for index in range(jobs)]
    return {"target": "local", "environments": [{"file": "jobs/environment.yml"}], "jobs": entries}


def test_one_instance_serves_every_asset_and_job_of_the_stack() -> None:
    run = run_stack("local", config=local_stack(12))
    assert [r.name for r in run.of_type(PROVIDER)] == [hosts.SHARED]
    assert set(served_by(run).values()) == {hosts.SHARED}
    assert len([name for name in served_by(run) if name.startswith("train")]) == 12


def test_a_host_the_provider_cannot_widen_gets_a_host_per_job(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hosts, "stock_host_can_widen", lambda: False)
    run = run_stack("local", config=local_stack(3))
    instances = {r.name: r for r in run.of_type(PROVIDER)}
    assert set(instances) == {hosts.SHARED, "job-train0", "job-train1", "job-train2"}
    jobs = {name: instance for name, instance in served_by(run).items() if name.startswith("train")}
    assert jobs == {f"train{i}": f"job-train{i}" for i in range(3)}
    assert {instance for name, instance in served_by(run).items() if name not in jobs} == {hosts.SHARED}
    # The engine starts hosts one by one: the job hosts after the shared one, while the workspace is made.
    assert all(instances[hosts.SHARED].urn in instances[f"job-train{i}"].dependencies for i in range(3))
