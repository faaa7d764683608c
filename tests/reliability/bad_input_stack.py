"""One real stack whose stack file and YAML files are swapped between previews.

A preview under the real engine costs about two seconds, a fresh project and stack several
more: R1 therefore keeps one copy of the project and one stack, writes each case's stack keys
and files, runs `pulumi preview`, and puts every file back before the next case.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi import automation as auto

from tests.e2e.harness import copy_project, engine_env, select_stack

STACK = "local"
STACK_FILE = f"stacks/Pulumi.{STACK}.yaml"
NAMESPACE = "azureml-training:"


@dataclass(frozen=True)
class BadInput:
    """One bad input and the one line preview must refuse it with.

    `config` sets stack keys (without the namespace; None removes the key) on top of the
    shipped local stack; `files` writes files, relative to the project root, over or beside
    the shipped ones. `expected` is the part of the line that names the key or file and
    what is wrong; the line must also start with the stack file.
    """

    id: str
    expected: str
    config: Mapping[str, Any] = field(default_factory=dict)
    files: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Refusal:
    line: str
    message: str


class BadInputStack:
    """The project copy, its stack and the engine environment, shared by every case."""

    def __init__(self, root: Path) -> None:
        self.project = copy_project(root / "project")
        self.state = root / "state"
        self.stack = select_stack(self.project, STACK, engine_env(self.state))
        self._shipped_config = yaml.safe_load((self.project / STACK_FILE).read_text())

    def shipped(self, relative: str) -> str:
        return (self.project / relative).read_text()

    def refusal(self, case: BadInput) -> Refusal:
        """Preview the case; it must fail. Every file is put back afterwards."""
        originals = {name: self._read(name) for name in [STACK_FILE, *case.files]}
        try:
            self._write_config(case.config)
            for name, text in case.files.items():
                target = self.project / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
            before = self._tree()
            with pytest.raises(auto.CommandError) as failed:
                self.stack.preview()
            created = self._tree() - before
            assert not created, f"preview created files: {sorted(created)}"
            assert not self._registered(), "nothing may be registered in the stack's state"
        finally:
            for name, text in originals.items():
                self._restore(name, text)
        message = str(failed.value)
        errors = [line.split("error:", 1)[1].strip() for line in message.splitlines() if "error:" in line]
        assert len(set(errors)) == 1, f"one error line, and nothing more: {errors}"
        return Refusal(errors[0], message)

    def _write_config(self, changes: Mapping[str, Any]) -> None:
        settings = json.loads(json.dumps(self._shipped_config))
        config = settings["config"]
        for key, value in changes.items():
            if value is None:
                config.pop(NAMESPACE + key, None)
            else:
                config[NAMESPACE + key] = value
        (self.project / STACK_FILE).write_text(yaml.safe_dump(settings, sort_keys=False))

    def _read(self, name: str) -> str | None:
        path = self.project / name
        return path.read_text() if path.is_file() else None

    def _restore(self, name: str, text: str | None) -> None:
        path = self.project / name
        if text is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(text)

    def _tree(self) -> set[str]:
        """Every file and folder of the project (not the shared venv, not bytecode caches)."""
        found: set[str] = set()
        for folder, subfolders, files in os.walk(self.project):  # os.walk does not follow the .venv link
            subfolders[:] = [name for name in subfolders if name != "__pycache__"]
            found.update(Path(folder, name).relative_to(self.project).as_posix() for name in [*subfolders, *files])
        return found

    def _registered(self) -> list[Any]:
        """Resources in any checkpoint of the stack's file backend."""
        resources: list[Any] = []
        for checkpoint in (self.state / ".pulumi" / "stacks").rglob("*.json"):
            deployment = json.loads(checkpoint.read_text()).get("checkpoint", {}).get("latest") or {}
            resources += deployment.get("resources") or []
        return resources
