"""`azureml:<name>[:<version>|@<label>]` references to assets, as Azure ML CLI v2 YAML writes them.

https://learn.microsoft.com/azure/machine-learning/reference-yaml-core-syntax#referencing-an-azure-machine-learning-asset
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# Not `azureml://...` URIs, nor the long form `azureml:/subscriptions/...`.
_ASSET = re.compile(r"^azureml:(?P<name>[^:@/]+)(?::(?P<version>[^@]+)|@(?P<label>[\w-]+))?$")
# Curated environments every workspace has (the local target runs them in the stack's own Python).
_CURATED_PREFIX = "azureml-"


@dataclass(frozen=True)
class AssetReference:
    text: str
    name: str
    version: str | None
    """None: a label (`@latest`) or no version at all."""

    @property
    def curated(self) -> bool:
        return self.name.lower().startswith(_CURATED_PREFIX)


def asset_reference(value: Any) -> AssetReference | None:
    """The asset a YAML value names, or None when it names none (a path, a URI, an inline mapping)."""
    match = _ASSET.match(value) if isinstance(value, str) else None
    return AssetReference(value, match["name"], match["version"]) if match else None
