"""An online endpoint on the local target under the real engine: job, model, endpoint; scored; retrained; destroyed."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.harness import copy_project, engine_env, select_stack, state_text, stop_local_processes

STACK = "serving"
TRAIN = '''\
"""A two-feature classifier, saved as an MLflow model in the job's output."""
import sys

import mlflow.sklearn
import pandas as pd
from mlflow.models import infer_signature
from sklearn.linear_model import LogisticRegression

features = pd.DataFrame({"size": [1.0, 2.0, 3.0, 8.0, 9.0, 10.0], "weight": [1.0, 1.5, 2.0, 7.0, 8.5, 9.0]})
model = LogisticRegression().fit(features, [0, 0, 0, 1, 1, 1])
mlflow.sklearn.save_model(model, sys.argv[1], signature=infer_signature(features, model.predict(features)))
'''
FILES = {
    "jobs/tiny/train.py": TRAIN,
    "jobs/tiny-job.yml": {
        "type": "command",
        "code": "./tiny",
        "command": "python train.py ${{outputs.model}}",
        "environment": "azureml:AzureML-sklearn-1.5-ubuntu22.04-py39-cpu:1",
        "outputs": {"model": {"type": "mlflow_model"}},
    },
    "jobs/endpoints/tiny.yml": {"name": "tiny-scorer", "auth_mode": "key"},
    "jobs/endpoints/tiny-blue.yml": {
        "name": "blue",
        "endpoint_name": "tiny-scorer",
        "model": "azureml:tiny@latest",
        "instance_type": "Standard_DS3_v2",
        "instance_count": 1,
    },
}
CONFIG = {
    "azureml-training:target": "local",
    "azureml-training:jobs": [{"file": "jobs/tiny-job.yml", "key": "tiny"}],
    "azureml-training:models": [{"name": "tiny", "job": "tiny"}],
    "azureml-training:endpoints": [{"file": "jobs/endpoints/tiny.yml", "deployments": [{"file": "jobs/endpoints/tiny-blue.yml"}]}],
}
REQUEST = {"input_data": {"columns": ["size", "weight"], "index": [0, 1, 2], "data": [[1.5, 1.0], [9.5, 9.0], [2.5, 2.0]]}}


def score(uri: str, key: str | None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}
    request = urllib.request.Request(uri, data=json.dumps(REQUEST).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as err:
        return err.code, None


def refuses_connections(uri: str) -> bool:
    port = int(uri.split(":")[2].split("/")[0])
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    yield copy_project(tmp_path / "project")
    stop_local_processes(tmp_path / "project")


def test_a_trained_model_is_served_scored_updated_by_retraining_and_stopped_by_destroy(project: Path, tmp_path: Path) -> None:
    for relative, body in FILES.items():
        (project / relative).parent.mkdir(parents=True, exist_ok=True)
        (project / relative).write_text(body if isinstance(body, str) else yaml.safe_dump(body))
    (project / "stacks" / f"Pulumi.{STACK}.yaml").write_text(yaml.safe_dump({"config": CONFIG}))
    stack = select_stack(project, STACK, engine_env(tmp_path / "state"))

    up = stack.up()
    assert up.outputs["endpointKeys"].secret
    endpoint = up.outputs["endpoints"].value["tiny-scorer"]
    key = up.outputs["endpointKeys"].value["tiny-scorer"]
    assert (endpoint["traffic"], endpoint["deployments"]) == ({"blue": 100}, {"blue": {"model": "tiny:1"}})
    assert score(endpoint["scoringUri"], key) == (200, [0, 1, 0])
    assert score(endpoint["scoringUri"], None)[0] == 401
    written = [path.read_text(errors="replace") for path in (project / ".azureml-local").rglob("*") if path.is_file()]
    assert key not in state_text(tmp_path / "state") and key not in up.stdout + up.stderr and not any(key in text for text in written)
    assert set(stack.preview().change_summary) == {"same"}

    stop_local_processes(project)  # as a reboot would: every server gone
    assert refuses_connections(endpoint["scoringUri"])
    shown_dead: list[str] = []
    dead = stack.preview(on_output=shown_dead.append)
    assert dead.change_summary["update"] == 2, f"the endpoint's router and the deployment's server: {''.join(shown_dead)}"
    stack.up()
    assert score(endpoint["scoringUri"], key) == (200, [0, 1, 0]), "a plain up started them again, on the same port"
    assert set(stack.preview().change_summary) == {"same"}

    script = project / "jobs" / "tiny" / "train.py"
    script.write_text(script.read_text().replace("[0, 0, 0, 1, 1, 1]", "[1, 1, 1, 0, 0, 0]"))
    shown: list[str] = []
    stack.preview(on_output=shown.append)
    assert "azureml:OnlineDeployment deployment-tiny-scorer-blue update [diff: ~model]" in "".join(shown)
    retrained = stack.up().outputs["endpoints"].value["tiny-scorer"]
    assert retrained["deployments"] == {"blue": {"model": "tiny:2"}}
    assert retrained["scoringUri"] == endpoint["scoringUri"]
    assert score(endpoint["scoringUri"], key) == (200, [1, 0, 1])

    (project / "jobs/endpoints/tiny.yml").write_text(yaml.safe_dump({**FILES["jobs/endpoints/tiny.yml"], "description": "now described"}))
    described = stack.up()
    assert described.summary.resource_changes == {"same": described.summary.resource_changes["same"], "update": 1}
    assert described.outputs["endpointKeys"].value["tiny-scorer"] == key, "an update keeps the keys"
    assert score(endpoint["scoringUri"], key) == (200, [1, 0, 1])

    stack.destroy()
    assert refuses_connections(endpoint["scoringUri"])
    stack.workspace.remove_stack(STACK)
