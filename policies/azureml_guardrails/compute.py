"""What a stack may pay for: cluster VM sizes and nodes, online deployment instance types and counts, evictable nodes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from .policy import guardrail, one_of, strings, whole_number
from .resources import aml_cluster, is_online_deployment, known, mapping, name_of, number


def _sizes_allowed(size: Any, allowed: list[str] | None) -> bool:
    """Azure reads VM sizes without regard to case."""
    return allowed is None or not isinstance(size, str) or size.lower() in {a.lower() for a in allowed}


def _cluster_limits(args: ResourceValidationArgs, config: Mapping[str, Any]) -> Iterator[str]:
    cluster = aml_cluster(args.resource_type, args.props)
    if cluster is None:
        return
    name = name_of(args.props, "computeName", args.name)
    size, allowed = known(cluster, "vmSize"), config.get("allowedVmSizes")
    if not _sizes_allowed(size, allowed):
        yield f"cluster {name}: vmSize {size} is not allowed in this stack (allowedVmSizes: {one_of(allowed)})"
    nodes, most = known(mapping(known(cluster, "scaleSettings")), "maxNodeCount"), config.get("maxNodes")
    if isinstance(nodes, int | float) and most is not None and nodes > most:
        yield f"cluster {name}: maxNodes is {number(nodes)}, above this stack's maxNodes of {number(most)}"


def _deployment_limits(args: ResourceValidationArgs, config: Mapping[str, Any]) -> Iterator[str]:
    if not is_online_deployment(args.resource_type, args.props):
        return
    definition = mapping(known(args.props, "definition"))
    name = f"{known(args.props, 'endpoint_name', '?')}/{known(args.props, 'name', '?')}"
    size, allowed = known(definition, "instance_type"), config.get("allowedInstanceTypes")
    if not _sizes_allowed(size, allowed):
        yield f"deployment {name}: instance_type {size} is not allowed in this stack (allowedInstanceTypes: {one_of(allowed)})"
    most = config.get("maxInstances")
    counts = {
        "instance_count": known(definition, "instance_count", 1),  # Azure ML's default
        "scale_settings.max_instances": known(mapping(known(definition, "scale_settings")), "max_instances"),
    }
    for field, count in counts.items():
        if isinstance(count, int | float) and most is not None and count > most:
            yield f"deployment {name}: {field} is {number(count)}, above this stack's maxInstances of {number(most)}"


def _low_priority_nodes(args: ResourceValidationArgs, config: Mapping[str, Any]) -> Iterator[str]:
    cluster = aml_cluster(args.resource_type, args.props)
    if cluster is None or known(cluster, "vmPriority") != "LowPriority":
        return
    name, allowed = name_of(args.props, "computeName", args.name), config.get("allowedClusters") or []
    if name not in allowed:
        yield f"cluster {name} runs on low-priority (evictable) nodes, which this stack allows only on allowedClusters ({one_of(allowed)})"


cluster_limits = guardrail(
    "cluster-limits",
    "Compute clusters use the stack's allowed VM sizes and at most its nodes.",
    _cluster_limits,
    {
        "allowedVmSizes": strings("VM sizes a cluster may use (any, when unset)."),
        "maxNodes": whole_number("The most nodes a cluster may scale to (any, when unset)."),
    },
)

deployment_limits = guardrail(
    "deployment-limits",
    "Online deployments use the stack's allowed instance types and at most its instances.",
    _deployment_limits,
    {
        "allowedInstanceTypes": strings("Instance types (VM sizes) a deployment may use (any, when unset)."),
        "maxInstances": whole_number("The most instances a deployment may run (any, when unset).", minimum=1),
    },
)

low_priority_nodes = guardrail(
    "low-priority-nodes",
    "In production, clusters run on dedicated nodes unless allowed low-priority ones.",
    _low_priority_nodes,
    {"allowedClusters": strings("Clusters (compute names) that may run on low-priority nodes.")},
    production=True,
)
