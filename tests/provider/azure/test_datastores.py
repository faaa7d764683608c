"""Datastores: secrets reach the service and nothing else, not outputs, not error messages."""

from __future__ import annotations

import traceback

import pytest

from components.provider.azure.backend import AzureBackend
from components.provider.azure.errors import DatastoreError
from tests.azureml_double import AzureMLDouble
from tests.provider.azure.builders import datastore_props

# Shaped like a storage key, and URL-safe only after quoting: both forms must be scrubbed.
SECRET = "c2VjcmV0LWtleS1mb3ItdGVzdHM+/SECRET+key=="


def test_datastore_is_created_with_its_secret_which_never_comes_back(backend: AzureBackend, aml_double: AzureMLDouble) -> None:
    outs = backend.put_datastore(datastore_props(aml_double, SECRET))

    assert outs == {"asset_id": "azureml://datastores/training"}
    assert aml_double.datastore_secrets["training"] == {"secretsType": "AccountKey", "key": SECRET}
    assert backend.read_datastore(datastore_props(aml_double, SECRET)) == outs


def test_datastore_is_deleted_and_then_reads_as_none(backend: AzureBackend, aml_double: AzureMLDouble) -> None:
    props = datastore_props(aml_double, SECRET)
    backend.put_datastore(props)

    backend.delete_datastore(props)

    assert "training" not in aml_double.datastores
    assert backend.read_datastore(props) is None
    backend.delete_datastore(props)  # deleting again is harmless


def test_service_error_echoing_the_secret_is_scrubbed(backend: AzureBackend, aml_double: AzureMLDouble) -> None:
    echo = {"error": {"code": "BadRequest", "message": f"invalid account key {SECRET}"}}
    aml_double.inject_fault("PUT", r"/datastores/training$", status=400, body=echo)

    with pytest.raises(DatastoreError) as raised:
        backend.put_datastore(datastore_props(aml_double, SECRET))

    shown = "".join(traceback.format_exception(raised.value))
    assert "invalid account key ***" in shown
    assert SECRET not in shown


def test_invalid_definition_error_does_not_show_the_secret(backend: AzureBackend, aml_double: AzureMLDouble) -> None:
    props = datastore_props(aml_double, SECRET)
    props["definition"] = {**props["definition"], "account_name": None}

    with pytest.raises(DatastoreError) as raised:
        backend.put_datastore(props)

    assert SECRET not in "".join(traceback.format_exception(raised.value))
    assert not aml_double.find("PUT", r"/datastores/training$")


def test_datastore_with_a_sas_token_keeps_it_as_its_secret(backend: AzureBackend, aml_double: AzureMLDouble) -> None:
    props = datastore_props(aml_double, SECRET)
    props["credentials"] = {"sas_token": f"?sv=2021-08-06&sig={SECRET}"}

    outs = backend.put_datastore(props)

    assert outs == {"asset_id": "azureml://datastores/training"}
    assert aml_double.datastore_secrets["training"] == {"secretsType": "Sas", "sasToken": f"?sv=2021-08-06&sig={SECRET}"}
    assert aml_double.datastores["training"]["properties"]["credentials"] == {"credentialsType": "Sas"}
