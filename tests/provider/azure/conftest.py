"""The Azure backend against the loopback Azure ML double, with the double's clock driving job waits."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.provider.azure.backend import AzureBackend
from tests.azureml_double import AzureMLDouble
from tests.provider.azure.builders import Project, ticking, workspace


@pytest.fixture
def backend(aml_double: AzureMLDouble) -> AzureBackend:
    return AzureBackend(workspace(aml_double), polling=ticking(aml_double))


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project.create(tmp_path / "repo")
