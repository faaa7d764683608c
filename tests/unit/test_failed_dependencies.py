"""An asset whose create fails (the mocks answer as the engine does under continue-on-error): the
program still ends, and what needs the asset depends on it by URN, so the engine skips it."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pulumi
import pytest
from pulumi.runtime.stack import ResourceRegistrationFailed

from components.assets import FAILED_JOB
from components.failed_dependencies import NOT_DEPLOYED, value_or
from tests.unit.harness import REPO, Run, run_stack
from tests.unit.test_assets import ASSETS, stack


def stack_with_model() -> dict[str, Any]:
    """The assets' stack (a job reading data) and a job whose output is registered as a model."""
    config = stack()
    config["jobs"] = [*config["jobs"], {"file": str(ASSETS / "model-job.yml"), "key": "trainer"}]
    return {**config, "models": [{"name": "classifier", "job": "trainer"}]}


def run_failing(*names: str) -> Run:
    return run_stack("dev", config=stack_with_model(), secrets=("storeKey",), failing=names)


def test_a_model_waits_for_its_job_and_registers_from_its_name() -> None:
    run = run_failing()
    job, model = run.named("trainer"), run.named("model-classifier")
    assert job.urn in model.dependencies
    assert model.inputs["job_name"] == job.state["name"]
    assert run.exports["models"]["classifier"] is not None


def test_the_model_of_a_failed_job_depends_on_it_by_urn_and_the_outputs_show_both() -> None:
    run = run_failing("trainer")
    job, model = run.named("trainer"), run.named("model-classifier")
    assert job.urn in model.dependencies, "the engine skips the model because of this dependency"
    assert model.inputs["job_name"] == NOT_DEPLOYED
    assert run.exports["jobs"]["trainer"] == FAILED_JOB
    assert run.exports["models"]["classifier"] is None


def test_a_job_whose_data_failed_depends_on_it_by_urn_and_shows_as_failed() -> None:
    run = run_failing("data-labels")
    job, data = run.named("train"), run.named("data-labels")
    assert data.urn in job.dependencies
    assert job.inputs["definition"]["inputs"]["labels"]["path"] == NOT_DEPLOYED
    assert run.exports["jobs"] == {"train": FAILED_JOB, "trainer": run.exports["jobs"]["trainer"]}
    assert run.exports["jobs"]["trainer"]["name"] == run.named("trainer").state["name"], "an independent job is deployed"


def test_value_or_stands_in_only_for_a_resource_that_was_not_deployed() -> None:
    async def fails(err: Exception) -> str:
        raise err

    def faulted(err: Exception) -> Any:
        async def value() -> Any:
            return await value_or(pulumi.Output.from_input(fails(err)), "placeholder").future()

        # A loop of its own, leaving the current one (the mocks' runs use it) as it is; asyncio.run would unset it.
        loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(value())
        finally:
            loop.close()

    assert faulted(ResourceRegistrationFailed("resource train failed to register")) == "placeholder"
    with pytest.raises(ValueError, match="a bug"):
        faulted(ValueError("a bug"))


def test_the_makefile_keeps_deploying_after_a_failure_unless_told_otherwise() -> None:
    assert re.search(r"^export PULUMI_CONTINUE_ON_ERROR \?= true$", (REPO / "Makefile").read_text(), re.MULTILINE)
