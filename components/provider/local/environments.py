"""Environment assets: an environment YAML's Python dependencies as a cached virtualenv.

The workspace records each `name:version` with the interpreter its jobs run, so a job's
`azureml:<name>:<version>` (or `@latest`) resolves to it. What cannot be reproduced here, a
bare image or a Docker build context, or a curated or registry environment, runs in the
stack's own interpreter, with a warning.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.provider.backend import Outs, Props
from components.provider.local.conda import python_dependencies
from components.provider.local.errors import InvalidDefinitionError, NotFoundLocallyError
from components.provider.local.layout import Layout
from components.provider.local.progress import report, warn
from components.provider.local.records import latest_record, read_record, write_record
from components.provider.local.references import is_asset_reference, parse_asset_reference
from components.provider.local.venvs import VenvSpec, ensure_venv, find_interpreter, read_spec


@dataclass(frozen=True)
class PythonEnv:
    """The interpreter a job runs, and its virtualenv when it has one of its own."""

    python: str
    venv: str | None = None


def stack_python() -> PythonEnv:
    return PythonEnv(sys.executable)


def build_environment(definition: Mapping[str, Any], base_dir: Path, subject: str) -> PythonEnv:
    """The environment's virtualenv (cached), or the stack's interpreter when it has no conda file."""
    spec = definition_spec(definition, base_dir, subject)
    if spec is None:
        what = "a Docker build context" if definition.get("build") else "an image without a conda file"
        warn(subject, f"{what} cannot be reproduced on this machine: its jobs run in the stack's own Python ({sys.executable})")
        return stack_python()
    return built(spec, subject)


def built(spec: VenvSpec, subject: str) -> PythonEnv:
    venv = ensure_venv(spec, subject)
    return PythonEnv(str(venv / "bin" / "python"), str(venv))


def definition_spec(definition: Mapping[str, Any], base_dir: Path, subject: str) -> VenvSpec | None:
    """What an environment definition's virtualenv holds; None when it has no conda file."""
    conda = _conda_file(definition, base_dir, subject)
    return None if conda is None else conda_spec(conda, subject)


def conda_spec(conda: Mapping[str, Any], subject: str) -> VenvSpec:
    """What a conda file's virtualenv holds: its Python packages, on the interpreter it asks for."""
    deps = python_dependencies(conda)
    for note in deps.notes:
        warn(subject, note)
    return VenvSpec(find_interpreter(deps.python, subject), deps.requirements, deps.pip)


def put_environment(layout: Layout, props: Props) -> Outs:
    name, version = props["name"], str(props["version"])
    subject = f"environment {name}"
    env = build_environment(props["definition"], layout.base / props.get("base_dir", "."), subject)
    record = {"name": name, "version": version, "asset_id": f"azureml:{name}:{version}", "python": env.python, "venv": env.venv}
    write_record(layout.environment_record(name, version), {**record, "created": time.time()})
    report(subject, f"version {version} runs {env.python}")
    return _outs(record)


def read_environment(layout: Layout, outs: Props) -> Outs | None:
    record = read_record(layout.environment_record(outs["name"], str(outs["version"])))
    if record is None or not Path(record["python"]).exists():
        return None
    return _outs(record)


def archive_environment(layout: Layout, outs: Props) -> None:
    """Forget the version; its virtualenv stays in the shared cache for other stacks."""
    layout.environment_record(outs["name"], str(outs["version"])).unlink(missing_ok=True)


def resolve_environment(layout: Layout, environment: Any, base_dir: Path, subject: str) -> PythonEnv:
    """The interpreter for a job's `environment`: this stack's asset, an inline definition, or a curated one."""
    if isinstance(environment, Mapping):
        return build_environment(environment, base_dir, subject)
    if not isinstance(environment, str) or not environment:
        raise InvalidDefinitionError(f"{subject} names no environment")
    if environment.startswith("azureml://registries/") or _is_curated(environment):
        warn(subject, f"{environment} is an Azure ML curated or registry environment: it runs in the stack's own Python")
        return stack_python()
    if not is_asset_reference(environment):
        raise InvalidDefinitionError(f"{subject}: environment {environment!r} is not an azureml: reference or an inline environment")
    record = _asset_record(layout, environment, subject)
    return PythonEnv(record["python"], record.get("venv"))


def environment_spec(layout: Layout, environment: Any, base_dir: Path, subject: str) -> VenvSpec | None:
    """What the virtualenv of an `environment` (as `resolve_environment` takes it) holds; None for one that runs in the
    stack's own Python here (curated, a registry's, an image without a conda file)."""
    if isinstance(environment, Mapping):
        return definition_spec(environment, base_dir, subject)
    if isinstance(environment, str) and (environment.startswith("azureml://registries/") or _is_curated(environment)):
        return None
    python = resolve_environment(layout, environment, base_dir, subject)
    return None if python.venv is None else read_spec(Path(python.venv))


def environment_identity(layout: Layout, environment: Any, base_dir: Path, subject: str) -> Any:
    """What a job's `environment` amounts to when deciding whether a pipeline step may be reused: for an asset of
    the stack, the interpreter and virtualenv it runs (one per set of packages); inline, its fields and conda file."""
    if isinstance(environment, Mapping):
        return {**environment, "conda_file": _conda_file(environment, base_dir, subject)}
    if isinstance(environment, str) and is_asset_reference(environment) and not _is_curated(environment):
        record = _asset_record(layout, environment, subject)
        return {"python": record["python"], "venv": record.get("venv")}
    return environment


def _asset_record(layout: Layout, environment: str, subject: str) -> dict[str, Any]:
    reference = parse_asset_reference(environment, subject)
    folder = layout.environments(reference.name)
    record = latest_record(folder) if reference.version is None else read_record(folder / f"{reference.version}.json")
    if record is None:
        known = sorted(p.name for p in folder.parent.glob("*")) if folder.parent.is_dir() else []
        raise NotFoundLocallyError(
            f"{subject}: environment {environment} is not defined in this stack (known: {', '.join(known) or 'none'})"
        )
    return record


def _is_curated(reference: str) -> bool:
    return reference.lower().startswith("azureml:azureml-")


def _conda_file(definition: Mapping[str, Any], base_dir: Path, subject: str) -> Mapping[str, Any] | None:
    conda = definition.get("conda_file")
    if conda is None or isinstance(conda, Mapping):
        return conda
    path = base_dir / str(conda)
    if not path.is_file():
        raise InvalidDefinitionError(f"{subject}: conda_file {str(conda)!r} does not exist next to the environment YAML ({path})")
    return yaml.safe_load(path.read_text()) or {}


def _outs(record: Mapping[str, Any]) -> Outs:
    return {"asset_id": record["asset_id"], "python": record["python"]}
