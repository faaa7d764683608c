"""Dynamic providers: `check` and `diff` are pure, replace what Azure ML cannot update, and name jobs deterministically."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest

from components.provider.props import UNKNOWN, definition_digest, restore_integers
from components.provider.providers import (
    DatastoreProvider,
    DeploymentProvider,
    EndpointProvider,
    EnvironmentProvider,
    JobProvider,
    ModelProvider,
    TrafficProvider,
)

WORKSPACE = {"target": "local", "root": ".azureml-local/test", "concurrency": 1, "stack": "test"}


def job_props(**changes: Any) -> dict[str, Any]:
    definition = {"type": "command", "command": "python train.py", "code": "src", "environment": "azureml:env:1", "compute": "azureml:cpu"}
    props = {
        "workspace": WORKSPACE,
        "key": "train",
        "name_prefix": "azureml-training-test",
        "definition": definition,
        "base_dir": "jobs",
        "code_hash": "abc",
        "input_hashes": {},
        "experiment": None,
        "wait": True,
        "timeout_minutes": 120,
        "on_delete": "archive",
    }
    for key, value in changes.items():
        if key.startswith("definition_"):
            props["definition"] = {**props["definition"], key.removeprefix("definition_"): value}
        else:
            props[key] = value
    return JobProvider().check({}, props).inputs


def test_job_name_is_derived_from_stack_key_and_what_runs() -> None:
    name = job_props()["name"]
    assert name.startswith("azureml-training-test-train-")
    assert name == job_props()["name"]


def test_job_name_changes_with_the_command_but_not_with_run_options() -> None:
    base = job_props()["name"]
    assert job_props(definition_command="python train.py --C 2")["name"] != base
    assert job_props(wait=False, timeout_minutes=5, on_delete="keep")["name"] == base
    assert job_props(definition_display_name="nicer")["name"] == base


def test_check_reports_missing_required_properties() -> None:
    result = JobProvider().check({}, {"workspace": WORKSPACE, "key": "train"})
    assert sorted(f.property for f in result.failures) == ["definition", "name_prefix"]


def test_unchanged_job_has_no_diff() -> None:
    olds = {**job_props(), "status": "Completed", "url": "file:///x"}
    result = JobProvider().diff("id", olds, job_props())
    assert (result.changes, result.replaces) == (False, [])


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"definition_command": "python train.py --epochs 3"}, {"definition.command", "name"}),
        ({"code_hash": "def"}, {"code_hash", "name"}),
        ({"definition_environment": "azureml:env:2"}, {"definition.environment", "name"}),
        ({"definition_compute": "azureml:gpu"}, {"definition.compute", "name"}),
        ({"definition_distribution": {"type": "pytorch"}}, {"definition.distribution", "name"}),
        ({"definition_resources": {"instance_count": 2}}, {"definition.resources", "name"}),
        ({"rerun": 1}, {"rerun", "name"}),
    ],
)
def test_what_runs_changing_replaces_the_job(change: dict[str, Any], expected: set[str]) -> None:
    result = JobProvider().diff("id", job_props(), job_props(**change))
    assert result.changes is True
    assert set(result.replaces) == expected


def test_display_name_and_run_options_update_in_place() -> None:
    result = JobProvider().diff("id", job_props(), job_props(definition_display_name="nicer", wait=False))
    assert (result.changes, result.replaces) == (True, [])


def test_unknown_upstream_value_is_a_change() -> None:
    news = job_props(definition_environment=UNKNOWN)
    result = JobProvider().diff("id", job_props(), news)
    assert "definition.environment" in result.replaces


def environment_props(**changes: Any) -> dict[str, Any]:
    definition = {"name": "env", "image": "mcr.microsoft.com/azureml/base:latest", "conda_file": "conda.yml"}
    props = {"workspace": WORKSPACE, "name": "env", "version": "1a2b", "definition": definition, "content_hash": "h1", "base_dir": "jobs"}
    return {**props, **changes}


def test_environment_content_change_replaces_with_a_new_version() -> None:
    result = EnvironmentProvider().diff("env:1a2b", environment_props(), environment_props(version="3c4d", content_hash="h2"))
    assert set(result.replaces) == {"content_hash", "version"}
    assert result.delete_before_replace is False


def test_environment_replaced_under_the_same_version_is_deleted_first() -> None:
    result = EnvironmentProvider().diff("env:1", environment_props(version="1"), environment_props(version="1", content_hash="h2"))
    assert result.replaces == ["content_hash"]
    assert result.delete_before_replace is True


def test_environment_description_updates_in_place() -> None:
    news = environment_props(definition={**environment_props()["definition"], "description": "now documented"})
    result = EnvironmentProvider().diff("env:1a2b", environment_props(), news)
    assert (result.changes, result.replaces) == (True, [])


def test_datastore_credentials_rotate_in_place_but_type_replaces() -> None:
    olds = {"workspace": WORKSPACE, "name": "blob", "definition": {"type": "azure_blob", "account_name": "a"}, "credentials": {"k": "1"}}
    rotated = {**olds, "credentials": {"k": "2"}}
    assert DatastoreProvider().diff("blob", olds, rotated).replaces == []
    retyped = {**olds, "definition": {"type": "azure_file", "account_name": "a"}}
    assert DatastoreProvider().diff("blob", olds, retyped).replaces == ["definition.type"]


def test_model_from_another_job_is_a_new_registration() -> None:
    olds = {"workspace": WORKSPACE, "name": "m", "job_name": "j1", "output": "model", "type": "mlflow_model", "version": "1"}
    result = ModelProvider().diff("m:1", olds, {**olds, "job_name": "j2"})
    assert result.replaces == ["job_name"]


def test_no_providers_check_or_diff_imports_azure_ai_ml_or_a_backend() -> None:
    script = textwrap.dedent(
        """
        import sys
        from tests.provider.test_providers import WORKSPACE, environment_props, job_props
        from components.provider import providers
        JobProvider = providers.JobProvider
        JobProvider().diff("id", job_props(), job_props(definition_command="x"))
        model = {"workspace": WORKSPACE, "name": "m", "job_name": "j", "output": "model", "type": "mlflow_model", "definition": {}}
        store = {"workspace": WORKSPACE, "name": "s", "definition": {"type": "azure_blob"}, "credentials": {}}
        folder = {"workspace": WORKSPACE, "name": "local-workspace"}
        endpoint = {"workspace": WORKSPACE, "name": "scorer", "definition": {"auth_mode": "key"}}
        deployment = {"workspace": WORKSPACE, "endpoint_name": "scorer", "name": "blue", "model": "azureml:m:1", "definition": {}}
        traffic = {"workspace": WORKSPACE, "name": "scorer", "traffic": {"blue": 100}, "mirror_traffic": {}}
        cases = [
            (providers.EnvironmentProvider, environment_props()),
            (providers.DataProvider, environment_props()),
            (providers.DatastoreProvider, store),
            (providers.ModelProvider, model),
            (providers.LocalWorkspaceProvider, folder),
            (providers.EndpointProvider, endpoint),
            (providers.DeploymentProvider, deployment),
            (providers.TrafficProvider, traffic),
        ]
        for kind, props in cases:
            checked = kind().check({}, props)
            assert not checked.failures, (kind, checked.failures)
            kind().diff("id", props, {**checked.inputs, "name": "renamed"})
        heavy = ("azure", "mlflow", "components.provider.local", "components.provider.azure")
        loaded = sorted(m for m in sys.modules if m.startswith(heavy))
        print(loaded)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_whole_numbers_that_crossed_the_engine_as_doubles_become_integers_again() -> None:
    assert restore_integers({"inputs": {"max_iter": 200.0, "C": 0.5}, "values": [1.0, 2.5]}) == {
        "inputs": {"max_iter": 200, "C": 0.5},
        "values": [1, 2.5],
    }


