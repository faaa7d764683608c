"""What azure-ai-ml's loaders accept but a job would still fail on: checked per YAML file, at preview.

The SDK validates the schema (field names, types, enums) but not meaning: a command naming an
input the job never declares, a sweep with nothing to search or a negative trial budget, a
conda file whose `dependencies` is a string, an environment variable that is a number. Azure ML finds those only after the workspace is
built and the job submitted; these checks find them before anything is created.

They also keep a stack inside its repository: a relative path that climbs out (`code:
../../../../etc`) or an absolute one is refused, unless its folder is listed under the stack's
`externalPaths`, so preview never reads or hashes files the user did not mean to ship.

Every check reads only the YAML body (and a conda file inside the repository) and raises
`DefinitionError("<field>: <what is wrong>")`; a shape the checks do not expect (a string
where a mapping belongs) is left to the SDK's loader, which names it better.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# `${{inputs.x}}`, `${{ outputs.y }}`; `$[[ ... ]]` marks an optional segment (dropped when its input is absent).
_REFERENCE = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
_OPTIONAL = re.compile(r"\$\[\[.*?\]\]", re.DOTALL)
_REMOTE = re.compile(r"^(azureml:|https?://|wasbs?://|abfss?://|adl://|azureml://|docker://|git\+)")

# Sweep distributions and the numbers each needs (Azure ML CLI v2 sweep job YAML schema:
# https://learn.microsoft.com/azure/machine-learning/reference-yaml-job-sweep#search-space).
_DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "choice": ("values",),
    "randint": ("upper",),
    "uniform": ("min_value", "max_value"),
    "loguniform": ("min_value", "max_value"),
    "quniform": ("min_value", "max_value", "q"),
    "qloguniform": ("min_value", "max_value", "q"),
    "normal": ("mu", "sigma"),
    "lognormal": ("mu", "sigma"),
    "qnormal": ("mu", "sigma", "q"),
    "qlognormal": ("mu", "sigma", "q"),
}


class DefinitionError(ValueError):
    """One problem in one YAML file: `<field>: <what is wrong>`."""


@dataclass(frozen=True)
class Location:
    """Where a YAML file's relative paths start, and which folders outside the repository it may name."""

    root: Path
    folder: Path
    external: Sequence[Path] = ()


def is_local_path(path: str) -> bool:
    """A path on this machine, as opposed to an asset reference or a URL."""
    return bool(path) and not _REMOTE.match(path)


def check_definition(loader: str, body: Mapping[str, Any], where: Location) -> None:
    """Every check for a YAML file about to be given to azure-ai-ml's `loader` (load_job, ...)."""
    for field, path in _local_paths(loader, body):
        check_exists(field, path, where)
    for field, environment in _environments(loader, body):
        _check_conda_file(field, environment.get("conda_file"), where)
    if loader in ("load_job", "load_component"):
        _check_job(body)
    if loader in _SERVING_LOADERS and isinstance(body.get("name"), str):
        _check_serving_name(_SERVING_LOADERS[loader], body["name"])


# Endpoint and deployment names, checked before the SDK's loader, whose message for them names no rule.
_SERVING_LOADERS = {"load_online_endpoint": "endpoint", "load_online_deployment": "deployment"}
# Azure ML's rule for both: 3-32 characters, a letter first, then letters, digits and hyphens.
_SERVING_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9-]{2,31}")


def _check_serving_name(what: str, name: str) -> None:
    if not _SERVING_NAME.fullmatch(name):
        raise DefinitionError(f"name: {name!r} is not a valid {what} name: 3-32 letters, digits and hyphens, starting with a letter")


def check_exists(field: str, path: str, where: Location) -> None:
    """A local file or folder a YAML ships is there, inside the repository (or `externalPaths`)."""
    if not check_inside(field, path, where).exists():
        shown = where.folder.relative_to(where.root).as_posix() if where.folder.is_relative_to(where.root) else where.folder
        raise DefinitionError(f"{field}: {path!r} does not exist (relative to {shown}/)")


def check_environment_variables(field: str, variables: Any) -> None:
    """Azure ML's job contract takes environment variables as strings only; azure-ai-ml sends any
    YAML value on as it is, so a number, boolean or mapping would reach the service unconverted."""
    if not isinstance(variables, Mapping):
        return  # absent, or a shape the SDK's schema names
    for name, value in variables.items():
        if not isinstance(value, str):
            shown = "" if value is None else f" ({value!r})"
            hint = "; quote it" if isinstance(value, int | float) else ""
            raise DefinitionError(f"{field}.{name}: Azure ML takes only strings, not {_kind(value)}{shown}{hint}")


