"""The counted reliability suite: one summary line per area, with its counts.

An area is a set of test cases marked `@pytest.mark.reliability("R1", "bad inputs", "refused at preview")`
(usually as a module's `pytestmark`). Each case is one test item, one honest assertion of the area's
promise; the summary says how many of the collected cases kept it:

    R1 bad inputs: 63 of 63 refused at preview

A case may add measured figures with the `reliability_facts` fixture (`reliability_facts["faults injected"] += 12`);
they are summed over the area's cases and printed after the count, in the order first recorded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator
from dataclasses import dataclass, field

import pytest

MARK = "reliability"


@dataclass
class Area:
    """One area's cases and what they measured."""

    title: str
    verdict: str
    cases: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    finished: set[str] = field(default_factory=set)
    facts: Counter[str] = field(default_factory=Counter)

    def line(self, area: str) -> str:
        kept = len(self.finished - self.failed)
        figures = ", ".join(f"{value} {name}" for name, value in self.facts.items())
        return f"{area} {self.title}: {kept} of {len(self.cases)} {self.verdict}" + (f" ({figures})" if figures else "")


class Tally:
    """Every area of this run, filled from the items' marks and reports."""

    def __init__(self) -> None:
        self.areas: dict[str, Area] = {}

    def area_of(self, item: pytest.Item) -> Area | None:
        mark = item.get_closest_marker(MARK)
        if mark is None:
            return None
        area, title, verdict = mark.args
        return self.areas.setdefault(area, Area(title, verdict))


_TALLY = pytest.StashKey[Tally]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f'{MARK}(area, title, verdict): a case of a reliability area, e.g. ("R1", "bad inputs", "refused at preview")'
    )
    config.stash[_TALLY] = Tally()


def pytest_collection_finish(session: pytest.Session) -> None:
    """The cases this run will execute (after -k, -m and deselection)."""
    tally = session.config.stash[_TALLY]
    for item in session.items:
        area = tally.area_of(item)
        if area is not None:
            area.cases.add(item.nodeid)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    area = item.config.stash[_TALLY].area_of(item)
    if area is not None:
        # A case counts only if setup, the test itself and teardown all passed; a skip is not a pass.
        if report.failed or report.skipped:
            area.failed.add(item.nodeid)
        if report.when == "call":
            area.finished.add(item.nodeid)
    return report


@pytest.fixture
def reliability_facts(request: pytest.FixtureRequest) -> Counter[str]:
    """Figures this case measured, added to its area's summary line."""
    area = request.config.stash[_TALLY].area_of(request.node)
    if area is None:
        raise pytest.UsageError(f"{request.node.nodeid} uses reliability_facts but is not marked {MARK}(...)")
    return area.facts


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    areas = config.stash[_TALLY].areas
    if not areas:
        return
    terminalreporter.section("reliability")
    for name in sorted(areas):
        terminalreporter.write_line(areas[name].line(name))
