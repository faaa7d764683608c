"""Azure ML registries: a workspace's model version shared to one, and a registry's version another stack takes.

Sharing is azure-ai-ml's model share (`ml.models.share`): the registry found through its discovery endpoint
(`<region>.api.azureml.ms/registrymanagement/v1.0/registries/<name>/discovery`), then the version imported from the
workspace (`POST .../registries/<name>/import`, a long-running operation) under the same name and version, so the
registry's `name:version` is exactly the workspace's
(https://learn.microsoft.com/azure/machine-learning/how-to-share-models-pipelines-across-workspaces-with-registries).
The imported version keeps the workspace version's properties, which say which job output and run it came from
(azure/models.py): a re-run create after an interrupted `pulumi up` finds that version and adopts it; a version of
that name and number shared from anywhere else is refused, since registry versions never change.

A shared version is kept when its resource is deleted (a destroy, or a retrained version replacing it): the
registry's other users may serve it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from components.provider.azure.client import open_registry_client
from components.provider.azure.errors import ModelVersionError, or_none
from components.provider.azure.models import JOB_KEY, OUTPUT_KEY, RUN_KEY
from components.provider.azure.report import report
from components.provider.backend import Outs, Props
from components.provider.registry_uris import RegistryModelUri

if TYPE_CHECKING:
    from azure.ai.ml import MLClient

# What makes two model versions the same one: the run and output they were registered from.
_LINEAGE = (JOB_KEY, OUTPUT_KEY, RUN_KEY)


def share_model(ml: MLClient, props: Props, options: dict[str, Any]) -> Outs:
    """Share the workspace's `name:version` to the registry as `name:version`, or adopt it when it is there already."""
    name, version, registry = props["name"], str(props["version"]), props["registry"]
    source = ml.models.get(name, version=version)
    there = or_none(lambda: open_registry_client(registry, options).models.get(name, version=version))
    if there is not None:
        if _lineage(there) != _lineage(source):
            raise ModelVersionError(
                f"registry {registry} already holds model {name}:{version}, shared from another workspace or job output; "
                "a registry version never changes: share under another model name, or remove that version from the registry"
            )
        report(f"model {name}:{version}: already in registry {registry}; adopting it")
        return _shared(registry, name, version)
    ml.models.share(name, version, share_with_name=name, share_with_version=version, registry_name=registry)
    report(f"model {name}:{version}: shared to registry {registry}")
    return _shared(registry, name, version)


def read_shared_model(outs: Props, options: dict[str, Any]) -> Outs | None:
    registry, name, version = outs["registry"], outs["name"], str(outs["registry_version"])
    found = or_none(lambda: open_registry_client(registry, options).models.get(name, version=version))
    return None if found is None else _shared(registry, name, version)


def keep_shared_model(outs: Props) -> None:
    report(f"model {outs['name']}:{outs['registry_version']}: stays in registry {outs['registry']} (other stacks may serve it)")


def resolve_registry_model(props: Props, options: dict[str, Any]) -> Outs:
    """The version another stack shared: it must be in the registry."""
    registry, name, version = props["registry"], props["name"], str(props["version"])
    found = or_none(lambda: open_registry_client(registry, options).models.get(name, version=version))
    if found is None:
        raise ModelVersionError(
            f"model {name}: version {version} is not in registry {registry}; run `pulumi up` of the stack that shares it first"
        )
    return {"uri": RegistryModelUri(registry, name, version).uri}


def read_registry_model(outs: Props, options: dict[str, Any]) -> Outs | None:
    registry, name, version = outs["registry"], outs["name"], str(outs["version"])
    found = or_none(lambda: open_registry_client(registry, options).models.get(name, version=version))
    return None if found is None else {"uri": RegistryModelUri(registry, name, version).uri}


def _lineage(model: Any) -> dict[str, str | None]:
    recorded = {**(model.tags or {}), **(model.properties or {})}
    return {key: recorded.get(key) for key in _LINEAGE}


def _shared(registry: str, name: str, version: str) -> Outs:
    return {"registry_version": version, "uri": RegistryModelUri(registry, name, version).uri}
