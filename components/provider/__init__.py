"""The dynamic provider: Azure ML assets as Pulumi resources, on Azure or on this machine.

The resource classes load on first use (PEP 562), so a process that needs only a submodule
(the tracking service, say) does not import Pulumi for them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from components.provider.resources import (
        Component,
        DataAsset,
        Datastore,
        Deployment,
        Endpoint,
        EndpointTraffic,
        Environment,
        Job,
        LocalWorkspace,
        Model,
        RegistryModel,
        Schedule,
        SharedModel,
    )

__all__ = [
    "Component",
    "DataAsset",
    "Datastore",
    "Deployment",
    "Endpoint",
    "EndpointTraffic",
    "Environment",
    "Job",
    "LocalWorkspace",
    "Model",
    "RegistryModel",
    "Schedule",
    "SharedModel",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("components.provider.resources"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
