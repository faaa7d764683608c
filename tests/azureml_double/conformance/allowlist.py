"""Differences the checker waives: ``allowlist.txt`` beside this module, one per line.

    METHOD  TEMPLATE  KIND  PATH  [SERVICE->DOUBLE]  -- reason

METHOD (or ``*``), TEMPLATE (an operation's template from ``operations``, ``*`` globs allowed, ``...`` for
``…``), KIND (a ``compare.Difference`` kind), PATH (glob over the difference's path; ``-`` for an empty one) and,
optionally, the two values (e.g. ``Preparing->NotStarted``, ``absent->present``). Globs know ``*`` and ``?``;
brackets are literal. The reason is
required: only differences that cannot matter to the provider belong here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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
    values: tuple[str, str] = ("*", "*")  # service's, double's

    def allows(self, operation: Operation, difference: Difference) -> bool:
        return (
            self.method in ("*", operation.method)
            and _glob(operation.template, self.template)
            and self.kind == difference.kind
            and _glob(difference.path or "-", self.path)
            and _glob(difference.recorded, self.values[0])
            and _glob(difference.double, self.values[1])
        )


def _glob(text: str, pattern: str) -> bool:
    """``*`` and ``?`` are wildcards; brackets are literal (paths read ``value[]``, ``properties["azureml.x"]``)."""
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, text, re.DOTALL) is not None


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
        values = fields[4].split("->", 1) if len(fields) == 5 else ["*", "*"]
        if len(fields) not in (4, 5) or len(values) != 2 or not reason.strip():
            raise AllowlistError(f"{path}:{number}: expected 'METHOD TEMPLATE KIND PATH [SERVICE->DOUBLE] -- reason', got {raw!r}")
        method, template, kind, difference_path = fields[:4]
        # "..." reads as the "…" (the workspace's ARM id) that templates use.
        template = template.replace("...", "…")
        allowances.append(Allowance(method, template, kind, difference_path, reason.strip(), number, (values[0], values[1])))
    return allowances


def allowed_by(allowances: list[Allowance], operation: Operation, difference: Difference) -> Allowance | None:
    return next((a for a in allowances if a.allows(operation, difference)), None)
