"""The double answers as the real Azure ML service does: the conformance checker on the service's recordings.

Always on the committed fixture distilled from them; also on ``<repo>/../shared/azureml-recordings`` itself
when it is there beside the clone (as in CI), and then the fixture must be what they distill to.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.azureml_double.conformance.allowlist import load_allowlist
from tests.azureml_double.conformance.check import check, load_plans
from tests.azureml_double.conformance.distill import DEFAULT_FIXTURE, distill, dumps
from tests.azureml_double.server import AzureMLDouble

REPO = Path(__file__).resolve().parents[2]
RECORDINGS = REPO.parent / "shared" / "azureml-recordings"
SOURCES = [DEFAULT_FIXTURE, *([RECORDINGS] if RECORDINGS.is_dir() else [])]


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.name)
def test_every_recorded_answer_matches(source: Path):
    lines: list[str] = []
    totals = check(source, load_allowlist(), lines.append)
    failing = [line for line in lines if not line.startswith("  #") or "MISMATCH" in line]
    assert totals.replayed > 0
    assert totals.failing == 0, "\n".join(failing)
    if source == RECORDINGS:
        assert DEFAULT_FIXTURE.read_text() == dumps(distill(load_plans(RECORDINGS))), (
            "the fixture is stale: python -m tests.azureml_double.conformance.distill ../shared/azureml-recordings"
        )


def test_a_double_that_deviates_fails_on_the_fixture(monkeypatch: pytest.MonkeyPatch):
    """The same check, against a double that stopped sending Location on its answers: it must not pass."""
    original = AzureMLDouble.handle

    def without_location(double: AzureMLDouble, *request: Any) -> tuple:
        status, body, headers = original(double, *request)
        return status, body, {k: v for k, v in headers.items() if k.lower() != "location"}

    monkeypatch.setattr(AzureMLDouble, "handle", without_location)
    lines: list[str] = []
    totals = check(DEFAULT_FIXTURE, load_allowlist(), lines.append)
    assert totals.failing > 0
    assert any("header Location: service present, double absent" in line for line in lines)
