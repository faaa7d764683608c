"""The ComputeCluster component: an AmlCompute cluster as the stack describes it, closed to SSH."""

from __future__ import annotations

import pytest

from components.infra.compute import idle_duration
from tests.unit.harness import COMPUTE, IDENTITY, WORKSPACE, Run, components_program, run_stack

CLUSTER = "azureml-training:index:ComputeCluster"
SUBNET = "/subscriptions/s/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/training"


def aml(run: Run) -> dict:
    compute = run.one(COMPUTE).inputs["properties"]
    assert compute["computeType"] == "AmlCompute"
    return compute["properties"]


def test_dev_cluster_is_low_priority_and_scales_to_zero(dev: Run) -> None:
    properties = aml(dev)
    assert properties["vmSize"] == "Standard_DS3_v2"
    assert properties["vmPriority"] == "LowPriority"
    assert properties["scaleSettings"] == {"minNodeCount": 0, "maxNodeCount": 2, "nodeIdleTimeBeforeScaleDown": "PT10M"}


def test_prod_cluster_is_dedicated_without_node_public_ips(prod: Run) -> None:
    properties = aml(prod)
    assert properties["vmPriority"] == "Dedicated"
    assert properties["scaleSettings"]["maxNodeCount"] == 4
    assert properties["enableNodePublicIp"] is False


def test_public_ssh_port_is_closed_explicitly(dev: Run, prod: Run) -> None:
    assert aml(dev)["remoteLoginPortPublicAccess"] == "Disabled"
    assert aml(prod)["remoteLoginPortPublicAccess"] == "Disabled"


def test_cluster_runs_as_its_user_assigned_identity_only(dev: Run) -> None:
    """No system-assigned identity: Azure ML's own AcrPull grant to one would clash with ours, and MLflow needs a user-assigned one."""
    identity = dev.one(IDENTITY)
    assert dev.one(COMPUTE).inputs["identity"] == {"type": "UserAssigned", "userAssignedIdentities": [identity.id]}
    assert identity.inputs["resourceName"] == "id-mlw-azureml-training-dev-cpu-cluster"
    assert identity.parent == dev.one(CLUSTER).urn


def test_each_cluster_has_an_identity_of_its_own() -> None:
    run = run_stack("dev", {"compute": [{"name": "cpu"}, {"name": "gpu"}]}, program=components_program)
    attached = [r.inputs["identity"]["userAssignedIdentities"] for r in run.of_type(COMPUTE)]
    assert sorted(attached) == sorted([i.id] for i in run.of_type(IDENTITY))
    assert len(run.of_type(IDENTITY)) == 2


def test_cluster_identity_lives_beside_the_workspace(dev: Run) -> None:
    identity, workspace = dev.one(IDENTITY).inputs, dev.one(WORKSPACE).inputs
    assert (identity["resourceGroupName"], identity["location"]) == (workspace["resourceGroupName"], workspace["location"])


def test_cluster_lives_in_the_workspace_under_its_settings_name(dev: Run) -> None:
    compute, workspace = dev.one(COMPUTE).inputs, dev.one(WORKSPACE).inputs
    assert compute["computeName"] == "cpu-cluster"
    assert compute["workspaceName"] == workspace["workspaceName"]
    assert compute["resourceGroupName"] == workspace["resourceGroupName"]
    assert compute["location"] == "westeurope"
    assert dev.result["clusters"] == {"cpu-cluster": "cpu-cluster"}


def test_cluster_belongs_to_its_component_inside_the_workspace_component(dev: Run) -> None:
    cluster = dev.one(CLUSTER)
    assert dev.one(COMPUTE).parent == cluster.urn
    assert cluster.parent == dev.one("azureml-training:index:Workspace").urn


def test_subnet_and_node_public_ip_follow_the_settings() -> None:
    run = run_stack("dev", {"compute.0.subnetId": SUBNET, "compute.0.nodePublicIp": False}, program=components_program)
    properties = aml(run)
    assert properties["subnet"] == {"id": SUBNET}
    assert properties["enableNodePublicIp"] is False


def test_no_subnet_is_sent_unless_one_is_set(dev: Run) -> None:
    assert "subnet" not in aml(dev)


def test_each_cluster_of_the_stack_becomes_one_compute() -> None:
    clusters = [{"name": "cpu", "maxNodes": 2}, {"name": "gpu", "vmSize": "Standard_NC6s_v3", "maxNodes": 1}]
    run = run_stack("dev", {"compute": clusters}, program=components_program)
    assert sorted(r.inputs["computeName"] for r in run.of_type(COMPUTE)) == ["cpu", "gpu"]


@pytest.mark.parametrize(
    ("seconds", "duration"),
    [(0, "PT0S"), (45, "PT45S"), (120, "PT2M"), (90, "PT1M30S"), (1800, "PT30M"), (3600, "PT1H"), (5430, "PT1H30M30S")],
)
def test_idle_time_is_an_iso8601_duration(seconds: int, duration: str) -> None:
    assert idle_duration(seconds) == duration


def test_default_idle_time_is_thirty_minutes() -> None:
    run = run_stack("dev", {"compute": [{"name": "cpu"}]}, program=components_program)
    assert aml(run)["scaleSettings"]["nodeIdleTimeBeforeScaleDown"] == "PT30M"
