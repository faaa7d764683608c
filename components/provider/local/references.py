"""`azureml:` references to a stack's own assets: `azureml:<name>:<version>` or `azureml:<name>@latest`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from components.provider.local.errors import InvalidDefinitionError

_ASSET = re.compile(r"^azureml:(?P<name>[\w.-]+)(?::(?P<version>[\w.-]+)|@(?P<label>[\w-]+))$")


@dataclass(frozen=True)
class AssetReference:
    name: str
    version: str | None
    """None means the latest version."""


def is_asset_reference(text: str) -> bool:
    return text.startswith("azureml:") and not text.startswith("azureml://")


def parse_asset_reference(text: str, subject: str) -> AssetReference:
    match = _ASSET.match(text)
    if match is None or match["label"] not in (None, "latest"):
        raise InvalidDefinitionError(f"{subject}: {text!r} is not an asset reference (azureml:<name>:<version> or azureml:<name>@latest)")
    return AssetReference(match["name"], match["version"])
