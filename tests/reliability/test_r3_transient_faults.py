"""R3: a six-job deploy of an existing-workspace stack while 30 % of the Azure ML calls fail
(429, 503, dropped connections) succeeds, and submits every job exactly once."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from tests.reliability.deployments import FAULT_RATE, JOB_KEYS, JOB_PUT, Deployment

AREA = pytest.mark.reliability("R3", "transient faults", f"held under {FAULT_RATE:.0%} injected faults")


def job_puts(deployment: Deployment) -> Counter[str]:
    """Answered PUTs per job path (a faulted attempt never reached the service, so it is no submission)."""
    return Counter(
        r.path
        for r in deployment.requests
        if r.method == "PUT" and re.search(JOB_PUT, r.path) and r.fault is None and r.status in (200, 201)
    )


def test_faults_were_injected_at_the_rate_and_of_every_kind(azure_deployment: Deployment) -> None:
    faulted = [r for r in azure_deployment.requests if r.fault]
    assert 0.2 < len(faulted) / len(azure_deployment.requests) < 0.4
    assert {r.fault for r in faulted} == {"429", "503", "reset"}
    assert {r.fault for r in faulted if r.method == "PUT" and re.search(JOB_PUT, r.path)} >= {"429", "reset"}


@AREA
def test_the_deploy_succeeds_with_every_job_submitted(azure_deployment: Deployment, reliability_facts: Counter[str]) -> None:
    faulted = [r for r in azure_deployment.requests if r.fault]
    reliability_facts["jobs"] += len(azure_deployment.outputs["jobs"])
    reliability_facts["requests"] += len(azure_deployment.requests)
    reliability_facts["faults injected"] += len(faulted)
    reliability_facts["calls retried whole"] += azure_deployment.log.count("failed transiently")
    assert set(azure_deployment.outputs["jobs"]) == set(JOB_KEYS)
    names = {job["name"] for job in azure_deployment.outputs["jobs"].values()}
    assert names == set(azure_deployment.job_resources), "every job in the outputs exists in the workspace, and no other"


@AREA
def test_no_job_is_submitted_twice(azure_deployment: Deployment, reliability_facts: Counter[str]) -> None:
    puts = job_puts(azure_deployment)
    duplicates = sum(count - 1 for count in puts.values())
    reliability_facts["duplicate PUTs"] += duplicates
    assert len(puts) == len(JOB_KEYS)
    assert duplicates == 0, {path: count for path, count in puts.items() if count > 1}
