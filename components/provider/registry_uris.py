"""`azureml://registries/<registry>/models/<name>/versions/<version>`: a model version in a registry, as Azure ML names it.

https://learn.microsoft.com/azure/machine-learning/how-to-share-models-pipelines-across-workspaces-with-registries
Pure: used by the program, by `check`-free backends and by the local endpoint alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_REGISTRY_MODEL = re.compile(r"^azureml://registries/(?P<registry>[^/]+)/models/(?P<name>[^/]+)/versions/(?P<version>[^/]+)$")


@dataclass(frozen=True)
class RegistryModelUri:
    registry: str
    name: str
    version: str

    @property
    def uri(self) -> str:
        return f"azureml://registries/{self.registry}/models/{self.name}/versions/{self.version}"


def registry_model(text: object) -> RegistryModelUri | None:
    """The registry model version a reference names, or None when it names none."""
    match = _REGISTRY_MODEL.match(text) if isinstance(text, str) else None
    return RegistryModelUri(match["registry"], match["name"], match["version"]) if match else None