def check_inside(field: str, path: str, where: Location) -> Path:
    """The absolute path a relative (or absolute) path of a file names; refused if it leaves the repository."""
    resolved = (where.folder / path.removeprefix("file:")).resolve()
    allowed = [where.root.resolve(), *(Path(folder).resolve() for folder in where.external)]
    if not any(resolved.is_relative_to(folder) for folder in allowed):
        raise DefinitionError(
            f"{field}: {path!r} is outside the repository; keep it inside, or list its folder under "
            "azureml-training:externalPaths in the stack file to ship it deliberately"
        )
    return resolved


def scheduled_job(schedule: Mapping[str, Any]) -> tuple[str, str] | None:
    """(field, value) of the job a schedule YAML runs: a job YAML's path or an `azureml:` job, written as
    `create_job: <it>` or, with updates to the job, `create_job: {job: <it>, ...}`."""
    create_job = schedule.get("create_job")
    if isinstance(create_job, str):
        return "create_job", create_job
    if isinstance(create_job, Mapping) and isinstance(create_job.get("job"), str):
        return "create_job.job", create_job["job"]
    return None


def _local_paths(loader: str, body: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(field, path) for every local file or folder a definition ships."""
    if loader == "load_data" and isinstance(body.get("path"), str) and is_local_path(body["path"]):
        yield "path", body["path"]
    if loader == "load_schedule":
        scheduled = scheduled_job(body)
        if scheduled is not None and is_local_path(scheduled[1]):
            yield scheduled
    if loader in ("load_job", "load_component"):
        trial = body.get("trial") if isinstance(body.get("trial"), Mapping) else {}
        for field, code in (("code", body.get("code")), ("trial.code", trial.get("code"))):
            if isinstance(code, str) and is_local_path(code):
                yield field, code
        for name, spec in _mapping(body.get("inputs")).items():
            if isinstance(spec, Mapping) and isinstance(spec.get("path"), str) and is_local_path(spec["path"]):
                yield f"inputs.{name}.path", spec["path"]
    for field, environment in _environments(loader, body):
        if isinstance(environment.get("conda_file"), str):
            yield _join(field, "conda_file"), environment["conda_file"]
        build = environment.get("build")
        if isinstance(build, Mapping) and isinstance(build.get("path"), str) and is_local_path(build["path"]):
            yield _join(field, "build.path"), build["path"]


def _environments(loader: str, body: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(field, definition) for an environment file itself, or a job's inline environments."""
    if loader == "load_environment":
        yield "", body
    if loader in ("load_job", "load_component"):
        trial = body.get("trial") if isinstance(body.get("trial"), Mapping) else {}
        for field, environment in (("environment", body.get("environment")), ("trial.environment", trial.get("environment"))):
            if isinstance(environment, Mapping):
                yield field, environment


def _check_conda_file(field: str, conda: Any, where: Location) -> None:
    """A conda file is a mapping whose `dependencies` is a list of specs and at most one `pip:` list."""
    field = _join(field, "conda_file")
    if isinstance(conda, str):
        path = check_inside(field, conda, where)
        if not path.is_file():
            raise DefinitionError(f"{field}: {conda!r} is not a file")
        try:
            conda = yaml.safe_load(path.read_text())
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            raise DefinitionError(f"{field}: {path.name} is not valid YAML{f' (line {mark.line + 1})' if mark else ''}") from None
        field = f"{field} ({path.name})"
    if conda is None:
        return
    if not isinstance(conda, Mapping):
        raise DefinitionError(f"{field}: a conda file is a mapping (name, channels, dependencies), not {_kind(conda)}")
    dependencies = conda.get("dependencies", [])
    if not isinstance(dependencies, list):
        raise DefinitionError(f"{field}: dependencies must be a list of packages, not {_kind(dependencies)}")
    for item in dependencies:
        if isinstance(item, Mapping) and not (set(item) == {"pip"} and isinstance(item["pip"], list)):
            raise DefinitionError(f"{field}: dependencies: a mapping entry must be `pip:` with a list of packages")
        if not isinstance(item, str | Mapping):
            raise DefinitionError(f"{field}: dependencies: {item!r} is not a package spec")


def _check_job(body: Mapping[str, Any]) -> None:
    kind = body.get("type", "command")
    if kind == "command":
        _check_references("command", body.get("command"), {"inputs": body.get("inputs"), "outputs": body.get("outputs")})
        check_environment_variables("environment_variables", body.get("environment_variables"))
    if kind == "sweep":
        trial = _mapping(body.get("trial"))
        check_environment_variables("trial.environment_variables", trial.get("environment_variables"))
        search_space = body.get("search_space")
        namespaces = {"inputs": body.get("inputs"), "outputs": body.get("outputs"), "search_space": search_space}
        _check_search_space(search_space, body.get("sampling_algorithm"))
        _check_references("trial.command", trial.get("command"), namespaces)
        _check_limits(body.get("limits"))


def _check_references(field: str, command: Any, namespaces: Mapping[str, Any]) -> None:
    """Every `${{namespace.name}}` the command uses outside an optional `$[[ ... ]]` segment is declared."""
    if not isinstance(command, str):
        return
    for reference in _REFERENCE.findall(_OPTIONAL.sub("", command)):
        namespace, _, name = reference.partition(".")
        if namespace not in namespaces:
            raise DefinitionError(f"{field}: ${{{{{reference}}}}} names {namespace!r}; only {', '.join(namespaces)} can be used here")
        if namespaces[namespace] is not None and not isinstance(namespaces[namespace], Mapping):
            continue  # a malformed `inputs:` is the SDK's to name
        declared = _mapping(namespaces[namespace])
        if name not in declared:
            known = ", ".join(declared) or "none"
            raise DefinitionError(f"{field}: ${{{{{reference}}}}} is not declared under {namespace} (declared: {known})")


def _check_search_space(search_space: Any, algorithm: Any) -> None:
    if search_space is None or (isinstance(search_space, Mapping) and not search_space):
        raise DefinitionError("search_space: a sweep needs at least one parameter to search")
    if not isinstance(search_space, Mapping):
        return
    for name, spec in search_space.items():
        if isinstance(spec, Mapping) and isinstance(spec.get("type"), str):
            _check_distribution(f"search_space.{name}", spec)
            if algorithm == "grid" and spec["type"] != "choice":
                raise DefinitionError(f"search_space.{name}: grid sampling takes only choice parameters, not {spec['type']}")


def _check_distribution(field: str, spec: Mapping[str, Any]) -> None:
    kind = spec["type"]
    if kind not in _DISTRIBUTIONS:
        raise DefinitionError(f"{field}.type: {kind!r} is not a distribution ({', '.join(_DISTRIBUTIONS)})")
    missing = [key for key in _DISTRIBUTIONS[kind] if key not in spec]
    if missing:
        raise DefinitionError(f"{field}: {kind} needs {' and '.join(missing)}")
    if kind == "choice":
        if isinstance(spec["values"], list) and not spec["values"]:
            raise DefinitionError(f"{field}.values: choice needs at least one value")
        return
    numbers = {key: spec[key] for key in _DISTRIBUTIONS[kind]}
    if not all(_is_number(value) for value in numbers.values()):
        return  # the SDK's schema names the field that is not a number
    if kind == "randint" and numbers["upper"] < 1:
        raise DefinitionError(f"{field}.upper: randint draws from 0 to upper - 1, so upper must be at least 1 (got {numbers['upper']})")
    if "min_value" in numbers and numbers["min_value"] > numbers["max_value"]:
        raise DefinitionError(f"{field}: min_value ({numbers['min_value']}) is greater than max_value ({numbers['max_value']})")
    for key in ("sigma", "q"):
        if key in numbers and numbers[key] <= 0:
            raise DefinitionError(f"{field}.{key}: must be greater than 0 (got {numbers[key]})")


def _check_limits(limits: Any) -> None:
    """Trial counts are at least 1 and timeouts positive (0 is not "no limit", and -1 is not "all")."""
    for key, value in _mapping(limits).items():
        if not _is_number(value):
            continue
        if key in ("max_total_trials", "max_concurrent_trials") and value < 1:
            raise DefinitionError(f"limits.{key}: must be at least 1 (got {value})")
        if key in ("timeout", "trial_timeout") and value <= 0:
            raise DefinitionError(f"limits.{key}: must be a positive number of seconds (got {value})")


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    names = {
        str: "a string",
        list: "a list",
        dict: "a mapping",
        int: "a number",
        float: "a number",
        bool: "a boolean",
        type(None): "an empty value",
    }
    return names.get(type(value), type(value).__name__)


def _join(prefix: str, field: str) -> str:
    return f"{prefix}.{field}" if prefix else field