def test_job_name_is_the_same_whether_numbers_arrive_as_integers_or_doubles() -> None:
    as_doubles = job_props(definition_inputs={"max_iter": 200.0})
    assert as_doubles["name"] == job_props(definition_inputs={"max_iter": 200})["name"]


def test_job_name_is_unknown_until_upstream_values_are() -> None:
    assert job_props(definition_environment=UNKNOWN)["name"] == UNKNOWN


def test_local_concurrency_is_not_a_change_of_workspace() -> None:
    faster = job_props(workspace={**WORKSPACE, "concurrency": 8})
    assert faster["name"] == job_props()["name"]
    result = JobProvider().diff("id", job_props(), faster)
    assert (result.changes, result.replaces) == (False, [])


def test_another_local_root_is_another_workspace() -> None:
    moved = job_props(workspace={**WORKSPACE, "root": ".azureml-local/other"})
    assert "workspace" in JobProvider().diff("id", job_props(), moved).replaces


def test_concurrent_first_calls_open_one_backend_per_workspace(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading
    import time

    from components.provider import providers

    opened: list[object] = []

    def slow_open(workspace: dict[str, Any]) -> object:
        time.sleep(0.05)  # wide enough for every thread to arrive before the first one finishes
        opened.append(workspace)
        return object()

    providers._backends.cache_clear()
    monkeypatch.setattr(providers, "open_backend", slow_open)
    threads = [threading.Thread(target=providers.backend, args=({"workspace": WORKSPACE},)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    providers._backends.cache_clear()
    assert len(opened) == 1


def model_props(**changes: Any) -> dict[str, Any]:
    props = {"workspace": WORKSPACE, "name": "m", "job_name": "j1", "output": "model", "type": "mlflow_model", "description": None}
    return props | {"definition": {"properties": {"framework": "sklearn"}, "tags": {"team": "ml"}}} | changes


@pytest.mark.parametrize(
    ("change", "replaced"),
    [
        ({"type": "custom_model"}, "type"),
        ({"definition": {"properties": {"framework": "torch"}, "tags": {"team": "ml"}}}, "definition.properties"),
    ],
)
def test_a_replaced_model_registers_its_new_version_before_the_old_one_goes(change: dict[str, Any], replaced: str) -> None:
    result = ModelProvider().diff("m:1", {**model_props(), "version": "1", "uri": "models:/m/1"}, model_props(**change))
    assert result.replaces == [replaced]
    assert result.delete_before_replace is False


def test_a_models_description_and_tags_update_in_place() -> None:
    news = model_props(description="better", definition={"properties": {"framework": "sklearn"}, "tags": {"team": "platform"}})
    result = ModelProvider().diff("m:1", {**model_props(), "version": "1"}, news)
    assert (result.changes, result.replaces) == (True, [])


def test_a_models_definition_digest_ignores_what_a_version_can_change() -> None:
    base = definition_digest(model_props()["definition"])
    assert definition_digest(model_props(definition={"properties": {"framework": "sklearn"}, "tags": {"x": "y"}})["definition"]) == base
    assert definition_digest(model_props(definition={"properties": {"framework": "torch"}})["definition"]) != base


AZURE = {"target": "azure", "subscription_id": "s", "resource_group": "rg", "workspace_name": "ws"}


def test_new_content_under_a_pinned_version_is_refused_on_azure_before_anything_runs() -> None:
    olds = environment_props(workspace=AZURE, version="3")
    result = EnvironmentProvider().check(olds, environment_props(workspace=AZURE, version="3", content_hash="h2"))
    assert [(f.property, f.reason) for f in result.failures] == [
        (
            "version",
            "version 3 of env is pinned in its YAML but its content changed; Azure ML versions are immutable: "
            "bump the version, or remove it to derive one from the content",
        )
    ]


def test_new_content_under_a_pinned_version_is_replaced_locally_and_new_versions_pass_on_azure() -> None:
    local = EnvironmentProvider().check(environment_props(version="3"), environment_props(version="3", content_hash="h2"))
    bumped = EnvironmentProvider().check(
        environment_props(workspace=AZURE), environment_props(workspace=AZURE, version="4", content_hash="h2")
    )
    assert (local.failures, bumped.failures) == ([], [])


ENDPOINT = {"workspace": WORKSPACE, "name": "scorer", "definition": {"auth_mode": "key", "description": "scores"}}
DEPLOYMENT = {
    "workspace": WORKSPACE,
    "endpoint_name": "scorer",
    "name": "blue",
    "model": "azureml:clf:1",
    "definition": {"instance_count": 1},
}


def test_a_new_model_version_updates_a_deployment_in_place() -> None:
    result = DeploymentProvider().diff("scorer/blue", DEPLOYMENT, {**DEPLOYMENT, "model": UNKNOWN})
    assert (result.changes, result.replaces) == (True, [])
    result = DeploymentProvider().diff("scorer/blue", DEPLOYMENT, {**DEPLOYMENT, "definition": {"instance_count": 2}})
    assert (result.changes, result.replaces) == (True, [])


def test_a_deployment_moved_to_another_endpoint_is_replaced() -> None:
    assert DeploymentProvider().diff("scorer/blue", DEPLOYMENT, {**DEPLOYMENT, "endpoint_name": "other"}).replaces == ["endpoint_name"]


def test_an_endpoints_description_updates_in_place_and_its_auth_mode_replaces_it() -> None:
    described = {**ENDPOINT, "definition": {**ENDPOINT["definition"], "description": "now"}}
    assert EndpointProvider().diff("scorer", ENDPOINT, described).replaces == []
    token = {**ENDPOINT, "definition": {**ENDPOINT["definition"], "auth_mode": "aml_token"}}
    assert EndpointProvider().diff("scorer", ENDPOINT, token).replaces == ["definition.auth_mode"]


def test_an_endpoints_keys_are_outputs_never_compared() -> None:
    olds = {**ENDPOINT, "primary_key": "k1", "secondary_key": "k2", "scoring_uri": "http://127.0.0.1:1/score"}
    assert not EndpointProvider().diff("scorer", olds, ENDPOINT).changes


def test_traffic_updates_in_place() -> None:
    olds = {"workspace": WORKSPACE, "name": "scorer", "traffic": {"blue": 100}, "mirror_traffic": {}}
    result = TrafficProvider().diff("scorer", olds, {**olds, "traffic": {"blue": 80, "green": 20}})
    assert (result.changes, result.replaces) == (True, [])


def test_a_new_endpoint_incarnation_remakes_its_deployments_and_traffic_first_deleting_them() -> None:
    token = {**ENDPOINT["definition"], "auth_mode": "aml_token"}
    described = {**ENDPOINT["definition"], "description": "now"}
    assert EndpointProvider.incarnation(described) == EndpointProvider.incarnation(ENDPOINT["definition"])
    assert EndpointProvider.incarnation(token) != EndpointProvider.incarnation(ENDPOINT["definition"])
    olds_deployment = {**DEPLOYMENT, "endpoint_incarnation": EndpointProvider.incarnation(ENDPOINT["definition"])}
    deployment = DeploymentProvider().diff(
        "scorer/blue", olds_deployment, {**DEPLOYMENT, "endpoint_incarnation": EndpointProvider.incarnation(token)}
    )
    assert (deployment.replaces, deployment.delete_before_replace) == (["endpoint_incarnation"], True)
    olds_traffic = {"workspace": WORKSPACE, "name": "scorer", "traffic": {"blue": 100}, "mirror_traffic": {}}
    olds_traffic["endpoint_incarnation"] = olds_deployment["endpoint_incarnation"]
    traffic = TrafficProvider().diff("scorer", olds_traffic, {**olds_traffic, "endpoint_incarnation": EndpointProvider.incarnation(token)})
    assert (traffic.replaces, traffic.delete_before_replace) == (["endpoint_incarnation"], True)
