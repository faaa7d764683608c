"""End what a killed `pulumi up` of this project left running: its language host and provider hosts.

The engine starts each plugin in a process group of its own, so `kill -9` of the CLI (or a
closed terminal) leaves them behind: a provider host waiting for a job still waits, and then
idles for good. Ending them is safe at any point: a local run is kept by its own supervisor and
an Azure job by the service, and the next `pulumi up` waits for either or adopts its result.

A leftover is a plugin whose working directory is the project and whose group leader lost its
`pulumi` parent. Run by `make recover` (with no `pulumi up` of the project running). Needs
/proc (Linux); elsewhere it says so and does nothing.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

_PLUGINS = ("pulumi.dynamic", "pulumi-language-python-exec", "pulumi-resource-")


def _read(pid: int, name: str) -> str:
    try:
        return Path(f"/proc/{pid}/{name}").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _stat(pid: int) -> tuple[int, int]:
    """The process's parent and process group."""
    stat = _read(pid, "stat")
    fields = stat[stat.rindex(")") + 2 :].split() if ")" in stat else []
    return (int(fields[1]), int(fields[2])) if len(fields) > 2 else (0, 0)


def _cwd(pid: int) -> Path | None:
    try:
        return Path(f"/proc/{pid}/cwd").readlink().resolve()
    except OSError:
        return None


def leftover_groups(project: Path) -> list[int]:
    """Process groups of plugins a killed deployment of `project` left behind."""
    project, groups = project.resolve(), set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or (pid := int(entry.name)) == os.getpid():
            continue
        if _cwd(pid) != project or not any(plugin in _read(pid, "cmdline") for plugin in _PLUGINS):
            continue
        leader = _stat(pid)[1]
        parent = _stat(leader)[0]
        if parent <= 1 or _read(parent, "comm").strip() != "pulumi":
            groups.add(leader)
    return sorted(groups)


def main(argv: list[str]) -> int:
    project = Path(argv[0]) if argv else Path.cwd()
    if not Path("/proc/self").exists():
        print("recover: no /proc here: look for leftover `pulumi-language-python` and `pulumi.dynamic` processes yourself")
        return 0
    groups = leftover_groups(project)
    for group in groups:
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            continue
    print(f"recover: ended {len(groups)} process group(s) a killed `pulumi up` left behind" if groups else "recover: nothing left behind")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
