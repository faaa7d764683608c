"""How a provider failure reaches the user: the message first, never a traceback of our frames.

The stock dynamic-provider host (`pulumi/dynamic/__main__.py`) answers an exception with
`traceback.format_exc()` as the gRPC error, and the CLI prints that text as the resource's
error. So every failure leaves the provider as one `ProviderFailure` whose text says what
failed, why (the backend's message: the service's error, a job's log tail) and what to do,
and, inside that host only, `sys.tracebacklimit = 0` makes `format_exc()` print just that
text: `azureml-training: <message>`. The process is ours alone (every resource of this
project has an explicit provider instance, see hosts.py), so no one else's traceback is hidden.
"""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_HOST_MODULE = "pulumi.dynamic.__main__"
_OUR_PACKAGE = "components."
_ROOT = Path(__file__).resolve().parents[2]
_VERBS = {"check": "checking", "diff": "diffing", "create": "creating", "update": "updating", "read": "reading", "delete": "deleting"}
OPERATIONS = tuple(_VERBS)


class ProviderFailure(Exception):  # noqa: N818 (named for what the user reads, see below)
    """A failure as the user reads it; its text is complete on its own."""


# The host prints `<module>.<qualname>: <text>`: shown as `azureml-training: <text>`.
ProviderFailure.__module__ = "builtins"
ProviderFailure.__qualname__ = "azureml-training"


def reported(operation: str, kind: str) -> Callable[[F], F]:
    """Wrap a provider method so that whatever it raises leaves as a ProviderFailure."""

    def decorate(method: F) -> F:
        @functools.wraps(method)
        def wrapper(self: Any, *args: Any) -> Any:
            try:
                return method(self, *args)
            except ProviderFailure:
                raise
            except Exception as err:  # noqa: BLE001 (every failure is reported, then raised)
                props = next((arg for arg in reversed(args) if isinstance(arg, Mapping)), {})
                failure = ProviderFailure(describe(err, operation, kind, props))
            _hide_tracebacks_in_host()
            raise failure

        wrapper.__reported__ = True  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def describe(err: Exception, operation: str, kind: str, props: Mapping[str, Any]) -> str:
    """What failed, why and what to do, for any exception out of a provider method."""
    if type(err).__module__.startswith(_OUR_PACKAGE):
        return str(err)  # our backends' errors name the asset and say what to do already
    subject = f"{_VERBS.get(operation, operation)} {kind} {props.get('name') or props.get('key') or ''}".rstrip()
    if type(err).__module__.startswith("azure."):
        return f"{subject} failed: Azure ML answered: {_one_paragraph(err)}\nFix what it names, then run `pulumi up` again."
    where = _our_innermost_frame(err)
    return (
        f"{subject} failed: {type(err).__name__}: {err}\n"
        f"This is a bug in azureml-training's provider ({where}); please report it with this message."
    )


def _one_paragraph(err: Exception) -> str:
    return "\n".join(line for line in str(err).strip().splitlines() if line.strip())


def _our_innermost_frame(err: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(err.__traceback__) if Path(f.filename).resolve().is_relative_to(_ROOT)]
    if not frames:
        return "outside its own code"
    frame = frames[-1]
    return f"{Path(frame.filename).resolve().relative_to(_ROOT)}:{frame.lineno} in {frame.name}"


def _hide_tracebacks_in_host() -> None:
    """In the stock host, the traceback would come before the message: leave only the message."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name == _HOST_MODULE:
        sys.tracebacklimit = 0
