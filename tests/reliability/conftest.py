"""Deployments shared by the areas that inspect them (R3 and R6 look at the same faulty Azure deploy)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.azureml_double import AzureMLDouble
from tests.reliability.deployments import Deployment, azure_under_faults, local_with_secrets

# What a deployer's environment holds on a laptop or a CI runner; none of it may reach a job or a log.
DEPLOYER_SECRETS = {
    "PULUMI_CONFIG_PASSPHRASE": "passphrase-of-the-reliability-stack",
    "PULUMI_ACCESS_TOKEN": "pul-reliability-0001",
    "AZURE_CLIENT_SECRET": "azure-client-secret-0002",
    "ARM_CLIENT_SECRET": "arm-client-secret-0003",
}


@pytest.fixture(scope="session")
def azure_deployment(tmp_path_factory: pytest.TempPathFactory, _aml_double_server: AzureMLDouble) -> Iterator[Deployment]:
    double = _aml_double_server
    double.reset()
    try:
        yield azure_under_faults(tmp_path_factory.mktemp("azure-under-faults"), double)
    finally:
        double.reset()


@pytest.fixture(scope="session")
def local_deployment(tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    return local_with_secrets(tmp_path_factory.mktemp("local-secrets"), DEPLOYER_SECRETS)
