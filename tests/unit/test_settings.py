"""Stack settings: every key typed and validated, every mistake one clear line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime import config as runtime_config

from components.spec.settings import SettingsError, StackSettings, load_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _clean_config() -> Iterator[None]:
    yield
    runtime_config.set_all_config({}, [])


def load(values: dict[str, Any], secrets: tuple[str, ...] = (), stack: str = "dev") -> StackSettings:
    encoded = {f"azureml-training:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}
    runtime_config.set_all_config(encoded, [f"azureml-training:{s}" for s in secrets])
    return load_settings(stack=stack, root=ROOT)


def error_of(values: dict[str, Any], **kwargs: Any) -> str:
    with pytest.raises(SettingsError) as caught:
        load(values, **kwargs)
    return str(caught.value)


def test_target_defaults_to_azure_and_needs_a_location() -> None:
    assert error_of({}) == (
        "stacks/Pulumi.dev.yaml: azureml-training:workspace.location is required to create a workspace (or set workspace.existing: true)"
    )


def test_local_target_needs_nothing_else() -> None:
    settings = load({"target": "local"}, stack="local")
    assert settings.target == "local"
    assert settings.local.root == ".azureml-local"
    assert settings.local.concurrency >= 1


def test_workspace_and_compute_read_camel_case_keys_into_typed_fields() -> None:
    settings = load(
        {
            "workspace": {"location": "westeurope", "publicNetworkAccess": "Enabled", "purgeOnDestroy": True, "tags": {"team": "ml"}},
            "compute": [{"name": "cpu-cluster", "vmSize": "Standard_DS3_v2", "lowPriority": True, "maxNodes": 4}],
        }
    )
    assert settings.workspace.public_network_access == "Enabled"
    assert settings.workspace.purge_on_destroy is True
    assert settings.workspace.tags == {"team": "ml"}
    cluster = settings.compute[0]
    assert (cluster.name, cluster.low_priority, cluster.min_nodes, cluster.max_nodes) == ("cpu-cluster", True, 0, 4)


def test_secure_defaults() -> None:
    workspace = load({"workspace": {"location": "westeurope", "privateEndpoint": {"subnetId": SUBNET}}}).workspace
    assert workspace.public_network_access == "Disabled"
    assert workspace.storage_shared_key_access is False
    assert workspace.purge_on_destroy is False


def test_unknown_top_level_key_is_named() -> None:
    message = error_of({"target": "local", "computes": []}, stack="local")
    assert message.startswith("stacks/Pulumi.local.yaml: azureml-training:computes: unknown key (known keys: components, compute, data,")


def test_unknown_nested_key_is_named_with_its_path() -> None:
    message = error_of({"workspace": {"location": "westeurope", "isolation": "Disabled"}})
    assert message == "stacks/Pulumi.dev.yaml: azureml-training:workspace.isolation: Extra inputs are not permitted"


def test_bad_target_lists_the_allowed_values() -> None:
    message = error_of({"target": "aws"})
    assert message == "stacks/Pulumi.dev.yaml: azureml-training:target: Input should be 'azure' or 'local' (got 'aws')"


def test_min_nodes_above_max_nodes_is_refused() -> None:
    message = error_of({"workspace": {"location": "westeurope"}, "compute": [{"name": "cpu", "minNodes": 3, "maxNodes": 2}]})
    assert message == "stacks/Pulumi.dev.yaml: azureml-training:compute[0]: minNodes (3) is greater than maxNodes (2)"


def test_priority_must_be_a_boolean() -> None:
    message = error_of({"workspace": {"location": "westeurope"}, "compute": [{"name": "cpu", "lowPriority": "maybe"}]})
    assert message == (
        "stacks/Pulumi.dev.yaml: azureml-training:compute[0].lowPriority: "
        "Input should be a valid boolean, unable to interpret input (got 'maybe')"
    )


def test_compute_name_azure_would_reject_is_refused() -> None:
    message = error_of({"workspace": {"location": "westeurope"}, "compute": [{"name": "1-cluster-with-a-very-long-name"}]})
    assert message == (
        "stacks/Pulumi.dev.yaml: azureml-training:compute[0].name: '1-cluster-with-a-very-long-name' is not a valid name: "
        "2-16 letters, digits and hyphens, starting with a letter"
    )


def test_duplicate_cluster_names_are_refused() -> None:
    message = error_of({"workspace": {"location": "westeurope"}, "compute": [{"name": "cpu"}, {"name": "cpu"}]})
    assert message == "stacks/Pulumi.dev.yaml: azureml-training:compute: 'cpu' appears twice"


def test_existing_workspace_needs_its_coordinates() -> None:
    message = error_of({"workspace": {"existing": True, "name": "mlw-team"}})
    assert message == "stacks/Pulumi.dev.yaml: azureml-training:workspace: existing: true needs subscriptionId, resourceGroup"


def test_existing_workspace_needs_no_location() -> None:
    workspace = {"existing": True, "subscriptionId": "00000000-0000-0000-0000-000000000000", "resourceGroup": "rg-ml", "name": "mlw-team"}
    assert load({"workspace": workspace}).workspace.name == "mlw-team"


def test_subscription_must_be_a_guid() -> None:
    workspace = {"existing": True, "subscriptionId": "my-sub", "resourceGroup": "rg", "name": "mlw"}
    message = error_of({"workspace": workspace})
    assert message == "stacks/Pulumi.dev.yaml: azureml-training:workspace.subscriptionId: 'my-sub' is not a subscription id (a GUID)"


def test_purge_on_destroy_and_purge_protection_exclude_each_other() -> None:
    message = error_of({"workspace": {"location": "westeurope", "purgeOnDestroy": True, "purgeProtection": True}})
    assert message == (
        "stacks/Pulumi.dev.yaml: azureml-training:workspace: purgeOnDestroy and purgeProtection exclude each other: "
        "a purge-protected vault cannot be purged"
    )


def test_missing_job_file_is_named() -> None:
    message = error_of({"target": "local", "jobs": [{"file": "jobs/nope.yml"}]}, stack="local")
    assert message == (
        "stacks/Pulumi.local.yaml: azureml-training:jobs[0].file: "
        "'jobs/nope.yml' does not exist (paths are relative to the repository root)"
    )


def test_job_key_defaults_to_the_file_name() -> None:
    settings = load({"target": "local", "jobs": [{"file": "Makefile"}]}, stack="local")
    assert settings.jobs[0].job_key == "Makefile"
    assert (settings.jobs[0].wait, settings.jobs[0].timeout_minutes, settings.jobs[0].on_delete) == (True, 120, "archive")


def test_timeout_minutes_take_fractions_and_wait_takes_only_booleans() -> None:
    settings = load({"target": "local", "jobs": [{"file": "Makefile", "timeoutMinutes": 0.5, "wait": False}]}, stack="local")
    assert (settings.jobs[0].timeout_minutes, settings.jobs[0].wait) == (0.5, False)
    message = error_of({"target": "local", "jobs": [{"file": "Makefile", "wait": "false"}]}, stack="local")
    assert message == "stacks/Pulumi.local.yaml: azureml-training:jobs[0].wait: Input should be a valid boolean (got 'false')"


def test_external_paths_let_a_stack_name_files_outside_the_repository(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "job.yml").write_text("type: command\n")
    outside = str(tmp_path / "shared" / "job.yml")
    message = error_of({"target": "local", "jobs": [{"file": outside}]}, stack="local")
    assert message.startswith(f"stacks/Pulumi.local.yaml: azureml-training:jobs[0].file: {outside!r} is outside the repository")
    settings = load({"target": "local", "jobs": [{"file": outside}], "externalPaths": [str(tmp_path / "shared")]}, stack="local")
    assert str(settings.jobs[0].file) == outside


def test_duplicate_job_keys_are_refused() -> None:
    message = error_of({"target": "local", "jobs": [{"file": "Makefile"}, {"file": "Makefile"}]}, stack="local")
    assert message == "stacks/Pulumi.local.yaml: azureml-training:jobs: 'Makefile' appears twice"


def test_model_must_name_a_job_of_the_stack() -> None:
    values = {"target": "local", "jobs": [{"file": "Makefile", "key": "train"}], "models": [{"name": "m", "job": "sweep"}]}
    message = error_of(values, stack="local")
    assert message == "stacks/Pulumi.local.yaml: azureml-training:models[0].job: 'sweep' is not a job key of this stack (known: train)"


def test_on_delete_accepts_only_archive_delete_or_keep() -> None:
    message = error_of({"target": "local", "jobs": [{"file": "Makefile", "onDelete": "purge"}]}, stack="local")
    assert message == (
        "stacks/Pulumi.local.yaml: azureml-training:jobs[0].onDelete: Input should be 'archive', 'delete' or 'keep' (got 'purge')"
    )


def test_datastore_credentials_must_name_secret_keys() -> None:
    values = {"target": "local", "datastores": [{"file": "Makefile", "credentials": {"account_key": "blobKey"}}], "blobKey": "plain"}
    message = error_of(values, stack="local")
    assert message == (
        "stacks/Pulumi.local.yaml: azureml-training:datastores[0].credentials.account_key: "
        "azureml-training:blobKey must be set as a secret "
        "(pulumi config set --secret azureml-training:blobKey ...)"
    )


def test_datastore_credentials_accept_secret_keys() -> None:
    values = {"target": "local", "datastores": [{"file": "Makefile", "credentials": {"account_key": "blobKey"}}], "blobKey": "s3cret"}
    settings = load(values, secrets=("blobKey",), stack="local")
    assert settings.datastores[0].credentials == {"account_key": "blobKey"}


@pytest.mark.parametrize("stack", ["local", "dev", "prod"])
def test_every_shipped_stack_file_is_valid(stack: str, stack_config: Any) -> None:
    settings = load(stack_config(stack), stack=stack)
    assert settings.target == ("local" if stack == "local" else "azure")


SUBNET = "/subscriptions/s/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/training"


def test_nodes_without_public_ips_need_a_subnet_or_a_managed_network() -> None:
    workspace = {"location": "westeurope", "isolationMode": "Disabled", "publicNetworkAccess": "Enabled"}
    message = error_of({"workspace": workspace, "compute": [{"name": "cpu", "nodePublicIp": False}]})
    assert message == (
        "stacks/Pulumi.dev.yaml: azureml-training:compute[0].nodePublicIp: "
        "false needs a subnetId or a managed network (workspace.isolationMode)"
    )
    assert load({"workspace": workspace, "compute": [{"name": "cpu", "nodePublicIp": False, "subnetId": SUBNET}]}).compute[0].subnet_id


def test_a_cluster_in_the_managed_network_takes_no_subnet() -> None:
    workspace = {"location": "westeurope", "isolationMode": "AllowOnlyApprovedOutbound"}
    message = error_of({"workspace": workspace, "compute": [{"name": "cpu", "subnetId": SUBNET}]})
    assert message == (
        "stacks/Pulumi.dev.yaml: azureml-training:compute[0].subnetId: "
        "a cluster in the workspace's managed network (isolationMode AllowOnlyApprovedOutbound) takes no subnet"
    )


def test_a_secret_key_may_hold_an_object() -> None:
    workspace = {"existing": True, "subscriptionId": "00000000-0000-0000-0000-000000000000", "resourceGroup": "rg", "name": "mlw"}
    assert load({"workspace": workspace}, secrets=("workspace",)).workspace.name == "mlw"


def test_a_bad_secret_value_is_named_but_never_shown() -> None:
    message = error_of({"target": "aws-secret-target"}, secrets=("target",))
    assert message == "stacks/Pulumi.dev.yaml: azureml-training:target: Input should be 'azure' or 'local'"


def test_an_existing_workspace_takes_no_clusters_to_create() -> None:
    workspace = {"existing": True, "subscriptionId": "00000000-0000-0000-0000-000000000000", "resourceGroup": "rg", "name": "mlw"}
    message = error_of({"workspace": workspace, "compute": [{"name": "cpu"}]})
    assert message == (
        "stacks/Pulumi.dev.yaml: azureml-training:compute: an existing workspace keeps its own clusters; "
        "name them in the job YAMLs (compute: azureml:<name>)"
    )


ENDPOINT = {"file": "jobs/endpoints/endpoint.yml", "deployments": [{"file": "jobs/endpoints/blue.yml"}]}


def test_endpoints_read_their_files_and_traffic() -> None:
    settings = load({"target": "local", "endpoints": [{**ENDPOINT, "traffic": {"blue": 100}, "mirrorTraffic": {}}]}, stack="local")
    (endpoint,) = settings.endpoints
    assert (endpoint.file, [d.file for d in endpoint.deployments], endpoint.traffic) == (
        Path("jobs/endpoints/endpoint.yml"),
        [Path("jobs/endpoints/blue.yml")],
        {"blue": 100},
    )


def test_an_endpoint_needs_a_deployment_and_existing_files() -> None:
    assert error_of({"target": "local", "endpoints": [{**ENDPOINT, "deployments": []}]}, stack="local") == (
        "stacks/Pulumi.local.yaml: azureml-training:endpoints[0].deployments: List should have at least 1 item after validation, not 0"
    )
    missing = {**ENDPOINT, "deployments": [{"file": "jobs/endpoints/green.yml"}]}
    assert error_of({"target": "local", "endpoints": [missing]}, stack="local") == (
        "stacks/Pulumi.local.yaml: azureml-training:endpoints[0].deployments[0].file: 'jobs/endpoints/green.yml' does not exist "
        "(paths are relative to the repository root)"
    )


def test_a_traffic_share_is_a_percentage() -> None:
    assert error_of({"target": "local", "endpoints": [{**ENDPOINT, "traffic": {"blue": 120}}]}, stack="local") == (
        "stacks/Pulumi.local.yaml: azureml-training:endpoints[0].traffic.blue: Input should be less than or equal to 100 (got 120)"
    )


def test_endpoints_are_served_on_azure_too() -> None:
    values = {"target": "azure", "workspace": {"existing": True, "subscriptionId": "0" * 8 + "-0000-0000-0000-" + "0" * 12}}
    values["workspace"] |= {"resourceGroup": "rg-team", "name": "team-ws"}
    settings = load({**values, "endpoints": [ENDPOINT]})
    assert [endpoint.file.as_posix() for endpoint in settings.endpoints] == [ENDPOINT["file"]]
