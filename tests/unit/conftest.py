"""The dev and prod stacks' Azure components under mocks, run once per test module that asks."""

from __future__ import annotations

import pytest

from tests.unit.harness import Run, components_program, run_stack


@pytest.fixture(scope="module")
def dev() -> Run:
    return run_stack("dev", program=components_program)


@pytest.fixture(scope="module")
def prod() -> Run:
    return run_stack("prod", program=components_program)
