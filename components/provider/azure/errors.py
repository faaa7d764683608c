"""Errors the Azure backend raises, and how it classifies the SDK's."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import quote

T = TypeVar("T")

_TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})
REDACTED = "***"


class JobFailedError(RuntimeError):
    """The job ended Failed or Canceled; the message carries the service's error and the log tail."""


class JobStalledError(RuntimeError):
    """The job is Paused or NotResponding: it needs someone to act, and waiting longer would change nothing."""


class JobTimeoutError(TimeoutError):
    """The job did not finish in time. It keeps running in Azure ML."""


class ModelSourceError(RuntimeError):
    """The job a model is registered from has no output to register (yet)."""


class ModelVersionError(RuntimeError):
    """The model file pins a version that already exists with other content: versions never change."""


class DatastoreError(RuntimeError):
    """A datastore call failed; the message is scrubbed of the datastore's secrets."""


class ProvisioningFailedError(RuntimeError):
    """An online endpoint or deployment ended Failed or Canceled; the message says why and, for a deployment, shows its log."""


class WorkspaceUnreachableError(RuntimeError):
    """The workspace refuses this machine: it is private, and the deploy runs outside its network."""


# The constant part of what Azure ML answers a request from outside a private workspace's network, as
# users met it: "... none of the workspaces/registries are accessible from outside of the designated
# private link" (Azure/azure-cli-extensions#6294), "Access to workspace was denied based on workspace
# private link configuration" (MicrosoftDocs/azure-docs#90426).
_PRIVATE_LINK_REFUSAL = "private link"


def unreachable_workspace(err: BaseException, workspace_name: str) -> WorkspaceUnreachableError | None:
    """The one-line error for Azure ML's private-link refusal, or None for any other error."""
    from azure.core.exceptions import HttpResponseError

    if not (isinstance(err, HttpResponseError) and _PRIVATE_LINK_REFUSAL in str(err.message or "").lower()):
        return None
    return WorkspaceUnreachableError(
        f"workspace {workspace_name} is not reachable from where this deploy runs: it accepts requests only through its "
        "private endpoint. Run `pulumi up` inside its virtual network (a self-hosted agent, VPN or jump host that resolves "
        "privatelink.api.azureml.ms), or set workspace.publicNetworkAccess: Enabled"
    )


def _explaining_unreachable(method: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(method)
    def call(self: Any, *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, *args, **kwargs)
        except Exception as err:
            explained = unreachable_workspace(err, self.workspace_name)
            if explained is None:
                raise
            raise explained from None

    return call


C = TypeVar("C", bound=type)


def explains_unreachable_workspace(cls: C) -> C:
    """Class decorator: every public method of a backend (whose `workspace_name` names its workspace)
    turns Azure ML's private-link refusal into WorkspaceUnreachableError, one line instead of an SDK trace."""
    for name, member in list(vars(cls).items()):
        if callable(member) and not name.startswith("_"):
            setattr(cls, name, _explaining_unreachable(member))
    return cls


def is_not_found(err: BaseException) -> bool:
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

    return isinstance(err, ResourceNotFoundError) or (isinstance(err, HttpResponseError) and err.status_code == 404)


def is_transient(err: BaseException) -> bool:
    """Throttling, server errors and dropped connections: worth another try."""
    from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

    if isinstance(err, ServiceRequestError | ServiceResponseError):
        return True
    return isinstance(err, HttpResponseError) and err.status_code in _TRANSIENT_STATUS


def or_none(call: Callable[[], T]) -> T | None:
    """`call()`, or None when the object is not there."""
    try:
        return call()
    except Exception as err:
        if is_not_found(err):
            return None
        raise


def ignore_missing(call: Callable[[], object]) -> None:
    """`call()`; an object already gone is what a delete wants."""
    or_none(call)


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret (also URL-encoded, as in a logged request) replaced."""
    variants = {form for secret in secrets if secret for form in (secret, quote(secret, safe=""), quote(secret))}
    for secret in sorted(variants, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text
