"""Progress lines for the user: the engine shows a provider's stderr, not its stdout."""

from __future__ import annotations

from components.provider.messages import say


def report(message: str) -> None:
    say(f"azureml: {message}")
