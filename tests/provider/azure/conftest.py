"""The Azure backend against the loopback Azure ML double, with the double's clock driving job waits."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.provider.azure.backend import AzureBackend
from tests.azureml_double import AzureMLDouble
from tests.provider.azure.builders import Project, ticking, workspace


@pytest.fixture(autouse=True)
def cluster(aml_double: AzureMLDouble) -> str:
    """The compute cluster the builders' jobs run on: the service refuses jobs on computes it does not know."""
    aml_double.add_compute("cpu-cluster")
    return "cpu-cluster"


@pytest.fixture
def registered_environment(aml_double: AzureMLDouble) -> str:
    """The environment the builders' jobs name (azureml:sklearn:1), registered before the test: the service refuses jobs
    naming one that does not exist. Modules that submit jobs use it (`pytestmark`)."""
    aml_double.add_environment("sklearn", "1")
    return "azureml:sklearn:1"


@pytest.fixture
def backend(aml_double: AzureMLDouble) -> AzureBackend:
    return AzureBackend(workspace(aml_double), polling=ticking(aml_double))


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project.create(tmp_path / "repo")
