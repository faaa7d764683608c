"""Private workspaces that still deploy, and the managed network's approved outbound rules.

Azure ML's private endpoint serves group `amlworkspace` and is resolved through the private
DNS zones privatelink.api.azureml.ms and privatelink.notebooks.azure.net, linked to the
endpoint's virtual network (https://learn.microsoft.com/azure/machine-learning/how-to-custom-dns).
FQDN and service-tag outbound rules exist only with AllowOnlyApprovedOutbound; with
AllowInternetOutbound only private-endpoint rules make sense
(https://learn.microsoft.com/azure/machine-learning/how-to-managed-network).
"""

from __future__ import annotations

import pytest

from components.spec.settings import SettingsError
from tests.unit.harness import (
    ENDPOINT,
    WORKSPACE,
    ZONE,
    ZONE_GROUP,
    ZONE_LINK,
    Run,
    components_program,
    last_run,
    run_stack,
)

VNET = "/subscriptions/s/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/vnet-ml"
SUBNET = f"{VNET}/subnets/endpoints"
HUB_ZONES = [
    "/subscriptions/h/resourceGroups/dns/providers/Microsoft.Network/privateDnsZones/privatelink.api.azureml.ms",
    "/subscriptions/h/resourceGroups/dns/providers/Microsoft.Network/privateDnsZones/privatelink.notebooks.azure.net",
]


def test_a_private_workspace_without_a_subnet_is_refused_before_anything_is_registered() -> None:
    with pytest.raises(SettingsError) as refused:
        run_stack("prod", {"workspace.privateEndpoint": None})
    assert str(refused.value) == (
        "stacks/Pulumi.prod.yaml: azureml-training:workspace.privateEndpoint.subnetId: required with publicNetworkAccess Disabled, "
        "or this deploy could not reach its own workspace (or set workspace.publicNetworkAccess: Enabled)"
    )
    assert last_run[0].resources == []


def test_a_public_workspace_gets_no_endpoint_and_no_dns(dev: Run) -> None:
    assert [r for r in dev.azure if r.type in (ENDPOINT, ZONE, ZONE_LINK, ZONE_GROUP)] == []


def test_the_private_endpoint_connects_the_workspace_in_the_stacks_subnet(prod: Run) -> None:
    endpoint = prod.one(ENDPOINT).inputs
    workspace = prod.one(WORKSPACE)
    assert endpoint["subnet"]["id"].endswith("/subnets/snet-private-endpoints")
    (connection,) = endpoint["privateLinkServiceConnections"]
    assert connection["privateLinkServiceId"] == workspace.id
    assert connection["groupIds"] == ["amlworkspace"]
    assert endpoint["privateEndpointName"] == f"pe-{workspace.inputs['workspaceName']}"
    assert (endpoint["location"], endpoint["resourceGroupName"]) == ("westeurope", workspace.inputs["resourceGroupName"])


def test_the_endpoint_location_follows_the_virtual_network_when_given() -> None:
    run = run_stack("prod", {"workspace.privateEndpoint": {"subnetId": SUBNET, "location": "northeurope"}}, program=components_program)
    assert run.one(ENDPOINT).inputs["location"] == "northeurope"


@pytest.fixture(scope="module")
def private() -> Run:
    return run_stack("prod", {"workspace.privateEndpoint": {"subnetId": SUBNET}}, program=components_program)


def test_azure_mls_two_private_dns_zones_are_created_globally(private: Run) -> None:
    zones = {r.inputs["privateZoneName"]: r.inputs["location"] for r in private.of_type(ZONE)}
    assert zones == {"privatelink.api.azureml.ms": "global", "privatelink.notebooks.azure.net": "global"}


def test_each_zone_is_linked_to_the_endpoints_virtual_network_without_auto_registration(private: Run) -> None:
    links = private.of_type(ZONE_LINK)
    assert sorted(r.inputs["privateZoneName"] for r in links) == ["privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"]
    for link in links:
        assert link.inputs["virtualNetwork"] == {"id": VNET}
        assert link.inputs["registrationEnabled"] is False
        assert link.inputs["location"] == "global"


def test_the_endpoints_dns_zone_group_writes_into_both_zones(private: Run) -> None:
    group = private.one(ZONE_GROUP).inputs
    assert group["privateEndpointName"] == private.one(ENDPOINT).inputs["privateEndpointName"]
    assert sorted(c["privateDnsZoneId"] for c in group["privateDnsZoneConfigs"]) == sorted(r.id for r in private.of_type(ZONE))
    assert len({c["name"] for c in group["privateDnsZoneConfigs"]}) == 2


def test_zones_of_a_hub_are_used_instead_of_creating_any() -> None:
    run = run_stack("prod", {"workspace.privateEndpoint": {"subnetId": SUBNET, "privateDnsZoneIds": HUB_ZONES}}, program=components_program)
    assert run.of_type(ZONE) == [] and run.of_type(ZONE_LINK) == []
    assert sorted(c["privateDnsZoneId"] for c in run.one(ZONE_GROUP).inputs["privateDnsZoneConfigs"]) == HUB_ZONES


@pytest.mark.parametrize(
    ("private_endpoint", "message"),
    [
        ({"subnetId": VNET}, f"workspace.privateEndpoint.subnetId: {VNET!r} is not a subnet resource id"),
        (
            {"subnetId": SUBNET, "privateDnsZoneIds": [VNET]},
            f"workspace.privateEndpoint.privateDnsZoneIds: {VNET!r} is not a private DNS zone resource id",
        ),
    ],
)
def test_endpoint_ids_of_the_wrong_kind_are_refused(private_endpoint: dict, message: str) -> None:
    with pytest.raises(SettingsError) as refused:
        run_stack("prod", {"workspace.privateEndpoint": private_endpoint})
    assert str(refused.value) == f"stacks/Pulumi.prod.yaml: azureml-training:{message}"


