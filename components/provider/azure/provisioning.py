"""Waiting for an online endpoint or deployment: read its provisioning state until it settles, saying so as it goes.

azure-ai-ml hands back a poller for each create, update and delete, but polls on a fixed interval of its own
(5 s or 30 s) and prints dots to stdout; the provider reads the resource itself on its `Polling` schedule
instead (tests pass tiny delays), reports each change of state and, while provisioning takes minutes, a line
a minute. (The SDK's poller is not waited on; its thread polls on until the operation ends, and its dots go to
stdout, which the engine does not show.) A transient failure of one read is "no news", as for jobs (polling.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from components.provider.azure.errors import is_not_found, is_transient
from components.provider.azure.polling import Polling, elapsed
from components.provider.azure.report import report

SUCCEEDED = "Succeeded"
# Azure ML's provisioning states (azure-ai-ml's EndpointProvisioningState, DeploymentProvisioningState) that end an operation.
SETTLED = frozenset({"Succeeded", "Failed", "Canceled"})
# A managed deployment can take 20 minutes and more (image pull, model download); ARM gives its operations 30.
TIMEOUT_MINUTES = 45.0
# While nothing changes, a line this often: a silent minute reads like a hang.
_STILL_EVERY_SECONDS = 60.0


class ProvisioningTimeoutError(TimeoutError):
    """The endpoint or deployment is still provisioning at the deadline; Azure ML goes on with it."""


def state_of(resource: Any) -> str:
    state = getattr(resource, "provisioning_state", None)
    return str(getattr(state, "value", state) or "")


def wait_until_settled(fetch: Callable[[], Any], subject: str, polling: Polling, timeout_minutes: float = TIMEOUT_MINUTES) -> Any:
    """Read `fetch()` until its provisioning state settles (see SETTLED); the last resource read."""
    start = last_said = polling.clock()
    resource = fetch()
    state = state_of(resource)
    report(f"{subject}: {state}")
    for delay in polling.delays():
        if state in SETTLED:
            return resource
        _pause(polling, delay, start, timeout_minutes, f"{subject} is still {state}")
        resource = _read_or_keep(fetch, resource, subject)
        now = polling.clock()
        if state_of(resource) != state or now - last_said >= _STILL_EVERY_SECONDS:
            state, last_said = state_of(resource), now
            report(f"{subject}: {state} after {elapsed(now - start)}")
    raise AssertionError("unreachable: delays() never ends")


def operation_error(operations: Any, resource: Any) -> str:
    """The error of the resource's last operation, which the resource itself does not carry.

    The service names that operation in the resource's properties (`AzureAsyncOperationUri`); it is read through
    the pipeline of `operations` (azure-ai-ml's generated client for the resource: its credential and retries;
    pinned azure-ai-ml, like job_logs.py).
    """
    from azure.core.rest import HttpRequest

    uri = (getattr(resource, "properties", None) or {}).get("AzureAsyncOperationUri")
    if not uri:
        return "Azure ML gave no reason"
    try:
        error = (operations._client.send_request(HttpRequest("GET", uri)).json() or {}).get("error") or {}
    except Exception as err:  # noqa: BLE001 - the failure is reported without its reason rather than not at all
        return f"(its reason could not be read: {type(err).__name__}: {str(err)[:200]})"
    code, message = error.get("code"), error.get("message")
    return f"{code}: {message}" if code and message else message or code or "Azure ML gave no reason"


def wait_until_gone(fetch: Callable[[], Any], subject: str, polling: Polling, timeout_minutes: float = TIMEOUT_MINUTES) -> None:
    """Read `fetch()` until Azure ML answers that it is not there any more."""
    start = polling.clock()
    for delay in polling.delays():
        try:
            fetch()
        except Exception as err:
            if is_not_found(err):
                report(f"{subject}: deleted after {elapsed(polling.clock() - start)}")
                return
            if not is_transient(err):
                raise
        _pause(polling, delay, start, timeout_minutes, f"{subject} is still being deleted")


def _pause(polling: Polling, delay: float, start: float, timeout_minutes: float, still: str) -> None:
    remaining = start + timeout_minutes * 60 - polling.clock()
    if remaining <= 0:
        raise ProvisioningTimeoutError(
            f"{still} after {timeout_minutes:g} minutes. Azure ML goes on with it: run `pulumi up` again to keep waiting "
            "(nothing is created twice), or look at it in the studio (Endpoints)."
        )
    polling.sleep(min(delay, remaining))


def _read_or_keep(fetch: Callable[[], Any], last: Any, subject: str) -> Any:
    try:
        return fetch()
    except Exception as err:
        if not is_transient(err):
            raise
        brief = str(err).splitlines()[0][:200] if str(err) else type(err).__name__
        report(f"{subject}: reading its state failed ({brief}); will ask again")
        return last
