"""Command component versions: registered from their YAML (code uploaded by the SDK), archived on delete."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.provider.azure.versions import archive_version, put_from_yaml, read_active
from components.provider.backend import Outs, Props

if TYPE_CHECKING:
    from azure.ai.ml import MLClient


def put_component(ml: MLClient, props: Props) -> Outs:
    from azure.ai.ml import load_component

    return put_from_yaml(ml.components, load_component, props)


def read_component(ml: MLClient, outs: Props) -> Outs | None:
    return read_active(ml.components, outs)


def archive_component(ml: MLClient, outs: Props) -> None:
    archive_version(ml.components, outs["name"], outs["version"])
