"""The guardrails (policies/) on the resources the dev and prod stacks register, as Pulumi's mocks record them.

Each policy is run as the engine's analyzer runs it (tests/policies/analyzer.py), with the stack's shipped
policy config or a variant of it; `refused` is what fails a preview (mandatory), `warned` what only warns.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from pulumi_policy import EnforcementLevel
from pulumi_policy.proxy import UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE

from policies.azureml_guardrails import POLICIES
from tests.policies.analyzer import Violation, analyze, reconcile, refused, stack_policy_config, warned
from tests.unit.harness import COMPUTE, STORAGE, WORKSPACE, Registered, Run, components_program, run_stack

CONFIGS = Path(__file__).resolve().parents[2] / "policies" / "config"
DEPLOYMENT = "pulumi-python:dynamic/azureml:OnlineDeployment"
JOB = "pulumi-python:dynamic/azureml:Job"


@pytest.fixture(scope="module")
def dev() -> Run:
    return run_stack("dev")


@pytest.fixture(scope="module")
def prod() -> Run:
    return run_stack("prod")


def configured(stack: str, **policies: dict[str, Any]) -> dict[str, Any]:
    """The stack's shipped policy config with some policies' settings replaced or added."""
    config = stack_policy_config(stack)
    for name, settings in policies.items():
        config[name.replace("_", "-")] = {**config.get(name.replace("_", "-"), {}), **settings}
    return config


def with_inputs(resource: Registered, change: dict[str, Any]) -> Registered:
    """A resource as the program would register it with these inputs changed (dotted paths)."""
    inputs = copy.deepcopy(resource.inputs)
    for path, value in change.items():
        *parents, last = path.split(".")
        node = inputs
        for part in parents:
            node = node[part]
        node[last] = value
    return dataclasses.replace(resource, inputs=inputs)


def one(run: Run, type_: str, name: str | None = None) -> Registered:
    (found,) = [r for r in run.of_type(type_) if name is None or r.name == name]
    return found


# The shipped stacks and their configs.


def test_every_shipped_policy_config_names_only_policies_and_settings_of_the_pack() -> None:
    """The engine ignores a misspelt policy or setting; this does not."""
    settings_of = {policy.name: set(policy.config_schema.properties) for policy in POLICIES if policy.config_schema}
    for path in sorted(CONFIGS.glob("*.json")):
        config = stack_policy_config(path.stem)
        assert set(config) <= {*settings_of, "all"}, path.name
        for name, settings in config.items():
            unknown = set(settings) - {*settings_of[name], "enforcementLevel"}
            assert not unknown, f"{path.name}: {name}: {unknown}"
        reconcile(config)  # and valid for each policy's schema, as the engine checks it


def test_the_dev_stack_passes_its_guardrails(dev: Run) -> None:
    assert analyze(dev.resources, stack_policy_config("dev")) == []


def test_the_prod_stack_passes_its_mandatory_guardrails_and_is_warned_of_its_public_storage_account(prod: Run) -> None:
    violations = analyze(prod.resources, stack_policy_config("prod"))
    assert refused(violations) == []
    (account,) = [r.inputs["accountName"] for r in prod.of_type(STORAGE)]
    assert warned(violations) == [
        f"storage account {account} is open to public networks (publicNetworkAccess Enabled, and no networkRuleSet denies them)"
    ]


def test_a_production_stack_with_a_public_workspace_and_a_cluster_of_a_disallowed_vm_size_is_refused() -> None:
    run = run_stack(
        "prod", {"workspace.publicNetworkAccess": "Enabled", "compute.0.vmSize": "Standard_NC24ads_A100_v4"}, program=components_program
    )
    violations = analyze(run.resources, stack_policy_config("prod"))
    assert refused(violations) == [
        "cluster cpu-cluster: vmSize Standard_NC24ads_A100_v4 is not allowed in this stack "
        "(allowedVmSizes: Standard_DS3_v2, Standard_DS4_v2, Standard_D4s_v3, Standard_D8s_v3)",
        "workspace mlw-azureml-training-prod: publicNetworkAccess is Enabled; "
        "set workspace.publicNetworkAccess: Disabled (with a privateEndpoint)",
    ]
    assert {v.policy for v in violations if v.level == EnforcementLevel.MANDATORY} == {"cluster-limits", "workspace-private"}


# cluster-limits and deployment-limits


def test_a_cluster_that_may_scale_past_the_stacks_nodes_is_refused(dev: Run) -> None:
    violations = analyze(dev.resources, configured("dev", cluster_limits={"maxNodes": 1}))
    assert refused(violations) == ["cluster cpu-cluster: maxNodes is 2, above this stack's maxNodes of 1"]


def test_vm_sizes_are_compared_as_azure_does_without_regard_to_case(dev: Run) -> None:
    assert analyze(dev.resources, configured("dev", cluster_limits={"allowedVmSizes": ["standard_ds3_v2"]})) == []


def test_a_deployment_of_a_disallowed_instance_type_is_refused(dev: Run) -> None:
    violations = analyze(dev.resources, configured("dev", deployment_limits={"allowedInstanceTypes": ["Standard_F2s_v2"]}))
    assert refused(violations) == [
        "deployment breast-cancer/blue: instance_type Standard_DS3_v2 is not allowed in this stack (allowedInstanceTypes: Standard_F2s_v2)"
    ]


def test_a_deployment_of_more_instances_than_the_stack_allows_is_refused(dev: Run) -> None:
    blue = with_inputs(one(dev, DEPLOYMENT), {"definition.instance_count": 3.0})
    assert refused(analyze([blue], stack_policy_config("dev"))) == [
        "deployment breast-cancer/blue: instance_count is 3, above this stack's maxInstances of 2"
    ]


def test_a_stack_without_a_policy_config_is_held_to_no_limits(dev: Run) -> None:
    assert analyze(dev.resources, {}) == []


# Production: only where the config marks the stack production.


def test_production_guardrails_apply_only_to_a_stack_marked_production(dev: Run) -> None:
    production = {"production": True}
    marked = configured(
        "dev", workspace_private=production, storage_private=production, storage_shared_key=production, vault_purge_protection=production
    )
    marked["low-priority-nodes"] = production
    violations = analyze(dev.resources, marked)
    assert {v.policy: v.message for v in violations} == {
        "workspace-private": "workspace mlw-azureml-training-dev: publicNetworkAccess is Enabled; set workspace.publicNetworkAccess: "
        "Disabled (with a privateEndpoint)",
        "storage-private": f"storage account {one(dev, STORAGE).inputs['accountName']} is open to public networks "
        "(publicNetworkAccess Enabled, and no networkRuleSet denies them)",
        "vault-purge-protection": f"key vault {one(dev, 'azure-native:keyvault:Vault').inputs['vaultName']} has no purge protection; "
        "set workspace.purgeProtection: true",
        "low-priority-nodes": "cluster cpu-cluster runs on low-priority (evictable) nodes, which this stack allows only on "
        "allowedClusters (none)",
    }
    assert analyze(dev.resources, stack_policy_config("dev")) == []  # the same resources, unmarked


def test_low_priority_nodes_pass_in_production_on_the_clusters_allowed_them(dev: Run) -> None:
    config = configured("dev", low_priority_nodes={"production": True, "allowedClusters": ["cpu-cluster"]})
    assert analyze(dev.resources, config) == []


def test_shared_key_access_in_production_is_refused() -> None:
    run = run_stack("prod", {"workspace.storageSharedKeyAccess": True}, program=components_program)
    account = one(run, STORAGE).inputs["accountName"]
    assert refused(analyze(run.resources, stack_policy_config("prod"))) == [
        f"storage account {account} allows shared-key access; set workspace.storageSharedKeyAccess: false"
    ]


@pytest.mark.parametrize(
    "change",
    [{"publicNetworkAccess": "Disabled"}, {"networkRuleSet": {"defaultAction": "Deny", "bypass": "AzureServices"}}],
    ids=["public access disabled", "network rules deny"],
)
def test_a_storage_account_closed_to_public_networks_passes_in_production(prod: Run, change: dict[str, Any]) -> None:
    account = with_inputs(one(prod, STORAGE), change)
    assert analyze([account], stack_policy_config("prod")) == []


# resource-tags


def test_an_untagged_azure_resource_is_warned_of_in_dev_and_refused_in_prod(dev: Run, prod: Run) -> None:
    for run, stack, verdict in ((dev, "dev", warned), (prod, "prod", refused)):
        untagged = with_inputs(one(run, WORKSPACE), {"tags": {"project": "azureml-training"}})
        assert verdict(analyze([untagged], stack_policy_config(stack))) == [
            "machinelearningservices:Workspace aml-mlw lacks the required tags stack, managed-by; add them to workspace.tags"
        ]


def test_a_required_tag_is_asked_of_every_azure_resource_that_takes_tags_and_of_no_other(dev: Run) -> None:
    violations = [v for v in analyze(dev.resources, configured("dev", resource_tags={"requiredTags": ["cost-center"]}))]
    flagged = {v.resource for v in violations}
    assert {r.name for r in dev.azure if r.type != "azure-native:authorization:RoleAssignment"} == flagged
    assert {v.level for v in violations} == {EnforcementLevel.ADVISORY}


# job-limits


def test_a_sweep_of_more_trials_than_the_stack_allows_is_refused(dev: Run) -> None:
    violations = analyze(dev.resources, configured("dev", job_limits={"maxTotalTrials": 2}))
    assert [(v.policy, v.resource, v.message) for v in violations] == [
        ("job-limits", "sweep", "job sweep: limits.max_total_trials is 4, above this stack's maxTotalTrials of 2")
    ]


def test_sweep_concurrency_and_trial_time_and_job_time_are_held_to_the_stacks_limits(dev: Run) -> None:
    limits = {"maxConcurrentTrials": 1, "maxTrialTimeoutMinutes": 5, "maxTimeoutMinutes": 30}
    violations = analyze(dev.resources, configured("dev", job_limits=limits))
    assert sorted(refused(violations)) == [  # the mocks register the jobs in no set order
        "job pipeline: timeoutMinutes is 120, above this stack's maxTimeoutMinutes of 30",
        "job sweep: limits.max_concurrent_trials is 2, above this stack's maxConcurrentTrials of 1",
        "job sweep: limits.timeout is 3600 s, above this stack's maxTimeoutMinutes of 30",
        "job sweep: limits.trial_timeout is 600 s, above this stack's maxTrialTimeoutMinutes of 5",
        "job sweep: timeoutMinutes is 120, above this stack's maxTimeoutMinutes of 30",
        "job train: timeoutMinutes is 120, above this stack's maxTimeoutMinutes of 30",
    ]


def test_a_pipelines_sweep_step_without_a_trial_limit_is_refused(dev: Run) -> None:
    pipeline = one(dev, JOB, "pipeline")
    sweep_step = {"type": "sweep", "trial": "./components/train.yml", "limits": {"max_concurrent_trials": 2.0}}
    changed = with_inputs(pipeline, {"definition.jobs.sweep_step": sweep_step})
    assert refused(analyze([changed], stack_policy_config("dev"))) == [
        "job pipeline: jobs.sweep_step.limits.max_total_trials is not set; this stack allows at most 20 trials (maxTotalTrials)"
    ]


def test_a_job_is_recognised_by_its_inputs_whatever_its_dynamic_type_token(dev: Run) -> None:
    """A dynamic resource class that does not name itself registers as pulumi-python:dynamic:Resource."""
    sweep = dataclasses.replace(one(dev, JOB, "sweep"), type="pulumi-python:dynamic:Resource")
    assert refused(analyze([sweep], configured("dev", job_limits={"maxTotalTrials": 2}))) == [
        "job sweep: limits.max_total_trials is 4, above this stack's maxTotalTrials of 2"
    ]
    others = [r for r in dev.resources if r.type.startswith("pulumi-python:dynamic/") and r.type not in (JOB, DEPLOYMENT)]
    assert others, "models, environments, endpoints"
    narrow = configured("dev", job_limits={"maxTotalTrials": 1, "maxTimeoutMinutes": 1}, deployment_limits={"allowedInstanceTypes": []})
    assert analyze(others, narrow) == []


# Previews: values known only once other resources exist.


def test_a_value_not_known_during_a_preview_is_never_reported_as_wrong(dev: Run) -> None:
    unknown = [
        with_inputs(one(dev, WORKSPACE), {"tags": UNKNOWN_OBJECT_VALUE}),
        with_inputs(one(dev, COMPUTE), {"properties.properties.vmSize": UNKNOWN_STRING_VALUE, "tags.stack": UNKNOWN_STRING_VALUE}),
    ]
    config = configured("dev", cluster_limits={"allowedVmSizes": ["Standard_DS2_v2"]})
    assert analyze(unknown, config) == []


def test_violations_name_the_resource_they_are_about(dev: Run) -> None:
    violations = analyze(dev.resources, configured("dev", cluster_limits={"maxNodes": 1}))
    assert violations == [Violation("cluster-limits", EnforcementLevel.MANDATORY, "cpu-cluster-compute", violations[0].message)]
