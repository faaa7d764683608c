"""R6: a secret (a datastore's account key set with `pulumi config set --secret`, and the deployer's
own credentials) appears nowhere in plain text or base64: state, outputs, logs, job environments;
on both targets."""

from __future__ import annotations

import json
import re

import pytest

from tests.reliability.conftest import DEPLOYER_SECRETS
from tests.reliability.deployments import SECRET, Deployment, secret_forms

pytestmark = pytest.mark.reliability("R6", "secrets", "places without a plaintext secret")


def leaks(text: str, values: list[str]) -> list[str]:
    return [form for value in values for form in secret_forms(value) if form in text]


def test_azure_state_holds_the_key_only_encrypted(azure_deployment: Deployment) -> None:
    assert '"secure"' in azure_deployment.state or "ciphertext" in azure_deployment.state, "the key is in the state, as a secret"
    assert leaks(azure_deployment.state, [SECRET]) == []


def test_azure_outputs(azure_deployment: Deployment) -> None:
    assert leaks(json.dumps(azure_deployment.outputs), [SECRET]) == []


def test_azure_engine_log(azure_deployment: Deployment) -> None:
    assert "trainingstore" in azure_deployment.log
    assert leaks(azure_deployment.log, [SECRET]) == []


def test_azure_jobs_carry_no_secret_and_only_the_datastore_holds_it(azure_deployment: Deployment) -> None:
    carried = [r for r in azure_deployment.requests if r.method == "PUT" and leaks(json.dumps(r.body, default=str), [SECRET])]
    assert {r.path.rsplit("/", 1)[-1] for r in carried} == {"trainingstore"}, "the key goes to Azure ML with its datastore, nowhere else"
    assert leaks(json.dumps(azure_deployment.job_resources), [SECRET]) == []


def test_local_state(local_deployment: Deployment) -> None:
    assert leaks(local_deployment.state, [SECRET, *DEPLOYER_SECRETS.values()]) == []


def test_local_outputs(local_deployment: Deployment) -> None:
    assert leaks(json.dumps(local_deployment.outputs), [SECRET]) == []


def test_local_engine_log(local_deployment: Deployment) -> None:
    assert "dump" in local_deployment.log
    assert leaks(local_deployment.log, [SECRET, *DEPLOYER_SECRETS.values()]) == []


def test_local_workspace_files(local_deployment: Deployment) -> None:
    assert any(re.search(r"datastores?/", name) for name in local_deployment.files), "the datastore was recorded"
    assert leaks("\n".join(local_deployment.files.values()), [SECRET, *DEPLOYER_SECRETS.values()]) == []


def test_local_job_environment(local_deployment: Deployment) -> None:
    environment = json.loads(_job_environment(local_deployment))
    assert "PATH" in environment, "the dump is the job's real environment"
    assert leaks(json.dumps(environment), [SECRET, *DEPLOYER_SECRETS.values()]) == []


def _job_environment(deployment: Deployment) -> str:
    (dump,) = [text for name, text in deployment.files.items() if name.endswith("/env.json")]
    return dump
