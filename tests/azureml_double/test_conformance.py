"""The double answers as the real Azure ML service does: the conformance checker on the service's recordings.

Always on the committed fixture distilled from them; also on ``<repo>/../shared/azureml-recordings`` itself
when it is there beside the clone (as in CI), and then the fixture must be what they distill to.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.azureml_double.conformance.allowlist import load_allowlist
from tests.azureml_double.conformance.check import check, load_plans
from tests.azureml_double.conformance.distill import DEFAULT_FIXTURE, distill, dumps

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
