"""The checker as a function: plans from a folder of recordings or a distilled fixture, replayed and reported."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.azureml_double.conformance.allowlist import Allowance
from tests.azureml_double.conformance.distill import is_fixture, read_fixture
from tests.azureml_double.conformance.plan import Plan, plan_recording
from tests.azureml_double.conformance.recording import is_recording, read_exchanges, read_json, recording_files
from tests.azureml_double.conformance.replay import replay
from tests.azureml_double.conformance.report import Totals, by_operation, report

PARALLEL = 6


def load_plans(source: Path) -> list[Plan]:
    if source.is_dir():
        return [plan_recording(str(path.relative_to(source)), read_exchanges(read_json(path))) for path in recording_files(source)]
    document = read_json(source)
    if is_recording(document):
        return [plan_recording(source.name, read_exchanges(document))]
    if not is_fixture(document):
        raise ValueError(f"{source}: neither a recording, a folder of recordings nor a fixture written by distill")
    return read_fixture(document)


def check(source: Path, allowances: list[Allowance], write: Callable[[str], None] = print, *, grouped: bool = False) -> Totals:
    """Replay and report; ``grouped`` adds each operation's open differences, once each, before the last line."""
    # One fresh double per recording; they run side by side because stopping a server waits for its poll loop.
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        results = list(pool.map(replay, load_plans(source)))
    if not grouped:
        return report(results, allowances, write)
    lines: list[str] = []
    totals = report(results, allowances, lines.append)
    for line in lines[:-1]:
        write(line)
    write("differences by operation:")
    by_operation(results, allowances, write)
    write(lines[-1])
    return totals
