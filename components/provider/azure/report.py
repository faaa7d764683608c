"""Progress lines for the user: the engine shows a provider's stderr, not its stdout."""

from __future__ import annotations

import sys


def report(message: str) -> None:
    print(f"azureml: {message}", file=sys.stderr, flush=True)
