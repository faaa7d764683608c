"""Command component versions: registered from their YAML (code uploaded by the SDK), archived on delete."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.provider.azure.loading import load_entity
from components.provider.azure.versions import active_version, archive_version
from components.provider.backend import Outs, Props

if TYPE_CHECKING:
    from azure.ai.ml import MLClient


def put_component(ml: MLClient, props: Props) -> Outs:
    from azure.ai.ml import load_component

    # Same name and version, same content: a re-run create registers the same version again, harmlessly.
    overrides = {"name": props["name"], "version": str(props["version"])}
    component = load_entity(load_component, props["definition"], props.get("base_dir"), overrides)
    created = ml.components.create_or_update(component)
    return {"asset_id": f"azureml:{created.name}:{created.version}"}


def read_component(ml: MLClient, outs: Props) -> Outs | None:
    found = active_version(ml.components, outs["name"], outs["version"])
    return None if found is None else {"asset_id": f"azureml:{found.name}:{found.version}"}


def archive_component(ml: MLClient, outs: Props) -> None:
    archive_version(ml.components, outs["name"], outs["version"])
