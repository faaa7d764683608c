"""Commands are interpolated as Azure ML's job runtime does it."""

from __future__ import annotations

import pytest

from components.provider.local.errors import InvalidDefinitionError
from components.provider.local.interpolation import interpolate


def test_inputs_and_outputs_are_replaced_verbatim() -> None:
    values = {"inputs": {"C": "0.5", "data": "/data/x.csv"}, "outputs": {"model": "/out/model"}}
    command = "python train.py --C ${{inputs.C}} --data ${{inputs.data}} --out ${{outputs.model}}"
    assert interpolate(command, values, "job j") == "python train.py --C 0.5 --data /data/x.csv --out /out/model"


def test_search_space_values_are_replaced_in_a_trial() -> None:
    assert interpolate("train --lr ${{search_space.lr}}", {"search_space": {"lr": "0.01"}}, "trial t") == "train --lr 0.01"


def test_spaces_inside_the_braces_are_allowed() -> None:
    assert interpolate("echo ${{ inputs.x }}", {"inputs": {"x": "1"}}, "job j") == "echo 1"


def test_an_optional_segment_is_kept_without_brackets_when_its_input_is_given() -> None:
    command = "train $[[--seed ${{inputs.seed}}]] --fast"
    assert interpolate(command, {"inputs": {"seed": "7"}}, "job j") == "train --seed 7 --fast"


@pytest.mark.parametrize("inputs", [{"seed": None}, {}])
def test_an_optional_segment_is_dropped_when_its_input_is_absent(inputs: dict[str, str | None]) -> None:
    assert interpolate("train $[[--seed ${{inputs.seed}}]] --fast", {"inputs": inputs}, "job j") == "train  --fast"


def test_a_missing_required_input_is_an_error_naming_it() -> None:
    with pytest.raises(InvalidDefinitionError, match=r"job j: the command uses \$\{\{inputs.data\}\}"):
        interpolate("train --data ${{inputs.data}}", {"inputs": {"C": "1"}, "outputs": {}}, "job j")


def test_a_namespace_that_cannot_be_referenced_is_an_error() -> None:
    with pytest.raises(InvalidDefinitionError, match="only inputs, outputs can be referenced"):
        interpolate("train ${{search_space.lr}}", {"inputs": {}, "outputs": {}}, "job j")
