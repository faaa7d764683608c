"""The stack's assets under mocks: references to the stack's own datastores, data and environments order the work."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime import rpc

from components.spec.settings import JobEntry
from components.spec.spec_cache import SpecCache
from components.spec.specs import SpecLoader
from tests.unit.harness import REPO, SUBSCRIPTION, Registered, Run, run_stack

ASSETS = Path("tests/unit/assets")
WORKSPACE = {"existing": True, "subscriptionId": SUBSCRIPTION, "resourceGroup": "team-rg", "name": "team-ws"}


def stack() -> dict[str, Any]:
    return {
        "target": "azure",
        "workspace": WORKSPACE,
        "datastores": [{"file": str(ASSETS / "trainingstore.yml"), "credentials": {"account_key": "storeKey"}}],
        "data": [{"file": str(ASSETS / "labels.yml")}],
        "jobs": [{"file": str(ASSETS / "job.yml"), "key": "train"}],
        "storeKey": "a-secret-account-key",
    }


@pytest.fixture(scope="module")
def run() -> Run:
    return run_stack("dev", config=stack(), secrets=("storeKey",))


def one(run: Run, kind: str) -> Registered:
    (found,) = [r for r in run.resources if r.type.endswith(f"azureml:{kind}")]
    return found


def test_data_in_a_datastore_of_the_stack_waits_for_it(run: Run) -> None:
    assert one(run, "Datastore").urn in one(run, "Data").dependencies


def test_a_job_waits_for_the_datastores_and_data_its_inputs_name(run: Run) -> None:
    dependencies = one(run, "Job").dependencies
    assert one(run, "Datastore").urn in dependencies
    assert one(run, "Data").urn in dependencies


def test_a_job_input_naming_a_data_asset_of_the_stack_gets_its_version(run: Run) -> None:
    labels = one(run, "Job").inputs["definition"]["inputs"]["labels"]
    assert labels["path"] == f"azureml:labels:{one(run, 'Data').inputs['version']}"


def test_datastore_credentials_come_from_the_secret_key_and_stay_secret(run: Run) -> None:
    credentials = one(run, "Datastore").inputs["credentials"]
    assert credentials[rpc._special_sig_key] == rpc._special_secret_sig
    assert credentials["value"] == {"account_key": "a-secret-account-key"}


def test_an_inline_environment_is_part_of_what_the_job_runs(run: Run) -> None:
    assert one(run, "Job").inputs["environment_hash"]


def test_editing_an_inline_environments_conda_file_changes_the_job(tmp_path: Path) -> None:
    shutil.copytree(REPO / ASSETS, tmp_path / ASSETS)
    loader = SpecLoader(tmp_path, "stacks/Pulumi.dev.yaml", SpecCache(tmp_path / "cache"))
    conda = tmp_path / ASSETS / "conda.yml"
    before = loader.job(JobEntry(file=ASSETS / "job.yml")).environment_hash
    conda.write_text(conda.read_text().replace("scikit-learn==1.9.1", "scikit-learn==1.8.0"))
    later = time.time_ns() - 10_000_000_000
    os.utime(conda, ns=(later, later))
    assert loader.job(JobEntry(file=ASSETS / "job.yml")).environment_hash != before