def outbound(run: Run) -> dict[str, dict]:
    return run.one(WORKSPACE).inputs["managedNetwork"].get("outboundRules", {})


def test_approved_outbound_lets_the_example_environment_reach_conda_and_pypi(prod: Run) -> None:
    rules = outbound(prod)
    assert {name: (r["type"], r["destination"]) for name, r in rules.items()} == {
        "anaconda": ("FQDN", "anaconda.com"),
        "anaconda-com": ("FQDN", "*.anaconda.com"),
        "anaconda-org": ("FQDN", "*.anaconda.org"),
        "pypi": ("FQDN", "pypi.org"),
        "pythonhosted": ("FQDN", "files.pythonhosted.org"),
    }
    assert {r["category"] for r in rules.values()} == {"UserDefined"}


def test_the_stacks_rules_add_to_the_defaults_and_null_removes_one() -> None:
    rules = {
        "pypi": None,
        "opendatasets": {"type": "ServiceTag", "destination": {"serviceTag": "AzureOpenDatasets", "portRanges": "443, 8080-8089"}},
        "training-data": {
            "type": "PrivateEndpoint",
            "destination": {
                "serviceResourceId": "/subscriptions/s/resourceGroups/data/providers/Microsoft.Storage/storageAccounts/sttraining",
                "subresourceTarget": "blob",
            },
        },
    }
    run = run_stack("prod", {"workspace.outboundRules": rules}, program=components_program)
    got = outbound(run)
    assert "pypi" not in got and "pythonhosted" in got
    tag = {"serviceTag": "AzureOpenDatasets", "protocol": "TCP", "portRanges": "443, 8080-8089", "action": "Allow"}
    assert got["opendatasets"]["destination"] == tag
    assert got["training-data"]["destination"]["subresourceTarget"] == "blob"
    assert got["training-data"]["destination"]["sparkEnabled"] is False


def test_internet_outbound_takes_private_endpoint_rules_and_no_defaults() -> None:
    rule = {"type": "PrivateEndpoint", "destination": {"serviceResourceId": HUB_ZONES[0], "subresourceTarget": "x"}}
    overrides = {"workspace.isolationMode": "AllowInternetOutbound", "workspace.outboundRules": {"pe": rule}}
    run = run_stack("prod", overrides, program=components_program)
    assert list(outbound(run)) == ["pe"]


@pytest.mark.parametrize(
    ("isolation", "rule", "message"),
    [
        (
            "AllowInternetOutbound",
            {"type": "FQDN", "destination": "example.org"},
            "workspace: outboundRules.x: FQDN rules need isolationMode AllowOnlyApprovedOutbound (all outbound is already allowed)",
        ),
        (
            "Disabled",
            {"type": "FQDN", "destination": "example.org"},
            "workspace: outboundRules.x: outbound rules need a managed network (isolationMode is Disabled)",
        ),
        (
            "AllowOnlyApprovedOutbound",
            {"type": "Fqdn", "destination": "example.org"},
            "workspace.outboundRules.x: Input tag 'Fqdn' found using 'type' does not match any of the expected tags: "
            "'FQDN', 'ServiceTag', 'PrivateEndpoint'",
        ),
        (
            "AllowOnlyApprovedOutbound",
            {"type": "PrivateEndpoint", "destination": {"serviceResourceId": "sttraining", "subresourceTarget": "blob"}},
            "workspace.outboundRules.x.PrivateEndpoint.destination.serviceResourceId: 'sttraining' is not an Azure resource id",
        ),
    ],
)
def test_rules_the_managed_network_would_not_take_are_refused(isolation: str, rule: dict, message: str) -> None:
    with pytest.raises(SettingsError) as refused:
        run_stack("prod", {"workspace.isolationMode": isolation, "workspace.outboundRules": {"x": rule}})
    assert str(refused.value) == f"stacks/Pulumi.prod.yaml: azureml-training:{message}"


def test_a_rule_name_that_would_not_stay_one_path_segment_is_refused() -> None:
    with pytest.raises(SettingsError) as refused:
        run_stack("prod", {"workspace.outboundRules": {"pkgs/mirror": {"type": "FQDN", "destination": "pkgs.example.com"}}})
    assert str(refused.value) == (
        "stacks/Pulumi.prod.yaml: azureml-training:workspace.outboundRules: "
        "'pkgs/mirror' is not a valid name: letters, digits, '-' or '_', starting with a letter or digit"
    )


def test_an_existing_workspace_takes_no_network_settings() -> None:
    existing = {"existing": True, "subscriptionId": "00000000-0000-4000-8000-000000000001", "resourceGroup": "rg", "name": "team-ws"}
    with pytest.raises(SettingsError) as refused:
        run_stack("prod", {"workspace": {**existing, "privateEndpoint": {"subnetId": SUBNET}}, "compute": []})
    assert str(refused.value) == (
        "stacks/Pulumi.prod.yaml: azureml-training:workspace: privateEndpoint: an existing workspace keeps its own network "
        "and image builds (existing: true)"
    )


def test_assets_are_submitted_only_once_the_endpoint_and_its_dns_exist() -> None:
    """The first `pulumi up` creates the endpoint, then talks to the workspace through it."""
    run = run_stack("prod")
    waited_for = {r.urn for r in run.azure if r.type in (ENDPOINT, ZONE, ZONE_LINK, ZONE_GROUP)}
    assets = [r for r in run.resources if "azureml:" in r.type]
    assert assets and len(waited_for) == 6
    for asset in assets:
        assert waited_for <= set(asset.dependencies), asset.name
