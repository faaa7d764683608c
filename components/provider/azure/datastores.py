"""Datastores: the YAML's settings plus the stack's secret credentials.

Secrets go into the datastore's `credentials` section only on the way to the service.
They are never returned as outputs, and any error is re-raised with them scrubbed and
its cause dropped, because the engine prints an exception's text and traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from components.provider.azure.errors import DatastoreError, ignore_missing, or_none, redact
from components.provider.azure.loading import load_entity
from components.provider.backend import Outs, Props

if TYPE_CHECKING:
    from azure.ai.ml import MLClient


def put_datastore(ml: MLClient, props: Props) -> Outs:
    from azure.ai.ml import load_datastore

    credentials = _secrets(props)
    with _scrubbed(props["name"], "create", credentials.values()):
        definition = with_credentials(props["definition"], credentials)
        datastore = load_entity(load_datastore, definition, None, {"name": props["name"]})
        ml.datastores.create_or_update(datastore)
    return _outputs(props["name"])


def read_datastore(ml: MLClient, outs: Props) -> Outs | None:
    with _scrubbed(outs["name"], "read", _secrets(outs).values()):
        found = or_none(lambda: ml.datastores.get(outs["name"]))
    return None if found is None else _outputs(found.name)


def delete_datastore(ml: MLClient, outs: Props) -> None:
    with _scrubbed(outs["name"], "delete", _secrets(outs).values()):
        ignore_missing(lambda: ml.datastores.delete(outs["name"]))


def with_credentials(definition: Mapping[str, Any], credentials: Mapping[str, str]) -> dict[str, Any]:
    """The definition with the secrets merged into its `credentials` section (tenant/client ids may already be there)."""
    if not credentials:
        return dict(definition)
    return {**definition, "credentials": {**(definition.get("credentials") or {}), **credentials}}


def _secrets(props: Props) -> dict[str, str]:
    return {str(k): str(v) for k, v in (props.get("credentials") or {}).items() if v not in (None, "")}


def _outputs(name: str) -> Outs:
    return {"asset_id": f"azureml://datastores/{name}"}


@contextmanager
def _scrubbed(name: str, action: str, secrets: Iterable[str]) -> Iterator[None]:
    secrets = list(secrets)
    try:
        yield
    except Exception as err:  # noqa: BLE001 - every error is re-raised, scrubbed
        text = redact(f"{type(err).__name__}: {err}", secrets)
        # `from None`: the original exception (and any secret in it) must not reach the traceback.
        raise DatastoreError(f"datastore {name}: {action} failed: {text}") from None
