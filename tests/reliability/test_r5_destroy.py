"""R5: destroy. Running jobs are cancelled (a run a killed deployment left going, locally; the service's
job, on Azure), assets are archived, and only what the stack created is removed."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.provider.local.layout import WRITTEN
from tests.azureml_double import AzureMLDouble
from tests.reliability.interrupted_stack import CliStack, alive, existing_workspace_config, wait_until

pytestmark = pytest.mark.reliability("R5", "destroy", "with only what the stack made removed")

CURATED = "azureml:AzureML-sklearn-1.5-ubuntu22.04-py39-cpu@latest"


@pytest.fixture
def local_stack(tmp_path: Path) -> Iterator[CliStack]:
    config = {"azureml-training:target": "local", "azureml-training:jobs": [{"file": "jobs/r5-job.yml", "key": "r5"}]}
    stack = CliStack(tmp_path, "r5", config)
    (stack.project / "jobs" / "r5-job.yml").write_text(stack.job_yaml(CURATED, "azureml:cpu-cluster"))
    yield stack
    stack.close()


def test_local_destroy_after_a_hard_kill_stops_the_run_and_keeps_what_it_did_not_write(local_stack: CliStack) -> None:
    root = local_stack.project / ".azureml-local"
    workspace = root / "r5"
    up = local_stack.start_up()
    wait_until(lambda: any(workspace.glob("jobs/*/process.json")), what="the job to start")
    (supervisor,) = [json.loads(path.read_text())["pid"] for path in workspace.glob("jobs/*/process.json")]
    (workspace / "notes.txt").write_text("put here by hand")
    (root / "elsewhere.txt").write_text("beside the stack's folder")
    up.send_signal(signal.SIGKILL)
    up.wait(timeout=30)

    local_stack.recover()
    local_stack.run("destroy", "--yes", "--skip-preview", "--run-program")

    assert not alive(supervisor), "the run the killed deployment left going was stopped"
    assert local_stack.executions() == 0
    assert sorted(path.name for path in workspace.iterdir()) == ["notes.txt"]
    assert not set(WRITTEN) & {path.name for path in workspace.iterdir()}
    assert (root / "elsewhere.txt").read_text() == "beside the stack's folder"


@pytest.fixture
def azure_stack(tmp_path: Path, aml_double: AzureMLDouble) -> Iterator[CliStack]:
    config = existing_workspace_config(
        aml_double,
        data=[{"file": "jobs/r5-data.yml"}],
        jobs=[{"file": "jobs/r5-job.yml", "key": "r5", "wait": False}],
    )
    stack = CliStack(tmp_path, "r5azure", config, aml_double.subprocess_env())
    (stack.project / "jobs" / "r5-job.yml").write_text(stack.job_yaml("azureml:sklearn-train@latest", "azureml:cpu-cluster"))
    (stack.project / "jobs" / "r5-data.csv").write_text("radius,label\n1.0,0\n")
    (stack.project / "jobs" / "r5-data.yml").write_text("name: r5-data\ntype: uri_file\npath: ./r5-data.csv\n")
    yield stack
    stack.close()


def test_azure_destroy_cancels_the_running_job_and_archives_the_assets(azure_stack: CliStack, aml_double: AzureMLDouble) -> None:
    azure_stack.up()
    (put,) = aml_double.find("PUT", r"/jobs/[^/]+$")
    name = put.path.rsplit("/", 1)[1]
    assert aml_double.job_status(name) not in ("Completed", "Failed", "Canceled")

    azure_stack.run("destroy", "--yes", "--skip-preview", "--run-program")

    assert aml_double.find("POST", rf"/jobs/{name}/cancel$"), "the running job was cancelled"
    archived = {
        kind: [version["properties"]["isArchived"] for versions in aml_double.versions[kind].values() for version in versions.values()]
        for kind in ("environments", "data")
    }
    assert archived == {"environments": [True], "data": [True]}
    assert not aml_double.find("DELETE", r"/environments/|/data/"), "assets are archived, never deleted"
