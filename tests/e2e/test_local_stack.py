"""The local stack under the real engine: what `make up` does, end to end, on a copy of the project."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import copy_project, engine_env, select_stack, stop_local_processes

STACK = "local"


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    yield copy_project(tmp_path / "project")
    stop_local_processes(tmp_path / "project")


def score_sample(project: Path, uri: str, key: str | None) -> tuple[int, list | None]:
    """What the README's curl of jobs/endpoints/sample-request.json answers."""
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}
    request = urllib.request.Request(uri, data=(project / "jobs/endpoints/sample-request.json").read_bytes(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as err:
        return err.code, None


def port_refuses(uri: str) -> bool:
    try:
        socket.create_connection(("127.0.0.1", int(uri.split(":")[2].split("/")[0])), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def test_the_local_stack_trains_serves_retrains_what_the_script_changes_and_tears_down(project: Path, tmp_path: Path) -> None:
    """`make up` of the example; then an edit of the training script replaces exactly the jobs that run it.

    One test, one training of the example: the sweep, the train job and the pipeline are the suite's longest local work.
    """
    stack = select_stack(project, STACK, engine_env(tmp_path / "state"))

    first = stack.preview()
    assert first.change_summary.get("create", 0) >= 1

    before = {k: v.value for k, v in stack.up().outputs.items()}
    assert before["jobs"], "the local stack runs the example jobs"
    assert {job["status"] for job in before["jobs"].values()} == {"Completed"}
    assert all(model["version"] for model in before["models"].values())
    workspace_root = project / before["workspace"]["root"]
    assert workspace_root.is_dir()
    endpoint = before["endpoints"]["breast-cancer"]
    key = before["endpointKeys"]["breast-cancer"]
    assert endpoint["deployments"] == {
        "blue": {"model": f"breast-cancer-classifier:{before['models']['breast-cancer-classifier']['version']}"}
    }
    status, predictions = score_sample(project, endpoint["scoringUri"], key)
    assert status == 200 and len(predictions) == 3 and set(predictions) <= {0, 1}
    assert score_sample(project, endpoint["scoringUri"], None)[0] == 401
    pipeline_steps = workspace_root / "jobs" / before["jobs"]["pipeline"]["name"] / "steps"
    metrics = json.loads((pipeline_steps / "evaluate_job" / "outputs" / "report" / "metrics.json").read_text())
    assert metrics["test_accuracy"] > 0.9  # the evaluate step scored the train step's model on the prepare step's split

    assert set(stack.preview().change_summary) == {"same"}
    assert stack.refresh().summary.result == "succeeded"
    assert set(stack.preview().change_summary) == {"same"}

    script = project / "jobs" / "src" / "train.py"
    script.write_text(script.read_text() + "\n# a change to the training code\n")
    shown: list[str] = []
    preview = stack.preview(on_output=shown.append)
    text = "".join(shown)
    assert preview.change_summary.get("replace") == len(before["jobs"]) + len(before["models"])
    assert "azureml:Job train replace [diff: ~code_hash,name]" in text
    assert "azureml:Job pipeline replace [diff: ~name,steps.train_job.code_hash]" in text
    assert "azureml:OnlineDeployment deployment-breast-cancer-blue update [diff: ~model]" in text

    after = {k: v.value for k, v in stack.up().outputs.items()}
    assert {key: job["name"] for key, job in after["jobs"].items()} != {key: job["name"] for key, job in before["jobs"].items()}
    assert {job["status"] for job in after["jobs"].values()} == {"Completed"}
    # The endpoint serves the new version of the sweep's best model.
    served = {outputs["endpoints"]["breast-cancer"]["deployments"]["blue"]["model"] for outputs in (before, after)}
    assert served == {f"breast-cancer-classifier:{outputs['models']['breast-cancer-classifier']['version']}" for outputs in (before, after)}
    assert len(served) == 2
    assert score_sample(project, endpoint["scoringUri"], key)[0] == 200
    # The new pipeline ran the edited step and the one after it, and reused the one before.
    steps = workspace_root / "jobs" / after["jobs"]["pipeline"]["name"] / "steps"
    reused = {
        step: json.loads((steps / step / "step.json").read_text()).get("reused_from") for step in ("prep_job", "train_job", "evaluate_job")
    }
    assert reused == {"prep_job": f"{before['jobs']['pipeline']['name']}/prep_job", "train_job": None, "evaluate_job": None}
    assert {file.name for file in (steps / "prep_job" / "outputs" / "data").iterdir()} == {"train.csv", "test.csv"}
    assert set(stack.preview().change_summary) == {"same"}

    stack.destroy()
    assert not workspace_root.exists()
    assert port_refuses(endpoint["scoringUri"])
    stack.workspace.remove_stack(STACK)
