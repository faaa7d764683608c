"""The checker's output: a row per replayed exchange, its differences beneath, and the last line."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from tests.azureml_double.conformance.allowlist import Allowance, allowed_by
from tests.azureml_double.conformance.replay import PlanResult, StepResult


@dataclass
class Totals:
    matched: int = 0
    replayed: int = 0
    out_of_scope: int = 0
    failing: int = 0

    def last_line(self) -> str:
        return f"{self.matched} of {self.replayed} recorded answers match ({self.out_of_scope} out of scope)"


def report(results: list[PlanResult], allowances: list[Allowance], write: Callable[[str], None] = print) -> Totals:
    totals = Totals()
    for result in results:
        write(result.plan.source)
        for note in result.notes:
            write(f"    note: {note}")
        for step_result in result.results:
            matched = _row(step_result, allowances, write)
            totals.replayed += 1
            totals.matched += matched
            totals.failing += not matched
        out = result.plan.out_of_scope
        totals.out_of_scope += sum(out.values())
        if out:
            write("    out of scope: " + "; ".join(f"{reason} x{n}" for reason, n in sorted(out.items())))
    write(totals.last_line())
    return totals


def _row(result: StepResult, allowances: list[Allowance], write: Callable[[str], None]) -> bool:
    exchange, operation = result.step.exchange, result.step.operation
    waived = [(d, allowed_by(allowances, operation, d)) for d in result.differences]
    open_differences = [d for d, allowance in waived if allowance is None]
    verdict = "MISMATCH" if open_differences else "ok" if not waived else f"ok ({len(waived)} allowed)"
    double_status = result.answer.status if result.answer is not None else "-"
    api = result.api_version or ""
    if api and api != exchange.api_version:
        api = f"{exchange.api_version}->{api}"
    clock = f" after {_ticks(result.ticks)}" if result.ticks and not any(d.time_dependent for d in result.differences) else ""
    write(f"  #{exchange.index:<3} {operation.label():<52} {api:<40} {exchange.status}/{double_status}{clock}  {verdict}")
    for difference in open_differences:
        write(f"         {difference}")
    if result.seen and any(d.time_dependent for d in open_differences):
        write(f"         while its clock moved {_ticks(result.ticks)}, the double answered {' -> '.join(result.seen)}")
    return not open_differences


def by_operation(results: list[PlanResult], allowances: list[Allowance], write: Callable[[str], None] = print) -> None:
    """Each operation's open differences, once each with how often they occur: the to-do list of the double."""
    grouped: dict[str, Counter[str]] = {}
    for result in results:
        for step_result in result.results:
            operation = step_result.step.operation
            for difference in step_result.differences:
                if allowed_by(allowances, operation, difference) is None:
                    grouped.setdefault(operation.label(), Counter())[str(difference)[:200]] += 1
    for label, differences in grouped.items():
        write(label)
        for text, count in differences.most_common():
            write(f"  {count:>3}x {text}")


def _ticks(n: int) -> str:
    return f"{n} tick{'s' if n != 1 else ''}"
