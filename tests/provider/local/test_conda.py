"""A conda file's Python dependencies become PyPI requirements for uv."""

from __future__ import annotations

import pytest

from components.provider.local.conda import python_dependencies
from components.provider.local.errors import InvalidDefinitionError


def requirements(*conda: object) -> tuple[str, ...]:
    return python_dependencies({"dependencies": list(conda)}).requirements


@pytest.mark.parametrize(
    ("conda", "pip"),
    [
        ("scikit-learn=1.9.1", "scikit-learn==1.9.1"),
        ("numpy=1.26", "numpy==1.26.*"),
        ("pandas 2.2.*", "pandas==2.2.*"),
        ("numpy=1.26.4=py311h64a7726_0", "numpy==1.26.4"),
        ("scipy>=1.10,<2", "scipy>=1.10,<2"),
        ("scipy==1.17.1", "scipy==1.17.1"),
        ("conda-forge::lightgbm=4.5.0", "lightgbm==4.5.0"),
        ("requests", "requests"),
    ],
)
def test_conda_versions_become_pip_specifiers(conda: str, pip: str) -> None:
    assert requirements(conda) == (pip,)


@pytest.mark.parametrize(
    ("conda", "pip"), [("pytorch=2.3.1", "torch==2.3.1"), ("py-xgboost", "xgboost"), ("matplotlib-base=3.9", "matplotlib==3.9.*")]
)
def test_renamed_packages_take_their_pypi_name(conda: str, pip: str) -> None:
    assert requirements(conda) == (pip,)


def test_python_picks_the_interpreter_and_is_not_a_requirement() -> None:
    deps = python_dependencies({"dependencies": ["python=3.11", "numpy"]})
    assert (deps.python, deps.requirements) == ("==3.11.*", ("numpy",))


def test_pip_in_the_conda_file_seeds_pip_into_the_environment() -> None:
    assert python_dependencies({"dependencies": ["pip"]}).pip is True
    assert python_dependencies({"dependencies": ["numpy"]}).pip is False


def test_binary_only_conda_packages_are_left_out_with_a_note() -> None:
    deps = python_dependencies({"dependencies": ["mkl", "libgcc-ng", "cudatoolkit=11.8", "numpy"]})
    assert deps.requirements == ("numpy",)
    assert len(deps.notes) == 3
    assert all("conda-only" in note for note in deps.notes)


def test_conda_alternatives_install_the_package_unconstrained_with_a_note() -> None:
    deps = python_dependencies({"dependencies": ["numpy=1.25|1.26"]})
    assert deps.requirements == ("numpy",)
    assert "unconstrained" in deps.notes[0]


def test_pip_entries_follow_conda_packages_and_win_over_the_same_package() -> None:
    conda = {"dependencies": ["numpy=1.26", "scipy", {"pip": ["NumPy==2.4.6", "mlflow==3.17.2"]}]}
    assert python_dependencies(conda).requirements == ("scipy", "NumPy==2.4.6", "mlflow==3.17.2")


def test_pip_options_are_kept_for_uv() -> None:
    conda = {"dependencies": [{"pip": ["--extra-index-url https://example.invalid/simple", "mlflow"]}]}
    assert python_dependencies(conda).requirements == ("--extra-index-url https://example.invalid/simple", "mlflow")


@pytest.mark.parametrize("entry", ["-r requirements.txt", "--requirement=requirements.txt", "-e .", "./wheels/pkg.whl"])
def test_pip_entries_naming_local_files_are_refused(entry: str) -> None:
    with pytest.raises(InvalidDefinitionError, match="local file"):
        python_dependencies({"dependencies": [{"pip": [entry]}]})
