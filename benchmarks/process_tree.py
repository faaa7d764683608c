"""What a deployment costs the machine: CPU time and peak memory (PSS) of this process's descendants.

CPU comes from `getrusage(RUSAGE_CHILDREN)`: the CLI waits for its plugins and this process for
the CLI, so every finished descendant's CPU is counted. Memory is sampled from /proc (Linux):
the peak of the summed proportional set size of every live descendant, so shared pages (one
Python's libraries mapped by many processes) count once. Processes started before the meter
(a test double's Azurite) are left out.
"""

from __future__ import annotations

import os
import resource
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

SAMPLE_SECONDS = 0.25


def _parents() -> dict[int, int]:
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            found[int(entry.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    return found


def _descendants(root: int, excluded: set[int]) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid, parent in _parents().items():
        children.setdefault(parent, []).append(pid)
    found, frontier = [], [root]
    while frontier:
        for child in children.get(frontier.pop(), []):
            if child not in excluded:
                found.append(child)
                frontier.append(child)
    return found


def _pss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class TreeMeter:
    """`with TreeMeter() as meter: ...`, then `meter.cpu_seconds`, `meter.peak_pss_mib`, `meter.most_processes`."""

    cpu_seconds: float = 0.0
    peak_pss_mib: float = 0.0
    most_processes: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _before: set[int] = field(default_factory=set)
    _cpu_at_start: float = 0.0

    def __enter__(self) -> TreeMeter:
        self._before = set(_descendants(os.getpid(), set()))
        self._cpu_at_start = _children_cpu_seconds()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._stop.set()
        self._sampler.join()
        self.cpu_seconds = _children_cpu_seconds() - self._cpu_at_start

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            pids = _descendants(os.getpid(), self._before)
            self.most_processes = max(self.most_processes, len(pids))
            self.peak_pss_mib = max(self.peak_pss_mib, sum(_pss_bytes(pid) for pid in pids) / 2**20)
