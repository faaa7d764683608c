"""Sweep sampling: each trial's hyperparameters, drawn from an Azure ML search space.

Random sampling is seeded from the job's name unless the YAML gives a seed, so a re-run of
the same job samples the same trials. Grid sampling enumerates `choice` values, as Azure ML
allows it only for those. Bayesian sampling needs Azure ML's service and is refused.
Distributions follow Azure ML's definitions: `loguniform` and `lognormal` take their bounds
in log space, the `q` variants round to a multiple of `q` (an integer `q` gives integers),
and `randint` draws from [0, upper).
"""

from __future__ import annotations

import hashlib
import itertools
import math
import random
from collections.abc import Callable, Mapping
from typing import Any

from components.provider.local.errors import InvalidDefinitionError, UnsupportedLocallyError
from components.provider.local.progress import warn

Trial = dict[str, Any]
_Draw = Callable[[random.Random, float, float], float]

_CONTINUOUS: dict[str, tuple[tuple[str, str], _Draw]] = {
    "uniform": (("min_value", "max_value"), lambda rng, low, high: rng.uniform(low, high)),
    "loguniform": (("min_value", "max_value"), lambda rng, low, high: math.exp(rng.uniform(low, high))),
    "normal": (("mu", "sigma"), lambda rng, mu, sigma: rng.gauss(mu, sigma)),
    "lognormal": (("mu", "sigma"), lambda rng, mu, sigma: math.exp(rng.gauss(mu, sigma))),
}


def sample_trials(
    search_space: Mapping[str, Mapping[str, Any]], algorithm: Any, max_total_trials: int | None, job_name: str, subject: str
) -> list[Trial]:
    """The hyperparameters of every trial the sweep runs, in order."""
    if not search_space:
        raise InvalidDefinitionError(f"{subject}: a sweep needs a search_space")
    kind, seed = _algorithm(algorithm, subject)
    if kind == "grid":
        return _grid(search_space, subject)[:max_total_trials]
    if kind == "bayesian":
        raise UnsupportedLocallyError(
            f"{subject}: Bayesian sampling runs only on Azure ML; use random or grid sampling for the local target"
        )
    if kind != "random":
        raise InvalidDefinitionError(f"{subject}: unknown sampling_algorithm {kind!r} (random, grid or bayesian)")
    if not max_total_trials:
        raise InvalidDefinitionError(f"{subject}: random sampling needs limits.max_total_trials")
    rng = random.Random(job_seed(job_name) if seed is None else seed)
    return [{name: draw(rng, name, spec, subject) for name, spec in search_space.items()} for _ in range(max_total_trials)]


def job_seed(job_name: str) -> int:
    return int.from_bytes(hashlib.sha256(job_name.encode()).digest()[:8], "big")


def draw(rng: random.Random, name: str, spec: Mapping[str, Any], subject: str) -> Any:
    """One value of one search-space parameter."""
    kind = str(spec.get("type", ""))
    if kind == "choice":
        return rng.choice(list(_field(spec, "values", name, subject)))
    if kind == "randint":
        return rng.randrange(int(_field(spec, "upper", name, subject)))
    base = kind[1:] if kind.startswith("q") else kind
    if base not in _CONTINUOUS:
        raise InvalidDefinitionError(f"{subject}: search_space.{name} has unknown type {kind!r}")
    fields, distribution = _CONTINUOUS[base]
    value = distribution(rng, *(float(_field(spec, f, name, subject)) for f in fields))
    return _quantize(value, _field(spec, "q", name, subject)) if kind != base else value


def _quantize(value: float, q: float) -> float:
    rounded = round(value / q) * q
    return int(rounded) if isinstance(q, int) else rounded


def _grid(search_space: Mapping[str, Mapping[str, Any]], subject: str) -> list[Trial]:
    for name, spec in search_space.items():
        if spec.get("type") != "choice":
            raise InvalidDefinitionError(f"{subject}: grid sampling needs choice parameters, search_space.{name} is {spec.get('type')!r}")
    names = list(search_space)
    values = [list(_field(search_space[name], "values", name, subject)) for name in names]
    return [dict(zip(names, combination, strict=True)) for combination in itertools.product(*values)]


def _algorithm(algorithm: Any, subject: str) -> tuple[str, int | None]:
    if isinstance(algorithm, Mapping):
        kind, seed = str(algorithm.get("type", "random")).lower(), algorithm.get("seed")
        if algorithm.get("rule", "random") != "random":
            warn(subject, f"sampling rule {algorithm['rule']!r} is not available locally: plain random sampling is used")
        return kind, seed
    return str(algorithm or "random").lower(), None


def _field(spec: Mapping[str, Any], field: str, name: str, subject: str) -> Any:
    if field not in spec:
        raise InvalidDefinitionError(f"{subject}: search_space.{name} ({spec.get('type')}) needs {field}")
    return spec[field]
