"""A stack driven through the Pulumi CLI itself, so a test can interrupt `pulumi up` as a user does.

The Automation API waits for the CLI it starts; an interruption needs the CLI's process:
`pulumi up` runs in a process group of its own (as a terminal's foreground job), so a test can
send Ctrl-C's SIGINT to the whole group, SIGKILL the CLI alone (what `kill -9 <pid>` does: the
language host and provider hosts it started, each in a process group of its own, live on as
orphans), or SIGKILL the CLI and all of those (a crash of the whole session).

The job the stacks run waits for a release file before it counts one execution, so a test
interrupts it mid-run for certain, and counts how many times it really ran.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from tests.azureml_double import AzureMLDouble
from tests.e2e.harness import ROOT, copy_project, engine_env
from tools.recover import leftover_groups

# Counts one execution once the test lets it go: the release file appears.
WAIT_SCRIPT = """\
import os, time
while not os.path.exists(os.environ["RELEASE_FILE"]):
    time.sleep(0.05)
open(os.environ["COUNT_FILE"], "a").write("ran\\n")
raise SystemExit(int(os.environ.get("EXIT_STATUS", "0")))
"""


def _kill_everything(up: subprocess.Popen[bytes], project: Path) -> None:
    """SIGKILL of the CLI and of every host it started (their own process groups), as a crash of the whole session."""
    up.send_signal(signal.SIGKILL)
    up.wait()
    for group in leftover_groups(project):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)


INTERRUPTIONS: dict[str, Callable[[subprocess.Popen[bytes], Path], None]] = {
    "SIGINT": lambda up, _project: os.killpg(up.pid, signal.SIGINT),
    "SIGKILL of the CLI": lambda up, _project: up.send_signal(signal.SIGKILL),
    "SIGKILL of the CLI and its hosts": _kill_everything,
}


def recover_recipe(stack: str) -> list[list[str]]:
    """The commands of the Makefile's `recover` target, for `stack` (`pulumi` ones, and our own `python -m` tools)."""
    lines = (ROOT / "Makefile").read_text().split("\nrecover:", 1)[1].splitlines()[1:]
    recipe = [line.strip() for line in itertools.takewhile(lambda line: line.startswith("\t"), lines)]
    assert recipe and all(line.startswith(("$(PULUMI) ", "$(PYTHON) -m ")) for line in recipe), recipe
    tools = {"$(PULUMI)": "pulumi", "$(PYTHON)": sys.executable}
    return [[tools.get(word, word) for word in shlex.split(line.replace("$(STACK)", stack))] for line in recipe]


def existing_workspace_config(double: AzureMLDouble, **keys: Any) -> dict[str, Any]:
    """Stack keys of an existing-workspace stack on the double, with the example's environment, plus `keys`."""
    double.add_compute("cpu-cluster")
    workspace = {"existing": True, "subscriptionId": double.subscription_id, "resourceGroup": double.resource_group}
    config = {
        "target": "azure",
        "workspace": {**workspace, "name": double.workspace},
        "environments": [{"file": "jobs/environment.yml"}],
        **keys,
    }
    return {f"azureml-training:{key}": value for key, value in config.items()}


def alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie waiting for init to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def wait_until(condition: Callable[[], Any], timeout: float = 180.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


class CliStack:
    """A copy of the project with one stack, deployed by the `pulumi` CLI."""

    def __init__(self, root: Path, stack: str, config: Mapping[str, Any], extra_env: Mapping[str, str] | None = None) -> None:
        self.root, self.stack = root, stack
        self.project = copy_project(root / "project")
        self.count_file, self.release_file = root / "executions.txt", root / "release"
        self.env = engine_env(root / "state", {**os.environ, **(extra_env or {})})
        self._started: list[subprocess.Popen[bytes]] = []
        (self.project / "jobs" / "src" / "wait.py").write_text(WAIT_SCRIPT)
        (self.project / "stacks" / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": dict(config)}))
        self.run("stack", "init")

    def job_yaml(self, environment: str, compute: str, exit_status: int = 0) -> str:
        variables = {"COUNT_FILE": str(self.count_file), "RELEASE_FILE": str(self.release_file), "EXIT_STATUS": str(exit_status)}
        job = {"type": "command", "code": "./src", "command": "python wait.py", "environment": environment, "compute": compute}
        return yaml.safe_dump({**job, "environment_variables": variables})

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(["pulumi", *args, "--stack", self.stack], cwd=self.project, env=self.env, capture_output=True, text=True)
        if check and done.returncode != 0:
            raise AssertionError(f"pulumi {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    def up(self, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("up", "--yes", "--skip-preview", check=check)

    def start_up(self) -> subprocess.Popen[bytes]:
        """`pulumi up` in a process group of its own, as a terminal's foreground job."""
        log = (self.root / f"up-{len(self._started)}.log").open("wb")
        up = subprocess.Popen(
            ["pulumi", "up", "--yes", "--skip-preview", "--stack", self.stack],
            cwd=self.project,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._started.append(up)
        return up

    def recover(self) -> None:
        """`make recover` after a hard kill: the pulumi commands of its recipe, as the Makefile has them."""
        for command in recover_recipe(self.stack):
            # Our tools run from the repository, on the project they are given; pulumi runs in the project.
            tool = command[0] == sys.executable
            where = {"cwd": ROOT, "args": [*command, str(self.project)]} if tool else {"cwd": self.project, "args": command}
            done = subprocess.run(where["args"], cwd=where["cwd"], env=self.env, capture_output=True, text=True)
            assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"

    def executions(self) -> int:
        return len(self.count_file.read_text().splitlines()) if self.count_file.exists() else 0

    def close(self) -> None:
        """End what the interrupted deployments left: their orphaned language and provider hosts, and a job still waiting."""
        self.release_file.touch()
        for group in leftover_groups(self.project):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
        for up in self._started:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(up.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                up.wait(timeout=10)
