"""The summary plugin counts what ran: a failing or skipped case is not a kept promise."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT

AREA = """
import pytest

pytestmark = pytest.mark.reliability("R9", "demo cases", "held")


@pytest.mark.parametrize("n", [1, 2, 3])
def test_case(n, reliability_facts):
    reliability_facts["retries seen"] += n
    assert n != 3


@pytest.mark.skip(reason="hidden")
def test_skipped():
    pass
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["in-process", "xdist"])
def test_summary_line_counts_kept_cases_and_sums_facts(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, workers: list[str]
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makeconftest('pytest_plugins = ["tests.reliability.plugin"]')
    pytester.makepyfile(test_area=AREA, test_plain="def test_not_a_case():\n    assert True\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *workers)
    result.assert_outcomes(passed=3, failed=1, skipped=1)
    result.stdout.fnmatch_lines(["R9 demo cases: 2 of 4 held (6 retries seen)"])
