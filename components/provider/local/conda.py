"""A conda file's Python dependencies as PyPI requirements, for a uv-built virtualenv.

Most conda packages are published to PyPI under the same name; the few renamed ones are
mapped. conda's own tooling (python, pip, conda) is not a requirement: python picks the
interpreter and pip is seeded into the virtualenv. Binary-only packages (compiler runtimes,
CUDA, BLAS, R, ...) have no PyPI equivalent; they are left out and reported, and the
virtualenv uses what the machine has instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from components.provider.local.errors import InvalidDefinitionError

_TOOLING = frozenset({"python", "pip", "conda", "mamba", "conda-build"})
_RENAMED = {
    "pytorch": "torch",
    "pytorch-cpu": "torch",
    "py-xgboost": "xgboost",
    "py-xgboost-cpu": "xgboost",
    "pytables": "tables",
    "msgpack-python": "msgpack",
    "python-graphviz": "graphviz",
    "matplotlib-base": "matplotlib",
    "py-opencv": "opencv-python",
    "pyqt": "PyQt5",
}
_BINARY_ONLY = frozenset(
    {"blas", "openblas", "mkl", "mkl-include", "cudnn", "nccl", "openssl", "ca-certificates", "openmpi", "mpich", "gcc", "gxx"}
    | {"gfortran", "make", "git", "nodejs", "tk", "zlib", "xz", "sqlite", "readline", "ncurses", "bzip2", "tzdata", "ffmpeg", "graphviz"}
)
_BINARY_ONLY_PREFIXES = ("lib", "_", "cuda", "r-")
# pip lines that point at files next to the conda file: Azure ML cannot see those either.
_FILE_OPTIONS = ("-r", "--requirement", "-c", "--constraint", "-e", "--editable")
_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)$")
_OPERATOR = re.compile(r"^(==|>=|<=|!=|~=|>|<)")


@dataclass(frozen=True)
class PythonDependencies:
    python: str | None
    """A PEP 440 specifier for the interpreter (from `python=3.11`: `==3.11.*`), or None for any."""
    requirements: tuple[str, ...]
    pip: bool
    """The conda file asks for pip inside the environment."""
    notes: tuple[str, ...]
    """What could not be carried over to pip, for the user to read."""


def python_dependencies(conda: Mapping[str, Any]) -> PythonDependencies:
    conda_specs: list[str] = []
    pip_lines: list[str] = []
    for entry in conda.get("dependencies") or []:
        if isinstance(entry, Mapping):
            pip_lines += [str(line).strip() for line in entry.get("pip") or []]
        else:
            conda_specs.append(str(entry).strip())
    python, pip, requirements, notes = None, False, [], []
    pip_names = {canonical_name(line) for line in pip_lines if not line.startswith("-")}
    for spec in conda_specs:
        name, version = split_conda_spec(spec)
        if name == "python":
            python = version
        elif name == "pip":
            pip = True
        elif name in _TOOLING or canonical_name(name) in pip_names:
            continue  # pip installs after conda: its pin wins, as on Azure ML
        elif _is_binary_only(name):
            notes.append(f"left out {spec!r}: a conda-only binary package, the machine's own libraries are used")
        elif version is False:
            notes.append(f"{spec!r}: conda alternatives and bracket options have no pip form, installing {name} unconstrained")
            requirements.append(_RENAMED.get(name, name))
        else:
            requirements.append(f"{_RENAMED.get(name, name)}{version or ''}")
    _check_pip_lines(pip_lines)
    return PythonDependencies(python, tuple(requirements + pip_lines), pip, tuple(notes))


def split_conda_spec(spec: str) -> tuple[str, str | bool | None]:
    """A conda match spec's package name and its version as a PEP 440 specifier.

    The version is None when unconstrained and False when conda's syntax has no pip
    equivalent (alternatives with `|`, bracket options).
    """
    spec = spec.split("::")[-1]
    match = _NAME.match(spec)
    if match is None:
        raise InvalidDefinitionError(f"conda dependency {spec!r} is not a package spec")
    name, rest = match.group(1).lower(), match.group(2).strip()
    if not rest:
        return name, None
    if "|" in rest or "[" in rest:
        return name, False
    if _OPERATOR.match(rest):
        return name, rest.replace(" ", "")
    version = rest.lstrip("=").replace(" ", "=").split("=")[0]  # `=1.2=build` and `1.2 build` drop the build
    return name, _fuzzy(version)


def _fuzzy(version: str) -> str:
    """conda's `=1.2` means 1.2.*; a full three-part version is taken as the exact release."""
    if version.endswith("*"):
        return f"=={version.rstrip('.*')}.*"
    if version.count(".") >= 2:
        return f"=={version}"
    return f"=={version}.*"


def canonical_name(requirement: str) -> str:
    """PEP 503's form of a requirement's project name, to compare conda and pip entries."""
    match = _NAME.match(requirement)
    return re.sub(r"[-_.]+", "-", match.group(1) if match else requirement).lower()


def _is_binary_only(name: str) -> bool:
    return name in _BINARY_ONLY or name.startswith(_BINARY_ONLY_PREFIXES)


def _check_pip_lines(lines: Iterable[str]) -> None:
    for line in lines:
        if line.split()[0].split("=")[0] in _FILE_OPTIONS or line.startswith((".", "/", "file:")):
            raise InvalidDefinitionError(
                f"pip entry {line!r} points at a local file, which the environment build cannot see: list the packages instead"
            )
