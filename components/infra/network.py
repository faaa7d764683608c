"""Inbound private access to the workspace: its private endpoint and the DNS that resolves it.

With `publicNetworkAccess: Disabled` the workspace answers only through a private endpoint
in the user's virtual network (`workspace.privateEndpoint.subnetId`), and `pulumi up`, which
submits environments and jobs right after creating it, must run where that endpoint resolves
and routes: inside the network (a self-hosted agent, a VPN, a jump host). The managed network
(`isolationMode`) secures outbound traffic only.

Azure ML's endpoint serves the `amlworkspace` group; clients find it through two private DNS
zones, `privatelink.api.azureml.ms` (the workspace APIs) and `privatelink.notebooks.azure.net`
(notebooks), each linked to the virtual network, and the endpoint's DNS zone group writes its
records into them (how-to-configure-private-link, how-to-custom-dns:
https://learn.microsoft.com/azure/machine-learning/how-to-custom-dns). A stack that names
zones of its own (`privateDnsZoneIds`, a hub's central DNS) creates none.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import network, privatedns

from components.spec.settings import PrivateEndpointSettings

WORKSPACE_GROUP = "amlworkspace"
PRIVATE_DNS_ZONES = ("privatelink.api.azureml.ms", "privatelink.notebooks.azure.net")
# Private DNS zones and their links are global resources.
DNS_LOCATION = "global"


@dataclass(frozen=True)
class EndpointPlan:
    """What the endpoint needs from the workspace component."""

    name: str
    resource_group: pulumi.Input[str]
    location: str
    tags: dict[str, str]
    parent: pulumi.Resource


def virtual_network_id(subnet_id: str) -> str:
    """The virtual network a subnet belongs to: its id up to `/subnets/`."""
    cut = subnet_id.lower().index("/subnets/")
    return subnet_id[:cut]


def workspace_private_endpoint(
    plan: EndpointPlan, settings: PrivateEndpointSettings, workspace_id: pulumi.Input[str], endpoint_name: pulumi.Input[str]
) -> network.PrivateEndpoint:
    """The workspace's private endpoint in the stack's subnet, with the DNS that makes it resolvable."""
    opts = pulumi.ResourceOptions(parent=plan.parent)
    endpoint = network.PrivateEndpoint(
        f"{plan.name}-pe",
        private_endpoint_name=endpoint_name,
        resource_group_name=plan.resource_group,
        location=settings.location or plan.location,
        subnet=network.SubnetArgs(id=settings.subnet_id),
        private_link_service_connections=[
            network.PrivateLinkServiceConnectionArgs(name=endpoint_name, private_link_service_id=workspace_id, group_ids=[WORKSPACE_GROUP])
        ],
        tags=plan.tags,
        opts=opts,
    )
    if settings.private_dns_zone_ids:
        zones = {_config_name(zone_id.rsplit("/", 1)[-1]): zone_id for zone_id in settings.private_dns_zone_ids}
    else:
        link_name = pulumi.Output.concat(endpoint_name, "-link")
        zones = {_config_name(zone): _zone(plan, zone, settings.subnet_id, link_name).id for zone in PRIVATE_DNS_ZONES}
    network.PrivateDnsZoneGroup(
        f"{plan.name}-pe-dns",
        private_dns_zone_group_name="default",
        private_endpoint_name=endpoint.name,
        resource_group_name=plan.resource_group,
        private_dns_zone_configs=[network.PrivateDnsZoneConfigArgs(name=name, private_dns_zone_id=zone) for name, zone in zones.items()],
        opts=opts,
    )
    return endpoint


def _config_name(zone_name: str) -> str:
    return zone_name.lower().replace(".", "-")


def _zone(plan: EndpointPlan, zone_name: str, subnet_id: str, link_name: pulumi.Input[str]) -> privatedns.PrivateZone:
    """One private DNS zone, linked to the endpoint's virtual network (no auto-registration: records come from the zone group)."""
    short = zone_name.split(".")[1]  # api, notebooks
    opts = pulumi.ResourceOptions(parent=plan.parent)
    zone = privatedns.PrivateZone(
        f"{plan.name}-dns-{short}",
        private_zone_name=zone_name,
        resource_group_name=plan.resource_group,
        location=DNS_LOCATION,
        tags=plan.tags,
        opts=opts,
    )
    privatedns.VirtualNetworkLink(
        f"{plan.name}-dns-{short}-link",
        virtual_network_link_name=link_name,
        private_zone_name=zone.name,
        resource_group_name=plan.resource_group,
        location=DNS_LOCATION,
        virtual_network=privatedns.SubResourceArgs(id=virtual_network_id(subnet_id)),
        registration_enabled=False,
        tags=plan.tags,
        opts=opts,
    )
    return zone
