"""Differences the checker waives: ``allowlist.txt`` beside this module, one per line.

    METHOD  TEMPLATE  KIND  PATH  -- reason

METHOD (or ``*``), TEMPLATE (an operation's template from ``operations``, ``*`` globs allowed, ``...`` for ``…``), KIND (a
``compare.Difference`` kind) and PATH (glob over the difference's path; ``-`` for an empty one). The reason is
required: only differences that cannot matter to the provider belong here.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from tests.azureml_double.conformance.compare import Difference
from tests.azureml_double.conformance.operations import Operation

DEFAULT_ALLOWLIST = Path(__file__).with_name("allowlist.txt")


class AllowlistError(ValueError):
    pass


@dataclass(frozen=True)
class Allowance:
    method: str
    template: str
    kind: str
    path: str
    reason: str
    line: int

    def allows(self, operation: Operation, difference: Difference) -> bool:
        return (
            self.method in ("*", operation.method)
            and fnmatchcase(operation.template, self.template)
            and self.kind == difference.kind
            and fnmatchcase(difference.path or "-", self.path)
        )


def load_allowlist(path: Path = DEFAULT_ALLOWLIST) -> list[Allowance]:
    if not path.exists():
        return []
    allowances = []
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        spec, _, reason = line.partition(" -- ")
        fields = spec.split()
        if len(fields) != 4 or not reason.strip():
            raise AllowlistError(f"{path}:{number}: expected 'METHOD TEMPLATE KIND PATH -- reason', got {raw!r}")
        method, template, kind, difference_path = fields
        # "..." reads as the "…" (the workspace's ARM id) that templates use.
        allowances.append(Allowance(method, template.replace("...", "…"), kind, difference_path, reason.strip(), number))
    return allowances


def allowed_by(allowances: list[Allowance], operation: Operation, difference: Difference) -> Allowance | None:
    return next((a for a in allowances if a.allows(operation, difference)), None)
