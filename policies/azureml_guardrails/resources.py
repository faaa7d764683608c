"""What a policy sees of a resource, and which of the stack's resources it is.

The engine hands a policy a resource's type token and inputs. Azure resources are told apart by their
azure-native type token. The stack's Azure ML assets are dynamic-provider resources: their type is
`pulumi-python:dynamic:Resource`, or `pulumi-python:dynamic/<module>:<Name>` when the class names itself
(ours do), so a job or an online deployment is recognised by the inputs its resource class always has
(components/provider/resources.py), whatever program registered it.

Inputs arrive as pulumi_policy's read-only mappings; during a preview a value that depends on a resource
not yet created is unknown, and reading it raises. The helpers here read what the checks need and
nothing more, so an unknown value elsewhere never stops a check.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy.proxy import UnknownValueError

WORKSPACE = "azure-native:machinelearningservices:Workspace"
COMPUTE = "azure-native:machinelearningservices:Compute"
STORAGE_ACCOUNT = "azure-native:storage:StorageAccount"
KEY_VAULT = "azure-native:keyvault:Vault"
AZURE_NATIVE = "azure-native:"
_DYNAMIC = "pulumi-python:dynamic"

# The inputs every Job and Deployment of components/provider/resources.py registers (and no other asset has all of).
_JOB_INPUTS = frozenset({"definition", "key", "name_prefix", "timeout_minutes"})
_DEPLOYMENT_INPUTS = frozenset({"definition", "endpoint_name", "model"})


def is_dynamic(resource_type: str) -> bool:
    return resource_type == f"{_DYNAMIC}:Resource" or resource_type.startswith(f"{_DYNAMIC}/")


def is_job(resource_type: str, props: Mapping[str, Any]) -> bool:
    """A command, sweep or pipeline job: its YAML body is `definition`."""
    return is_dynamic(resource_type) and set(props) >= _JOB_INPUTS


def is_online_deployment(resource_type: str, props: Mapping[str, Any]) -> bool:
    """An online deployment: its YAML body (without `model`) is `definition`."""
    keys = set(props)  # the keys only: `in` would read values, which may not be known yet
    return is_dynamic(resource_type) and keys >= _DEPLOYMENT_INPUTS and "key" not in keys


def aml_cluster(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """An AmlCompute cluster's own properties (vmSize, vmPriority, scaleSettings); None for anything else."""
    if resource_type != COMPUTE:
        return None
    compute = mapping(known(props, "properties"))
    if known(compute, "computeType") != "AmlCompute":
        return None
    return mapping(known(compute, "properties"))


UNKNOWN = object()  # what `known` answers, when asked to, for a value known only once another resource exists


def known(props: Mapping[str, Any] | None, key: str, default: Any = None, unknown: Any = None) -> Any:
    """`props[key]`: `default` when it is absent, `unknown` (`default` unless given) when it is not known yet."""
    if props is None:
        return default
    try:
        return props.get(key, default)
    except UnknownValueError:
        return default if unknown is None else unknown


def mapping(value: Any) -> Mapping[str, Any]:
    """A nested object of the inputs, or an empty one."""
    return value if isinstance(value, Mapping) else {}


def name_of(props: Mapping[str, Any], key: str, fallback: str) -> str:
    """The Azure name an input gives the resource, else the resource's Pulumi name."""
    value = known(props, key)
    return value if isinstance(value, str) and value else fallback


def number(value: float) -> str:
    """Pulumi carries numbers as floats: 4.0 reads 4."""
    return f"{value:g}"
