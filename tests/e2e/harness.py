"""Drive the real Pulumi engine through the Automation API on a copy of this project."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from pulumi import automation as auto

ROOT = Path(__file__).resolve().parents[2]
# What a stack run needs of the repository; the copy keeps tests from touching the real tree.
PROJECT_FILES = ("Pulumi.yaml", "__main__.py", "requirements.txt", "components", "stacks", "jobs", "policies")


def copy_project(destination: Path) -> Path:
    """A private copy of the Pulumi project sharing this repo's virtualenv."""
    destination.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, destination / name)
    (destination / ".venv").symlink_to(ROOT / ".venv")
    return destination


def stop_local_processes(project: Path) -> None:
    """Whatever a local stack of the copy still runs (an endpoint's servers outlive `up`), for a test that failed before destroy."""
    from components.provider.local.process import running_in, stop_runs

    stop_runs(running_in(project / ".azureml-local"))


def cli_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The CLI as `make` runs it on the local stack: an empty passphrase, no update checks, no plugin downloads."""
    return {
        "PATH": os.environ["PATH"],
        # `extra` may be a whole environment: the test's own settings win over it.
        **(extra or {}),
        "PULUMI_CONFIG_PASSPHRASE": "",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
    }


def engine_env(state_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """`cli_env` with a file backend of the test's own (it wins over one in `extra`)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    return {**cli_env(extra), "PULUMI_BACKEND_URL": f"file://{state_dir}"}


def select_stack(work_dir: Path, stack: str, env: Mapping[str, str]) -> auto.Stack:
    options = auto.LocalWorkspaceOptions(work_dir=str(work_dir), env_vars=dict(env))
    return auto.create_or_select_stack(stack, work_dir=str(work_dir), opts=options)


def state_text(state_dir: Path) -> str:
    """Every checkpoint file of the file backend, as text."""
    return "\n".join(p.read_text() for p in state_dir.rglob("*.json"))


def resource_error(failed: auto.CommandError) -> list[str]:
    """The lines of the one resource error the CLI printed under `error: azureml-training:` in its diagnostics."""
    text = str(failed)
    lines = text[text.index("Diagnostics:") :].splitlines()
    (start,) = [i for i, line in enumerate(lines) if "error: azureml-training:" in line]
    indent = lines[start].index("error:")
    body = [lines[start][indent + len("error: ") :]]
    for line in lines[start + 1 :]:
        if not line.strip() or len(line) - len(line.lstrip()) < indent:
            break
        body.append(line[indent:])
    return body
