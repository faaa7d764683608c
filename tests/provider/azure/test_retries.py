"""Transient faults: the SDK's retry policy absorbs throttling and server errors; a long wait outlives an outage."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from components.provider.azure import retry
from components.provider.azure.backend import AzureBackend
from tests.azureml_double import AzureMLDouble
from tests.provider.azure.builders import Project, command_job, environment_props, ticking, workspace


def test_throttled_put_is_retried_after_the_services_retry_after(
    backend: AzureBackend, aml_double: AzureMLDouble, project: Project
) -> None:
    aml_double.inject_fault("PUT", r"/environments/sklearn/versions/1$", status=429, retry_after=0.5)

    started = time.monotonic()
    outs = backend.put_environment(environment_props(aml_double, project))

    assert outs == {"asset_id": "azureml:sklearn:1"}
    assert [r.status for r in aml_double.find("PUT", r"/environments/sklearn/versions/1$")] == [429, 201]
    assert time.monotonic() - started >= 0.5


@pytest.mark.usefixtures("registered_environment")  # the job names azureml:sklearn:1
def test_server_error_and_dropped_connection_are_retried(backend: AzureBackend, aml_double: AzureMLDouble, project: Project) -> None:
    aml_double.inject_fault("GET", r"/jobs/[^/]+$", status=503)
    aml_double.inject_fault("PUT", r"/jobs/[^/]+$", reset=True)

    outs = backend.submit_job(command_job(aml_double, project))

    assert outs["status"] == "Completed"
    assert [r.status for r in aml_double.find("PUT", r"/jobs/[^/]+$")] == [0, 201]


@pytest.mark.usefixtures("registered_environment")  # the job names azureml:sklearn:1
def test_wait_outlives_an_outage_longer_than_the_sdks_retries(aml_double: AzureMLDouble, project: Project) -> None:
    slept: list[float] = []

    def outage_then_tick(seconds: float) -> None:
        slept.append(seconds)
        if not aml_double.faults:  # the outage starts once the job is being waited for
            aml_double.inject_fault("GET", r"/jobs/[^/]+$", status=503, times=3)
            aml_double.inject_fault("GET", r"/jobs/[^/]+$", status=429, retry_after=0.1)
        aml_double.tick()

    # No SDK retries at all: every failed status check reaches the wait loop, which asks again later.
    polling = replace(ticking(aml_double), sleep=outage_then_tick)
    backend = AzureBackend(workspace(aml_double), polling=polling, client_options={"retry_total": 0})

    outs = backend.submit_job(command_job(aml_double, project))

    assert outs["status"] == "Completed"
    statuses = [r.status for r in aml_double.find("GET", r"/jobs/[^/]+$")]
    assert statuses[:5] == [404, 503, 503, 503, 429]
    assert 0.1 in slept  # the loop's own pause honours the service's Retry-After


@pytest.mark.usefixtures("registered_environment")  # the job names azureml:sklearn:1
def test_a_dropped_post_the_sdk_gives_up_on_is_retried_whole_and_submits_once(
    backend: AzureBackend, aml_double: AzureMLDouble, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retry, "DELAYS", (0.0,))
    # azure-core never retries a POST whose connection dropped; the code upload starts with one.
    aml_double.inject_fault("POST", r"/codes/[^/]+/versions/[^/]+/startPendingUpload$", status=None, reset=True)

    outs = backend.submit_job(command_job(aml_double, project))

    assert outs["status"] == "Completed"
    assert [r.fault for r in aml_double.find("POST", r"/startPendingUpload$")] == ["reset", None]
    assert [r.status for r in aml_double.find("PUT", r"/jobs/[^/]+$")] == [201]


def test_a_failure_that_is_not_transient_is_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retry, "DELAYS", (0.0, 0.0))
    calls: list[int] = []

    @retry.retries_transient_failures
    class Flaky:
        def put(self) -> None:
            calls.append(1)
            raise ValueError("the definition is wrong")

    with pytest.raises(ValueError, match="the definition is wrong"):
        Flaky().put()
    assert calls == [1]
