"""Check ``operations.OPERATIONS`` against what the provider really sends: its Azure tests, with every request logged.

    python -m tests.azureml_double.conformance.survey [pytest args, default tests/provider/azure]

Runs the provider's tests against the double (a pytest plugin logs each request the double serves), then prints
the requests no row of ``OPERATIONS`` covers (operation or api-version), and the rows no request used. Run it
after a change to the provider's Azure calls or to the pinned azure-ai-ml, and update ``operations.py``.
"""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any

import pytest

from tests.azureml_double.conformance.operations import OPERATIONS, find_operation


class RequestLog:
    """A pytest plugin: wraps ``AzureMLDouble.handle`` for the session and counts what it serves."""

    def __init__(self) -> None:
        self.seen: Counter[tuple[str, str, str | None]] = Counter()

    def pytest_sessionstart(self, session: Any) -> None:
        from tests.azureml_double import server

        original = server.AzureMLDouble.handle
        log = self.seen

        def handle(double: Any, method: str, path: str, query: dict, body: Any, upstream: str) -> tuple:
            log[(method, path, query.get("api-version"))] += 1
            return original(double, method, path, query, body, upstream)

        server.AzureMLDouble.handle = handle


def _not_an_operation(path: str) -> bool:
    """Login, and long-running-operation polls (in scope through the answer's Location, see ``plan``)."""
    polls = ("perationResults/", "OperationsStatus/")
    return "/oauth2/" in path or "/.well-known/" in path or path.startswith("/common/") or any(poll in path for poll in polls)


def main(argv: list[str]) -> int:
    log = RequestLog()
    code = pytest.main(argv or ["tests/provider/azure", "-q", "-p", "no:cacheprovider"], plugins=[log])
    used = Counter()
    uncovered = Counter()
    for (method, path, api_version), n in log.seen.items():
        if _not_an_operation(path):
            continue
        operation = find_operation(method, path)
        if operation is None or (operation.api_versions and api_version not in operation.api_versions):
            uncovered[f"{method} {path} api-version={api_version}"] += n
        else:
            used[operation.label()] += n
    for line, n in sorted(uncovered.items()):
        print(f"not in OPERATIONS ({n}x): {line}")
    for operation in OPERATIONS:
        if operation.label() not in used:
            print(f"never sent by these tests: {operation.label()}  ({operation.used_by})")
    return code or (1 if uncovered else 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
