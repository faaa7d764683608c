"""Providers the stock host loads in tests/provider/hosts/: each create waits until enough creates wait with it.

A `threading.Barrier` in the host process: the creates pass only if the host serves that many at once.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from pulumi.dynamic import CreateResult, ResourceProvider

from components.provider.providers import AssetProvider

TOGETHER = 12
PATIENCE_SECONDS = 10.0


@functools.cache
def _barrier() -> threading.Barrier:
    return threading.Barrier(TOGETHER, timeout=PATIENCE_SECONDS)


def _wait_for_the_others(props: dict[str, Any]) -> CreateResult:
    _barrier().wait()
    return CreateResult(props["name"], {})


class WaitingAsset(AssetProvider):
    """Loaded as every provider of the project is: its `configure` is the project's."""

    inputs = frozenset({"name"})
    required = ("name",)

    def create(self, props: dict[str, Any]) -> CreateResult:
        return _wait_for_the_others(props)


class WaitingPlain(ResourceProvider):
    """The same wait in a provider that leaves the host as it is."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        return _wait_for_the_others(props)
