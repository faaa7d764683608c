"""Virtualenvs built by uv, cached by what they contain in a folder that every stack shares.

A virtualenv is built in a temporary folder and renamed into place only once complete, so an
interrupted or failed build is never reused; a file lock makes parallel builds of the same
content (threads, or two stacks) wait for one another instead of building twice. Virtualenvs
are relocatable so the rename keeps their scripts working.
"""

from __future__ import annotations

import fcntl
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from packaging.specifiers import SpecifierSet
from uv import find_uv_bin

from components.provider.local.errors import EnvironmentBuildError
from components.provider.local.progress import report, warn
from components.provider.local.records import write_record
from components.provider.props import digest

CACHE_VARIABLE = "AZUREML_TRAINING_CACHE"
MARKER = "azureml-training-env.json"
_REQUIREMENTS = "azureml-training-requirements.txt"


def cache_root() -> Path:
    """`$AZUREML_TRAINING_CACHE/envs`, by default under `~/.cache/azureml-training`."""
    return Path(os.environ.get(CACHE_VARIABLE) or Path.home() / ".cache" / "azureml-training") / "envs"


@dataclass(frozen=True)
class Interpreter:
    path: str
    version: str


@dataclass(frozen=True)
class VenvSpec:
    """Everything a virtualenv's content depends on; its digest names the cache entry."""

    interpreter: Interpreter
    requirements: tuple[str, ...]
    pip: bool

    @property
    def key(self) -> str:
        return digest(asdict(self), 20)


def stack_interpreter() -> Interpreter:
    return Interpreter(str(Path(sys.executable).resolve()), platform.python_version())


def find_interpreter(specifier: str | None, subject: str) -> Interpreter:
    """The stack's own interpreter when it fits, else one uv finds installed; never a download."""
    current = stack_interpreter()
    if specifier is None or SpecifierSet(specifier).contains(current.version):
        return current
    found = _uv("python", "find", specifier, subject=subject, check=False)
    if found.returncode == 0:
        path = found.stdout.strip()
        version = subprocess.run(
            [path, "-c", "import platform; print(platform.python_version())"], capture_output=True, text=True, check=True
        )
        return Interpreter(path, version.stdout.strip())
    warn(subject, f"Python {specifier} is not installed on this machine (and is never downloaded): using Python {current.version}")
    return current


def ensure_venv(spec: VenvSpec, subject: str, cache: Path | None = None) -> Path:
    """The cached virtualenv for `spec`, built first if needed."""
    cache = cache or cache_root()
    final = cache / spec.key
    if is_complete(final):
        return final
    cache.mkdir(parents=True, exist_ok=True)
    with _locked(cache / f".{spec.key}.lock"):
        if not is_complete(final):
            _discard_leftovers(cache, final, subject)
            _build(spec, final, subject)
    return final


def read_spec(venv: Path) -> VenvSpec:
    """What a cached virtualenv was built from, as its marker records it."""
    recorded = json.loads((venv / MARKER).read_text())
    interpreter = Interpreter(**recorded["interpreter"])
    return VenvSpec(interpreter, tuple(recorded["requirements"]), bool(recorded["pip"]))


def is_complete(venv: Path) -> bool:
    return (venv / MARKER).is_file() and (venv / "bin" / "python").exists()


def _build(spec: VenvSpec, final: Path, subject: str) -> None:
    started = time.monotonic()
    packages = sum(not line.startswith("-") for line in spec.requirements)
    report(subject, f"installing {packages} packages on Python {spec.interpreter.version} into {final}")
    temp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".partial", dir=final.parent))
    try:
        seed = ["--seed"] if spec.pip else []
        _uv("venv", "--quiet", "--relocatable", "--no-project", *seed, "--python", spec.interpreter.path, str(temp), subject=subject)
        _install(spec, temp, subject)
        write_record(temp / MARKER, asdict(spec))
        temp.rename(final)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    report(subject, f"ready in {time.monotonic() - started:.1f} s")


def _install(spec: VenvSpec, venv: Path, subject: str) -> None:
    if not spec.requirements:
        return
    requirements = venv / _REQUIREMENTS
    requirements.write_text("\n".join(spec.requirements) + "\n")
    python = str(venv / "bin" / "python")
    _uv("pip", "install", "--quiet", "--python", python, "-r", str(requirements), subject=subject)


def _discard_leftovers(cache: Path, final: Path, subject: str) -> None:
    """Under the lock, any partial build of this entry is from a build that was interrupted."""
    for partial in cache.glob(f".{final.name}.*.partial"):
        shutil.rmtree(partial, ignore_errors=True)
    if final.exists():
        warn(subject, f"discarding the incomplete environment {final}")
        shutil.rmtree(final)


def _uv(*args: str, subject: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    result = subprocess.run([find_uv_bin(), *args], capture_output=True, text=True, env=env, check=False)
    if check and result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-20:])
        raise EnvironmentBuildError(f"{subject}: `uv {' '.join(args[:2])}` failed (exit status {result.returncode}):\n{tail}")
    return result


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
