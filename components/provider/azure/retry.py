"""A backend call that met a transient failure the SDK gave up on is made again, whole.

azure-core retries each request a few times, but not all of them: a dropped connection on a
POST (listing a datastore's secrets, starting an upload) is never retried, and azure-ai-ml
wraps what escapes in its own exceptions (an AssetException around the dropped connection).
Every backend call is safe to repeat: a job is looked up by its name before it is submitted
(and adopted if it exists), asset versions are content-addressed, deletes ignore what is gone.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, TypeVar

from components.provider.azure.errors import is_transient
from components.provider.azure.report import report

T = TypeVar("T")
C = TypeVar("C", bound=type)

# Seconds before each further attempt: a throttled or restarting service gets time to recover.
DELAYS: tuple[float, ...] = (1.0, 3.0, 9.0)


def is_transient_failure(err: BaseException) -> bool:
    """Throttling, a server error or a dropped connection, here or in what caused it."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        if is_transient(current):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _retrying(method: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(method)
    def call(self: Any, *args: Any, **kwargs: Any) -> T:
        for delay in DELAYS:
            try:
                return method(self, *args, **kwargs)
            except Exception as err:
                if not is_transient_failure(err):
                    raise
                report(f"{method.__name__}: Azure ML failed transiently ({_first_line(err)}); trying again in {delay:g} s")
                time.sleep(delay)
        return method(self, *args, **kwargs)

    return call


def retries_transient_failures(cls: C) -> C:
    """Class decorator: every public method of a backend is retried, whole, after a transient failure."""
    for name, member in list(vars(cls).items()):
        if callable(member) and not name.startswith("_"):
            setattr(cls, name, _retrying(member))
    return cls


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0][:160]
