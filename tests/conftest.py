"""Fixtures shared by every test layer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

# Azurite, the loopback Azure ML double and an MLClient routed to it, for provider and e2e tests;
# the reliability suite's per-area summary (tests/reliability/plugin.py) and pytester, which tests it.
pytest_plugins = ["tests.azureml_double.fixtures", "tests.reliability.plugin", "pytester"]

ROOT = Path(__file__).resolve().parents[1]
NAMESPACE = "azureml-training:"


def read_stack_config(stack: str) -> dict[str, Any]:
    """A shipped stack file's project keys, without the namespace, as the engine would pass them."""
    config = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {key.removeprefix(NAMESPACE): value for key, value in config.items() if key.startswith(NAMESPACE)}


@pytest.fixture
def stack_config() -> Callable[[str], dict[str, Any]]:
    return read_stack_config
