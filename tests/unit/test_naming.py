"""Names derived from subscription, resource group, project and stack follow Azure's rules; overrides win.

Storage account, key vault and container registry names are DNS names shared by all of Azure
(https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules):
two deployers of the same project and stack must not get the same ones.
"""

from __future__ import annotations

import re

import pytest

from components.infra import naming
from components.infra.naming import derive_names
from components.spec.settings import ResourceNames, WorkspaceSettings

PROJECT = "azureml-training"
SUBSCRIPTION = "00000000-0000-4000-8000-000000000001"
OTHER_SUBSCRIPTION = "11111111-1111-4111-8111-111111111111"

ODD_INPUTS = [
    ("azureml-training", "dev"),
    ("p", "s"),
    ("A" * 120, "B" * 120),
    ("My_Project.v2", "feature/JIRA-123_try.again"),
    ("Élan-ML", "prod-🚀-west"),
    ("___", "..."),
    ("x", "a--b__c..d"),
]


def names(project: str, stack: str, subscription: str = SUBSCRIPTION, **workspace: object) -> naming.AzureNames:
    return derive_names(project, stack, subscription, WorkspaceSettings.model_validate(workspace))


def tag_of(project: str, stack: str, subscription: str = SUBSCRIPTION, group: str | None = None) -> str:
    return naming.global_suffix(subscription, group or naming.resource_group_name(project, stack), project, stack)


def test_names_are_the_type_prefix_then_project_and_stack() -> None:
    derived = names(PROJECT, "dev")
    assert derived.resource_group == "rg-azureml-training-dev"
    assert derived.workspace == "mlw-azureml-training-dev"
    assert derived.application_insights == "appi-azureml-training-dev"
    assert derived.log_analytics == "log-azureml-training-dev"


def test_globally_unique_names_end_in_the_suffix_of_subscription_group_project_and_stack() -> None:
    derived = names(PROJECT, "dev")
    tag = tag_of(PROJECT, "dev")
    assert derived.storage_account == f"stazuremltraidev{tag}"
    assert derived.key_vault == f"kv-azureml-dev-{tag}"
    assert derived.container_registry == f"crazuremltrainingdev{tag}"


GLOBAL = ("storage_account", "key_vault", "container_registry")


@pytest.mark.parametrize("field", GLOBAL)
def test_two_subscriptions_deploying_the_same_stack_get_different_global_names(field: str) -> None:
    assert getattr(names(PROJECT, "dev"), field) != getattr(names(PROJECT, "dev", OTHER_SUBSCRIPTION), field)


@pytest.mark.parametrize("field", GLOBAL)
def test_two_resource_groups_of_one_subscription_get_different_global_names(field: str) -> None:
    assert getattr(names(PROJECT, "dev", resourceGroup="rg-a"), field) != getattr(names(PROJECT, "dev", resourceGroup="rg-b"), field)


def test_the_same_subscription_always_gets_the_same_names() -> None:
    assert names(PROJECT, "dev") == names(PROJECT, "dev")
    assert names(PROJECT, "dev") == names(PROJECT, "dev", SUBSCRIPTION.upper()), "subscription ids compare case-insensitively"
    upper, lower = names(PROJECT, "dev", resourceGroup="RG-Team"), names(PROJECT, "dev", resourceGroup="rg-team")
    assert [getattr(upper, f) for f in GLOBAL] == [getattr(lower, f) for f in GLOBAL], "so do group names"


def test_global_suffix_is_a_stable_hash_of_all_four() -> None:
    assert naming.global_suffix(SUBSCRIPTION, "rg-azureml-training-dev", PROJECT, "dev") == "c1c2382a"
    assert re.fullmatch(r"[0-9a-f]{8}", naming.global_suffix("s", "g", "p", "x"))
    scopes = [("s", "g", "p", "x"), ("t", "g", "p", "x"), ("s", "h", "p", "x"), ("s", "g", "q", "x"), ("s", "g", "p", "y")]
    variants = {naming.global_suffix(*scope) for scope in scopes}
    assert len(variants) == 5


def test_names_unique_within_their_group_do_not_depend_on_the_subscription() -> None:
    """Resource group, workspace and monitoring names stay what they were, so no deployed stack sees them change."""
    here, there = names(PROJECT, "dev"), names(PROJECT, "dev", OTHER_SUBSCRIPTION)
    for field in ("resource_group", "workspace", "application_insights", "log_analytics"):
        assert getattr(here, field) == getattr(there, field), field


def test_suffix_is_a_stable_hash_of_project_and_stack_only() -> None:
    assert naming.suffix(PROJECT, "dev") == "9b6883"
    assert re.fullmatch(r"[0-9a-f]{6}", naming.suffix("any", "thing"))
    assert naming.suffix(PROJECT, "dev") != naming.suffix(PROJECT, "prod")


