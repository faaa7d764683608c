"""R1: bad inputs. Each is refused by `pulumi preview` under the real engine, in one line naming the
stack file and the key or file, with nothing created."""

from __future__ import annotations

import queue
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.reliability.bad_input_stack import STACK_FILE, BadInput, BadInputStack, Refusal
from tests.reliability.bad_inputs import CASES

# Two project copies, each with its own stack and state, preview side by side: a preview is mostly
# one core's work (the engine and the program starting), so two halve the area's time on two cores.
PARALLEL = 2


def _outcome(stacks: queue.Queue[BadInputStack], case: BadInput) -> Refusal | BaseException:
    stack = stacks.get()
    try:
        return stack.refusal(case)
    except KeyboardInterrupt:
        raise
    except BaseException as err:  # noqa: BLE001 - a failed case (assertion, pytest.fail, engine error) is raised by its own test
        return err
    finally:
        stacks.put(stack)


@pytest.fixture(scope="module")
def refusals(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> dict[str, Refusal | BaseException]:
    """Every selected case previewed once; each test then judges its own."""
    params = [getattr(getattr(item, "callspec", None), "params", {}) for item in request.session.items]
    selected = {p["case"].id for p in params if isinstance(p.get("case"), BadInput)}
    cases = [case for case in CASES if case.id in selected]
    stacks: queue.Queue[BadInputStack] = queue.Queue()
    for _ in range(PARALLEL):
        stacks.put(BadInputStack(tmp_path_factory.mktemp("r1")))
    with ThreadPoolExecutor(PARALLEL) as pool:
        return dict(zip((case.id for case in cases), pool.map(lambda case: _outcome(stacks, case), cases), strict=True))


def test_the_cases_are_distinct() -> None:
    assert len({case.id for case in CASES}) == len(CASES)
    assert len({(repr(case.config), repr(case.files)) for case in CASES}) == len(CASES)


@pytest.mark.reliability("R1", "bad inputs", "refused at preview")
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_preview_refuses_in_one_line(refusals: dict[str, Refusal | BaseException], case: BadInput) -> None:
    refusal = refusals[case.id]
    if isinstance(refusal, BaseException):
        raise refusal
    assert refusal.line.startswith(f"{STACK_FILE}: "), refusal.line
    assert case.expected in refusal.line, refusal.line
    assert "Traceback" not in refusal.message
