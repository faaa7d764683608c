"""R1: bad inputs. Each is refused by `pulumi preview` under the real engine, in one line naming the
stack file and the key or file, with nothing created."""

from __future__ import annotations

import pytest

from tests.reliability.bad_input_stack import STACK_FILE, BadInput, BadInputStack
from tests.reliability.bad_inputs import CASES


@pytest.fixture(scope="module")
def bad_input_stack(tmp_path_factory: pytest.TempPathFactory) -> BadInputStack:
    return BadInputStack(tmp_path_factory.mktemp("r1"))


def test_the_cases_are_distinct() -> None:
    assert len({case.id for case in CASES}) == len(CASES)
    assert len({(repr(case.config), repr(case.files)) for case in CASES}) == len(CASES)


@pytest.mark.reliability("R1", "bad inputs", "refused at preview")
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_preview_refuses_in_one_line(bad_input_stack: BadInputStack, case: BadInput) -> None:
    refusal = bad_input_stack.refusal(case)
    assert refusal.line.startswith(f"{STACK_FILE}: "), refusal.line
    assert case.expected in refusal.line, refusal.line
    assert "Traceback" not in refusal.message
