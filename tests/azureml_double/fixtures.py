"""Fixtures for tests that need Azure ML: Azurite, the loopback Azure ML double, and a real MLClient routed to it.

* ``azurite`` (session): Azurite's blob service (``node_modules/.bin/azurite-blob``, from ``npm ci``) in memory on
  a free loopback port; ``.blob_endpoint``, ``.account_url``, ``.list_blobs(container, prefix)``, ...
* ``aml_double`` (function): the session's :class:`~tests.azureml_double.AzureMLDouble`, reset for each test, with
  this process's Azure SDK traffic routed to it for the duration of the test. For a child process (``pulumi up``
  and the dynamic-provider host it starts) pass ``env=aml_double.subprocess_env()``.
* ``ml_client`` (function): ``MLClient(DefaultAzureCredential(), sub, rg, ws)`` exactly as production builds it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.azureml_double import AzureMLDouble, Azurite, routed


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    with Azurite() as emulator:
        yield emulator


@pytest.fixture(scope="session")
def _aml_double_server(azurite: Azurite) -> Iterator[AzureMLDouble]:
    with AzureMLDouble(blob_endpoint=azurite.blob_endpoint) as double:
        yield double


@pytest.fixture
def aml_double(_aml_double_server: AzureMLDouble) -> Iterator[AzureMLDouble]:
    double = _aml_double_server
    double.reset()
    with routed(double.url, double.blob_endpoint):
        yield double
    double.reset()


@pytest.fixture
def ml_client(aml_double: AzureMLDouble):
    from azure.ai.ml import MLClient
    from azure.identity import DefaultAzureCredential

    return MLClient(
        DefaultAzureCredential(),
        aml_double.subscription_id,
        aml_double.resource_group,
        aml_double.workspace,
        show_progress=False,
    )
