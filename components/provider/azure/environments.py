"""Environment versions: created from their YAML, archived on delete."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.provider.azure.loading import load_entity
from components.provider.azure.versions import active_version, archive_version
from components.provider.backend import Outs, Props

if TYPE_CHECKING:
    from azure.ai.ml import MLClient


def put_environment(ml: MLClient, props: Props) -> Outs:
    from azure.ai.ml import load_environment

    # Same name and version, same content: a re-run create puts the same version again, harmlessly.
    overrides = {"name": props["name"], "version": str(props["version"])}
    environment = load_entity(load_environment, props["definition"], props.get("base_dir"), overrides)
    created = ml.environments.create_or_update(environment)
    return {"asset_id": f"azureml:{created.name}:{created.version}"}


def read_environment(ml: MLClient, outs: Props) -> Outs | None:
    found = active_version(ml.environments, outs["name"], outs["version"])
    return None if found is None else {"asset_id": f"azureml:{found.name}:{found.version}"}


def archive_environment(ml: MLClient, outs: Props) -> None:
    archive_version(ml.environments, outs["name"], outs["version"])
