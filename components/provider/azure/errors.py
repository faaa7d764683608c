"""Errors the Azure backend raises, and how it classifies the SDK's."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar
from urllib.parse import quote

T = TypeVar("T")

_TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})
REDACTED = "***"


class JobFailedError(RuntimeError):
    """The job ended Failed or Canceled; the message carries the service's error and the log tail."""


class JobTimeoutError(TimeoutError):
    """The job did not finish in time. It keeps running in Azure ML."""


class ModelSourceError(RuntimeError):
    """The job a model is registered from has no output to register (yet)."""


class ModelVersionError(RuntimeError):
    """The model file pins a version that already exists with other content: versions never change."""


class DatastoreError(RuntimeError):
    """A datastore call failed; the message is scrubbed of the datastore's secrets."""


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