def test_names_within_a_resource_group_carry_no_suffix_when_they_fit() -> None:
    derived = names("p", "s")
    assert (derived.resource_group, derived.workspace, derived.log_analytics) == ("rg-p-s", "mlw-p-s", "log-p-s")


@pytest.mark.parametrize(("project", "stack"), ODD_INPUTS)
def test_every_derived_name_is_one_azure_accepts(project: str, stack: str) -> None:
    derived = names(project, stack)
    # The stack-file validators encode Azure's rules; derived names must pass them too.
    ResourceNames(
        resource_group=derived.resource_group,
        storage_account=derived.storage_account,
        key_vault=derived.key_vault,
        container_registry=derived.container_registry,
        application_insights=derived.application_insights,
        log_analytics=derived.log_analytics,
    )
    WorkspaceSettings(name=derived.workspace)
    assert "--" not in derived.key_vault
    assert re.fullmatch(r"[a-z0-9][-a-z0-9]{2,61}[a-z0-9]", derived.log_analytics), "Log Analytics: 4-63, alphanumeric ends"


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("resource_group", 90),
        ("workspace", 33),
        ("storage_account", 24),
        ("key_vault", 24),
        ("container_registry", 50),
        ("application_insights", 63),
        ("log_analytics", 63),
    ],
)
def test_long_project_and_stack_names_are_cut_to_the_azure_limit(field: str, limit: int) -> None:
    derived = getattr(names("a" * 200, "b" * 200), field)
    assert len(derived) == limit
    tag = tag_of("a" * 200, "b" * 200) if field in GLOBAL else naming.suffix("a" * 200, "b" * 200)
    assert derived.endswith(tag)


def test_a_shortened_name_keeps_the_stack_visible() -> None:
    project = "a-very-long-project-name-indeed"
    assert names(project, "prod").key_vault == f"kv-a-very-prod-{tag_of(project, 'prod')}"


def test_stacks_whose_shortened_names_look_alike_get_different_suffixes() -> None:
    first, second = names("p" * 60, "feature-branch-one"), names("p" * 60, "feature-branch-two")
    for field, length in (("workspace", 6), ("resource_group", 6), ("storage_account", 8), ("key_vault", 8)):
        assert getattr(first, field)[:-length] == getattr(second, field)[:-length], field
        assert getattr(first, field) != getattr(second, field), field


def test_names_that_clean_up_to_the_same_text_stay_apart() -> None:
    dashed, underscored = names("my-proj", "dev"), names("my_proj", "dev")
    assert dashed.storage_account != underscored.storage_account
    assert dashed.key_vault != underscored.key_vault
    assert dashed.container_registry != underscored.container_registry


def test_odd_characters_become_single_hyphens_or_vanish() -> None:
    derived = names("My_Project.v2", "feature/JIRA-123")
    assert derived.resource_group == "rg-my-project-v2-feature-jira-123"
    assert derived.storage_account.startswith("stmyprojefeature")


def test_project_and_stack_of_only_symbols_still_give_valid_unique_names() -> None:
    derived = names("___", "...")
    tag = naming.suffix("___", "...")
    assert (derived.log_analytics, derived.workspace, derived.storage_account) == (f"log-{tag}", f"mlw-{tag}", f"st{tag_of('___', '...')}")


def test_overrides_win_over_derived_names() -> None:
    derived = names(
        PROJECT,
        "dev",
        name="my-ws",
        resourceGroup="my-rg",
        names={
            "storageAccount": "mystorage",
            "keyVault": "my-vault",
            "containerRegistry": "myregistry",
            "applicationInsights": "my-appi",
            "logAnalytics": "my-log",
        },
    )
    assert derived == naming.AzureNames("my-rg", "my-ws", "mystorage", "my-vault", "myregistry", "my-appi", "my-log")


def test_resource_group_can_also_be_set_under_names() -> None:
    assert names(PROJECT, "dev", names={"resourceGroup": "shared-rg"}).resource_group == "shared-rg"


def test_cluster_identity_is_named_for_its_workspace_and_cluster_within_the_identity_rules() -> None:
    name = naming.cluster_identity_name("w" * 33, "c" * 16)
    assert name == f"id-{'w' * 33}-{'c' * 16}"
    # User-assigned identities: 3-128 letters, digits, '-' and '_', starting with a letter or digit.
    assert re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}", name)


@pytest.mark.parametrize("workspace", ["mlw-azureml-training-dev", "w" * 33, "team_ws-", "ab-"])
def test_the_private_endpoint_name_follows_the_network_rules(workspace: str) -> None:
    # Microsoft.Network/privateEndpoints: 2-64 letters, digits, '_', '.' and '-', starting with a letter or
    # digit and ending with a letter, digit or '_' (resource-name-rules).
    name = naming.private_endpoint_name(workspace)
    assert re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}[a-zA-Z0-9_]", name), name
    assert name.startswith("pe-")
