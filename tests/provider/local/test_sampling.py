"""Sweep sampling follows Azure ML's search-space definitions, reproducibly."""

from __future__ import annotations

import math
import statistics
from typing import Any

import pytest

from components.provider.local.errors import InvalidDefinitionError, UnsupportedLocallyError
from components.provider.local.sampling import sample_trials

DRAWS = 400


def draws(spec: dict[str, Any], job: str = "sweep-1") -> list[Any]:
    return [trial["x"] for trial in sample_trials({"x": spec}, "random", DRAWS, job, f"sweep {job}")]


def is_multiple(value: float, q: float) -> bool:
    return math.isclose(value / q, round(value / q), abs_tol=1e-9)


def test_choice_draws_only_listed_values_and_all_of_them() -> None:
    assert set(draws({"type": "choice", "values": [100, 300, "auto"]})) == {100, 300, "auto"}


def test_randint_draws_integers_from_zero_below_upper() -> None:
    assert set(draws({"type": "randint", "upper": 4})) == {0, 1, 2, 3}


def test_uniform_draws_within_its_bounds() -> None:
    values = draws({"type": "uniform", "min_value": 0.5, "max_value": 2})
    assert all(0.5 <= v <= 2 for v in values)


def test_loguniform_bounds_are_exponents() -> None:
    values = draws({"type": "loguniform", "min_value": -4, "max_value": 2})
    assert all(math.exp(-4) <= v <= math.exp(2) for v in values)
    assert min(values) < 0.1 < 1 < max(values)


def test_normal_draws_around_mu() -> None:
    values = draws({"type": "normal", "mu": 10, "sigma": 2})
    assert abs(statistics.mean(values) - 10) < 0.5
    assert 1.5 < statistics.stdev(values) < 2.5


def test_lognormal_draws_exp_of_a_normal() -> None:
    values = draws({"type": "lognormal", "mu": 0, "sigma": 1})
    assert all(v > 0 for v in values)
    assert abs(statistics.mean(math.log(v) for v in values)) < 0.2


@pytest.mark.parametrize(
    ("spec", "low", "high"),
    [
        ({"type": "quniform", "min_value": 0, "max_value": 1, "q": 0.25}, 0, 1),
        ({"type": "qloguniform", "min_value": 0, "max_value": 3, "q": 0.5}, 1, math.exp(3) + 0.25),
        ({"type": "qnormal", "mu": 0, "sigma": 1, "q": 0.5}, -math.inf, math.inf),
        ({"type": "qlognormal", "mu": 0, "sigma": 1, "q": 0.5}, 0, math.inf),
    ],
)
def test_q_types_round_to_multiples_of_q(spec: dict[str, Any], low: float, high: float) -> None:
    values = draws(spec)
    assert all(is_multiple(v, spec["q"]) and low <= v <= high for v in values)


def test_an_integer_q_gives_integers() -> None:
    values = draws({"type": "quniform", "min_value": 16, "max_value": 128, "q": 16})
    assert all(isinstance(v, int) and v % 16 == 0 and 16 <= v <= 128 for v in values)


def test_random_sampling_draws_max_total_trials() -> None:
    assert len(sample_trials({"x": {"type": "uniform", "min_value": 0, "max_value": 1}}, "random", 7, "s", "sweep s")) == 7


def test_random_sampling_is_reproducible_from_the_job_name() -> None:
    spec = {"type": "uniform", "min_value": 0, "max_value": 1}
    assert draws(spec, "sweep-a") == draws(spec, "sweep-a")
    assert draws(spec, "sweep-a") != draws(spec, "sweep-b")


def test_an_explicit_seed_decides_the_draws() -> None:
    space = {"x": {"type": "uniform", "min_value": 0, "max_value": 1}}
    seeded = {"type": "random", "seed": 42}
    assert sample_trials(space, seeded, 3, "sweep-a", "s") == sample_trials(space, seeded, 3, "sweep-b", "s")


def test_grid_sampling_enumerates_every_combination_in_order() -> None:
    space = {"C": {"type": "choice", "values": [0.1, 1]}, "solver": {"type": "choice", "values": ["lbfgs", "saga"]}}
    assert sample_trials(space, "grid", None, "s", "sweep s") == [
        {"C": 0.1, "solver": "lbfgs"},
        {"C": 0.1, "solver": "saga"},
        {"C": 1, "solver": "lbfgs"},
        {"C": 1, "solver": "saga"},
    ]


def test_grid_sampling_stops_at_max_total_trials() -> None:
    assert len(sample_trials({"C": {"type": "choice", "values": [1, 2, 3]}}, "grid", 2, "s", "sweep s")) == 2


def test_grid_sampling_refuses_anything_but_choice() -> None:
    with pytest.raises(InvalidDefinitionError, match=r"search_space.lr is 'uniform'"):
        sample_trials({"lr": {"type": "uniform", "min_value": 0, "max_value": 1}}, "grid", 4, "s", "sweep s")


def test_bayesian_sampling_is_refused_naming_the_job() -> None:
    with pytest.raises(UnsupportedLocallyError, match="sweep nightly: Bayesian sampling runs only on Azure ML"):
        sample_trials({"C": {"type": "choice", "values": [1]}}, {"type": "bayesian"}, 4, "nightly", "sweep nightly")


def test_random_sampling_needs_max_total_trials() -> None:
    with pytest.raises(InvalidDefinitionError, match="max_total_trials"):
        sample_trials({"C": {"type": "choice", "values": [1]}}, "random", None, "s", "sweep s")


def test_a_parameter_missing_a_bound_is_an_error_naming_it() -> None:
    with pytest.raises(InvalidDefinitionError, match=r"search_space.x \(uniform\) needs max_value"):
        sample_trials({"x": {"type": "uniform", "min_value": 0}}, "random", 1, "s", "sweep s")
