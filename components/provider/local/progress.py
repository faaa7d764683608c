"""Progress and warnings for the user: the engine shows a provider's stderr, not its stdout."""

from __future__ import annotations

import sys


def report(subject: str, message: str) -> None:
    print(f"{subject}: {message}", file=sys.stderr, flush=True)


def warn(subject: str, message: str) -> None:
    print(f"warning: {subject}: {message}", file=sys.stderr, flush=True)
