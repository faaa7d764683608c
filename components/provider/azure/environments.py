"""Environment versions: created from their YAML, archived on delete."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.provider.azure.versions import archive_version, put_from_yaml, read_active
from components.provider.backend import Outs, Props

if TYPE_CHECKING:
    from azure.ai.ml import MLClient


def put_environment(ml: MLClient, props: Props) -> Outs:
    from azure.ai.ml import load_environment

    return put_from_yaml(ml.environments, load_environment, props)


def read_environment(ml: MLClient, outs: Props) -> Outs | None:
    return read_active(ml.environments, outs)


def archive_environment(ml: MLClient, outs: Props) -> None:
    archive_version(ml.environments, outs["name"], outs["version"])
