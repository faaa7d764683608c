"""A pipeline's wiring and steps, refused at preview in one line naming the YAML file and the step's field.

Each case is one mistake in the sound pipeline of tests/unit/stacks.py, on the local target and
on an existing workspace alike; the bindings of nested pipeline components are checked against
their own inputs, outputs and steps, and a step naming a component the stack registers against
that component's outputs.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from components.spec.preflight import check_stack
from components.spec.settings import SettingsError
from tests.unit.harness import last_run, run_stack
from tests.unit.stacks import INNER, PIPELINE, TARGETS, refusal, stack, write

Change = Callable[[dict[str, Any]], Any]


def steps(pipeline: dict[str, Any]) -> dict[str, Any]:
    return pipeline["jobs"]


CASES: dict[str, tuple[Change, str]] = {
    "a step that does not exist": (
        lambda p: steps(p)["scale"]["inputs"].update(source="${{parent.jobs.begin.outputs.result}}"),
        "jobs.scale.inputs.source: ${{parent.jobs.begin.outputs.result}}: the pipeline has no step 'begin' "
        "(steps: start, scale, nested, shared)",
    ),
    "an output an inline step does not declare": (
        lambda p: steps(p)["scale"]["inputs"].update(source="${{parent.jobs.start.outputs.results}}"),
        "jobs.scale.inputs.source: ${{parent.jobs.start.outputs.results}}: step start declares no output 'results' (declares: result)",
    ),
    "an output a local component does not declare": (
        lambda p: steps(p)["nested"]["inputs"].update(source="${{parent.jobs.scale.outputs.scaled}}"),
        "jobs.nested.inputs.source: ${{parent.jobs.scale.outputs.scaled}}: step scale declares no output 'scaled' (declares: result)",
    ),
    "an output a nested pipeline does not declare": (
        lambda p: steps(p)["shared"]["inputs"].update(source={"type": "uri_folder", "path": "${{parent.jobs.nested.outputs.twice}}"}),
        "jobs.shared.inputs.source.path: ${{parent.jobs.nested.outputs.twice}}: step nested declares no output 'twice' (declares: result)",
    ),
    "an input the pipeline does not declare": (
        lambda p: steps(p)["start"]["inputs"].update(factor="${{parent.inputs.factors}}"),
        "jobs.start.inputs.factor: ${{parent.inputs.factors}}: the pipeline declares no input 'factors' (declares: factor)",
    ),
    "a bound output the step's component does not declare": (
        lambda p: steps(p)["scale"].update(outputs={"nosuch": "${{parent.outputs.final}}"}),
        "jobs.scale.outputs.nosuch: ${{parent.outputs.final}}: the step's component declares no output 'nosuch' (declares: result)",
    ),
    "a step output bound to an output the pipeline does not declare": (
        lambda p: steps(p)["scale"].update(outputs={"result": "${{parent.outputs.best}}"}),
        "jobs.scale.outputs.result: ${{parent.outputs.best}}: the pipeline declares no output 'best' (declares: final)",
    ),
    "steps binding each other's outputs in a cycle": (
        lambda p: steps(p)["start"]["inputs"].update(seed="${{parent.jobs.shared.outputs.scaled}}"),
        "jobs: steps start -> shared -> nested -> scale -> start bind each other's outputs in a cycle: none can start",
    ),
    "a step binding its own output": (
        lambda p: steps(p)["scale"]["inputs"].update(source="${{parent.jobs.scale.outputs.result}}"),
        "jobs: steps scale -> scale bind each other's outputs in a cycle: none can start",
    ),
    "an inline step with no command": (
        lambda p: steps(p)["start"].pop("command"),
        "jobs.start.command: an inline command step needs a command (or a component to run)",
    ),
    "an inline step whose code folder does not exist": (
        lambda p: steps(p)["start"].update(code="./source"),
        "jobs.start.code: './source' does not exist (relative to jobs/)",
    ),
    "an inline step whose code folder leaves the repository": (
        lambda p: steps(p)["start"].update(code="../../.."),
        "jobs.start.code: '../../..' is outside the repository",
    ),
    "a step environment variable that is a number": (
        lambda p: steps(p)["scale"].update(environment_variables={"RETRIES": 3}),
        "jobs.scale.environment_variables.RETRIES: Azure ML takes only strings, not a number (3); quote it",
    ),
    "an inline step environment variable that is a mapping": (
        lambda p: steps(p)["start"].update(environment_variables={"BAD": {"nested": 1}}),
        "jobs.start.environment_variables.BAD: Azure ML takes only strings, not a mapping ({'nested': 1})",
    ),
}


@pytest.mark.parametrize("target", TARGETS)
def test_the_sound_pipeline_passes(stack_project: Path, target: str) -> None:
    check_stack(stack(target), "dev", stack_project)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("case", CASES)
def test_a_miswired_pipeline_is_refused_naming_the_file_and_the_field(stack_project: Path, target: str, case: str) -> None:
    change, expected = CASES[case]
    pipeline = copy.deepcopy(PIPELINE)
    change(pipeline)
    write(stack_project, "jobs/pipeline.yml", pipeline)
    assert refusal(stack_project, stack(target)).startswith(f"jobs/pipeline.yml: {expected}")


NESTED_CASES: dict[str, tuple[Change, str]] = {
    "a step of the nested pipeline that does not exist": (
        lambda p: steps(p)["again"]["inputs"].update(source="${{parent.jobs.once.outputs.result}}"),
        "jobs.nested.jobs.again.inputs.source: ${{parent.jobs.once.outputs.result}}: the pipeline has no step 'once' (steps: twice, again)",
    ),
    "an input the nested pipeline does not declare": (
        lambda p: steps(p)["twice"]["inputs"].update(source="${{parent.inputs.factor}}"),
        "jobs.nested.jobs.twice.inputs.source: ${{parent.inputs.factor}}: the pipeline declares no input 'factor' (declares: source)",
    ),
    "a cycle inside the nested pipeline": (
        lambda p: steps(p)["twice"]["inputs"].update(source="${{parent.jobs.again.outputs.result}}"),
        "jobs.nested.jobs: steps twice -> again -> twice bind each other's outputs in a cycle",
    ),
}


@pytest.mark.parametrize("case", NESTED_CASES)
def test_a_nested_pipeline_is_checked_against_its_own_declarations(stack_project: Path, case: str) -> None:
    change, expected = NESTED_CASES[case]
    inner = copy.deepcopy(INNER)
    change(inner)
    write(stack_project, "jobs/components/inner.yml", inner)
    assert refusal(stack_project, stack("local")).startswith(f"jobs/pipeline.yml: {expected}")


def test_an_output_of_a_component_the_stack_registers_is_checked_against_it(stack_project: Path) -> None:
    pipeline = copy.deepcopy(PIPELINE)
    steps(pipeline)["shared"]["outputs"] = {"result": "${{parent.outputs.final}}"}
    write(stack_project, "jobs/pipeline.yml", pipeline)
    assert refusal(stack_project, stack("existing-workspace")) == (
        "jobs/pipeline.yml: jobs.shared.outputs.result: ${{parent.outputs.final}}: "
        "the step's component declares no output 'result' (declares: scaled)"
    )


def test_the_outputs_of_a_component_registered_outside_the_stack_cannot_be_checked_and_pass(stack_project: Path) -> None:
    pipeline = copy.deepcopy(PIPELINE)
    steps(pipeline)["shared"].update(component="azureml:team_scale:3", outputs={"anything": "${{parent.outputs.final}}"})
    steps(pipeline)["after"] = {"component": "azureml:team_scale:3", "inputs": {"source": "${{parent.jobs.shared.outputs.other}}"}}
    write(stack_project, "jobs/pipeline.yml", pipeline)
    check_stack(stack("existing-workspace"), "dev", stack_project)


@pytest.mark.parametrize("target", ["local", "dev"])
def test_the_program_registers_nothing_for_a_step_binding_an_output_a_stack_component_lacks(target: str) -> None:
    """Under mocks: the whole program, on a local stack and on one whose workspace it creates."""
    config: dict[str, Any] = {
        "target": "local" if target == "local" else "azure",
        "components": [{"file": "tests/unit/pipelines/shared_scaler.yml"}],
        "environments": [{"file": "jobs/environment.yml"}],
        "jobs": [{"file": "tests/unit/pipelines/miswired.yml", "key": "miswired"}],
    }
    if target == "dev":
        config["workspace"] = {"location": "westeurope", "publicNetworkAccess": "Enabled"}
    with pytest.raises(SettingsError) as refused:
        run_stack(target, config=config)
    assert str(refused.value) == (
        f"stacks/Pulumi.{target}.yaml: tests/unit/pipelines/miswired.yml: jobs.report_job.inputs.raw: "
        "${{parent.jobs.shared_job.outputs.scaled}}: step shared_job declares no output 'scaled' (declares: none)"
    )
    assert last_run[0].resources == []
