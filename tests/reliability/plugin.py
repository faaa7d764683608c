"""The counted reliability suite: one summary line per area, with its counts.

An area is a set of test cases marked `@pytest.mark.reliability("R1", "bad inputs", "refused at preview")`
(usually as a module's `pytestmark`). Each case is one test item, one honest assertion of the area's
promise; the summary says how many of the cases that ran kept it (in this process or, with
pytest-xdist, in its workers):

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
    """Every area of this run, filled from the reports of its cases.

    Reports, not items: under pytest-xdist the cases run in worker processes and only their
    reports reach the process that prints the summary. A case's report carries its area and,
    once torn down, the figures it measured (`user_properties`, which xdist sends along).
    """

    def __init__(self) -> None:
        self.areas: dict[str, Area] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties = dict(report.user_properties)
        if _AREA_PROPERTY not in properties:
            return
        area_name, title, verdict = properties[_AREA_PROPERTY]
        area = self.areas.setdefault(area_name, Area(title, verdict))
        area.cases.add(report.nodeid)
        # A case counts only if setup, the test itself and teardown all passed; a skip is not a pass.
        if report.failed or report.skipped:
            area.failed.add(report.nodeid)
        if report.when == "call":
            area.finished.add(report.nodeid)
        area.facts.update(properties.get(_FACTS_PROPERTY, {}))


_TALLY = pytest.StashKey[Tally]()
_FACTS = pytest.StashKey[Counter[str]]()
_AREA_PROPERTY, _FACTS_PROPERTY = "reliability area", "reliability facts"


def _area_of(item: pytest.Item) -> tuple[str, str, str] | None:
    mark = item.get_closest_marker(MARK)
    return None if mark is None else mark.args


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f'{MARK}(area, title, verdict): a case of a reliability area, e.g. ("R1", "bad inputs", "refused at preview")'
    )
    config.stash[_TALLY] = Tally()
    config.pluginmanager.register(config.stash[_TALLY], "reliability-tally")


def pytest_itemcollected(item: pytest.Item) -> None:
    """Every report of a case says its area, whichever process runs it."""
    area = _area_of(item)
    if area is not None:
        item.user_properties.append((_AREA_PROPERTY, area))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if call.when == "teardown" and _FACTS in item.stash:
        report.user_properties.append((_FACTS_PROPERTY, dict(item.stash[_FACTS])))
    return report


@pytest.fixture
def reliability_facts(request: pytest.FixtureRequest) -> Counter[str]:
    """Figures this case measured, added to its area's summary line."""
    if _area_of(request.node) is None:
        raise pytest.UsageError(f"{request.node.nodeid} uses reliability_facts but is not marked {MARK}(...)")
    return request.node.stash.setdefault(_FACTS, Counter())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    areas = config.stash[_TALLY].areas
    if not areas:
        return
    terminalreporter.section("reliability")
    for name in sorted(areas):
        terminalreporter.write_line(areas[name].line(name))
