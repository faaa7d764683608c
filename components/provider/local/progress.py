"""Progress and warnings for the user: the engine shows a provider's stderr, not its stdout."""

from __future__ import annotations

from components.provider.messages import say


def report(subject: str, message: str) -> None:
    say(f"{subject}: {message}")


def warn(subject: str, message: str) -> None:
    say(f"warning: {subject}: {message}")
