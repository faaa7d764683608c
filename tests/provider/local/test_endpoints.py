"""Online endpoints on this machine: a keyed router in front of scoring servers that serve registered MLflow models."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow.sklearn
import pandas as pd
import pytest
from mlflow import MlflowClient
from mlflow.models import infer_signature
from sklearn.linear_model import LogisticRegression

from components.provider.local.backend import LocalBackend
from components.provider.local.errors import LocalTargetError
from components.provider.local.layout import Layout
from components.provider.local.process import running_in, stop_runs
from components.provider.local.tracking import create_store
from tests.provider.local.builders import workspace_props

FEATURES = pd.DataFrame({"size": [1.0, 2.0, 3.0, 8.0, 9.0, 10.0], "weight": [1.0, 1.5, 2.0, 7.0, 8.5, 9.0]})
LABELS = [0, 0, 0, 1, 1, 1]
ROWS = [[1.5, 1.0], [9.5, 9.0], [2.5, 2.0]]
EXPECTED = [0, 1, 0]
SPLIT = {"input_data": {"columns": ["size", "weight"], "index": [0, 1, 2], "data": ROWS}}


@dataclass
class Served:
    backend: LocalBackend
    workspace: dict[str, Any]
    endpoint: dict[str, Any]
    """The endpoint's props and outputs (scoring_uri, keys)."""


def register_tiny_model(workspace: dict[str, Any], folder: Path, flipped: bool = False) -> str:
    """A two-feature classifier saved as an MLflow model and registered as a new version of `tiny`."""
    model = LogisticRegression().fit(FEATURES, [1 - y for y in LABELS] if flipped else LABELS)
    mlflow.sklearn.save_model(model, str(folder), signature=infer_signature(FEATURES, model.predict(FEATURES)))
    uri = f"sqlite:///{workspace['root']}/mlflow.db"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    if not client.search_registered_models("name = 'tiny'"):
        client.create_registered_model("tiny")
    return f"azureml:tiny:{client.create_model_version('tiny', str(folder)).version}"


def deployment_props(workspace: dict[str, Any], name: str, model: str) -> dict[str, Any]:
    return {"workspace": workspace, "endpoint_name": "scorer", "name": name, "model": model, "definition": {"instance_count": 1}}


def post(uri: str, body: Any, headers: dict[str, str] | None = None) -> tuple[int, Any, dict[str, str]]:
    request = urllib.request.Request(uri, data=json.dumps(body).encode(), headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read()), dict(answer.headers)
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read()), dict(err.headers)


def keyed(served: Served, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {served.endpoint['primary_key']}", **headers}


def refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


SCORE_PY = '''\
"""A scoring script of the user's: init() and run(), as on Azure ML."""
import json
import os

import yaml
from helper import total


def init():
    global flavors
    with open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "MLmodel")) as mlmodel:
        flavors = sorted(yaml.safe_load(mlmodel)["flavors"])


def run(raw_data):
    rows = json.loads(raw_data)["rows"]
    return {"totals": [total(row) for row in rows], "flavors": flavors, "greeting": os.environ["GREETING"]}
'''


def code_deployment_props(workspace: dict[str, Any], model: str, code: Path) -> dict[str, Any]:
    """A code deployment of the tiny model: the user's score.py (and a module beside it), in the model's own environment."""
    (code / "src").mkdir(parents=True)
    (code / "src" / "score.py").write_text(SCORE_PY)
    (code / "src" / "helper.py").write_text("def total(row):\n    return sum(row)\n")
    environment = {"image": "mcr.microsoft.com/azureml/minimal-ubuntu22.04-py311-cpu-inference", "conda_file": "model/conda.yaml"}
    definition = {
        "instance_count": 1,
        "code_configuration": {"code": "src", "scoring_script": "score.py"},
        "environment": environment,
        "environment_variables": {"GREETING": "hello"},
    }
    return {**deployment_props(workspace, "custom", model), "definition": definition, "base_dir": str(code), "code_hash": "1"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Endpoint `scorer`: deployments blue and green (80/20) of the tiny model, and `custom`, a code deployment of it
    without traffic; started at once, as the engine starts them; every server stopped afterwards."""
    root = tmp_path_factory.mktemp("serving")
    workspace = workspace_props(root / "workspace")
    create_store(Layout(workspace["root"]))
    backend = LocalBackend(workspace)
    model = register_tiny_model(workspace, root / "model")
    try:
        endpoint_props = {"workspace": workspace, "name": "scorer", "definition": {"auth_mode": "key"}}
        endpoint = {**endpoint_props, **backend.put_endpoint(endpoint_props)}
        deployments = [deployment_props(workspace, name, model) for name in ("blue", "green")]
        deployments.append(code_deployment_props(workspace, model, root))
        with ThreadPoolExecutor() as pool:
            list(pool.map(backend.put_deployment, deployments))
        backend.put_traffic({"workspace": workspace, "name": "scorer", "traffic": {"blue": 80, "green": 20}, "mirror_traffic": {}})
        yield Served(backend, workspace, endpoint)
    finally:
        stop_runs(running_in(Path(workspace["root"])))


def test_the_endpoint_scores_the_split_format_with_its_key(served: Served) -> None:
    status, predictions, _ = post(served.endpoint["scoring_uri"], SPLIT, keyed(served))
    assert (status, predictions) == (200, EXPECTED)


def test_bare_rows_take_the_signatures_column_names(served: Served) -> None:
    status, predictions, _ = post(served.endpoint["scoring_uri"], {"input_data": ROWS}, keyed(served))
    assert (status, predictions) == (200, EXPECTED)


def test_without_a_key_the_endpoint_answers_401(served: Served) -> None:
    assert post(served.endpoint["scoring_uri"], SPLIT)[0] == 401
    assert post(served.endpoint["scoring_uri"], SPLIT, {"Authorization": "Bearer not-the-key"})[0] == 401


def test_a_body_without_input_data_is_a_400(served: Served) -> None:
    status, answer, _ = post(served.endpoint["scoring_uri"], {"data": ROWS}, keyed(served))
    assert status == 400
    assert "input_data" in answer["message"]


def test_a_code_deployment_runs_the_users_scoring_script_under_azmlinfsrv(served: Served) -> None:
    headers = keyed(served, **{"azureml-model-deployment": "custom"})
    status, answer, _ = post(served.endpoint["scoring_uri"], {"rows": [[1, 2], [3, 4]]}, headers)
    assert (status, answer) == (200, {"totals": [3, 7], "flavors": ["python_function", "sklearn"], "greeting": "hello"})


def test_a_scoring_script_whose_init_fails_fails_the_deployment_message_first(served: Served, tmp_path: Path) -> None:
    props = code_deployment_props(served.workspace, "azureml:tiny:1", tmp_path)
    (tmp_path / "src" / "score.py").write_text("def init():\n    raise ValueError('no model here')\n\n\ndef run(raw_data):\n    pass\n")
    (tmp_path / "model").symlink_to(Path(served.workspace["root"]).parent / "model")
    with pytest.raises(LocalTargetError) as failed:
        served.backend.put_deployment({**props, "name": "broken"})
    message = str(failed.value)
    assert message.startswith("deployment scorer/broken: its server exited before it answered on port ")
    assert "ValueError: no model here" in message


def test_the_server_answers_azmlinfsrvs_routes_on_loopback_only(served: Served) -> None:
    record = json.loads((Layout(served.workspace["root"]).deployment_dir("scorer", "blue") / "deployment.json").read_text())
    with urllib.request.urlopen(f"http://127.0.0.1:{record['port']}/swagger.json", timeout=30) as answer:
        assert (json.loads(answer.read())["swagger"], answer.headers["x-ms-server-version"][:11]) == ("2.0", "azmlinfsrv/")
    listening = [line.split()[1] for line in Path("/proc/net/tcp").read_text().splitlines()[1:] if line.split()[3] == "0A"]
    assert f"0100007F:{record['port']:04X}" in listening, "listening on 127.0.0.1"
    assert not any(address.endswith(f":{record['port']:04X}") and address != f"0100007F:{record['port']:04X}" for address in listening)


def test_the_deployment_header_picks_the_deployment(served: Served) -> None:
    for name in ("green", "blue"):
        status, predictions, headers = post(served.endpoint["scoring_uri"], SPLIT, keyed(served, **{"azureml-model-deployment": name}))
        assert (status, predictions, headers["azureml-model-deployment"]) == (200, EXPECTED, name)


def test_without_the_header_traffic_reaches_both_deployments(served: Served) -> None:
    reached = [post(served.endpoint["scoring_uri"], SPLIT, keyed(served))[2]["azureml-model-deployment"] for _ in range(60)]
    # 80/20: the chance that 60 requests all go to blue is 0.8**60, about one in 650,000.
    assert set(reached) == {"blue", "green"}
    assert reached.count("blue") > reached.count("green")


def test_only_digests_of_the_keys_are_on_disk(served: Served) -> None:
    written = "".join(path.read_text(errors="replace") for path in Path(served.workspace["root"]).rglob("*") if path.is_file())
    for key in ("primary_key", "secondary_key"):
        assert served.endpoint[key] not in written


def test_an_update_keeps_the_keys(served: Served) -> None:
    from components.provider.providers import EndpointProvider

    news = {**served.endpoint, "definition": {"auth_mode": "key", "description": "now described"}}
    news = {k: v for k, v in news.items() if k not in ("primary_key", "secondary_key")}
    updated = EndpointProvider().update("scorer", served.endpoint, news).outs
    assert updated["primary_key"] == served.endpoint["primary_key"]
    assert post(served.endpoint["scoring_uri"], SPLIT, keyed(served))[0] == 200


def test_a_server_that_died_is_started_again_by_read_on_its_port(served: Served) -> None:
    outs = deployment_props(served.workspace, "green", "azureml:tiny:1")
    folder = Layout(served.workspace["root"]).deployment_dir("scorer", "green")
    port = served.backend.read_deployment(outs)["port"]
    stop_runs([folder])
    assert refuses_connections(port)
    assert served.backend.read_deployment(outs) == {"port": port}
    assert post(served.endpoint["scoring_uri"], SPLIT, keyed(served, **{"azureml-model-deployment": "green"}))[:2] == (200, EXPECTED)


def test_a_new_model_version_is_served_in_place(served: Served, tmp_path: Path) -> None:
    assert register_tiny_model(served.workspace, tmp_path / "flipped", flipped=True) == "azureml:tiny:2"
    latest = deployment_props(served.workspace, "green", "azureml:tiny@latest")
    port = served.backend.put_deployment(latest)["port"]
    assert served.backend.read_deployment(latest) == {"port": port}
    answer = post(served.endpoint["scoring_uri"], SPLIT, keyed(served, **{"azureml-model-deployment": "green"}))
    assert answer[:2] == (200, [1 - y for y in EXPECTED])


def test_destroy_stops_every_server_and_frees_its_port(served: Served) -> None:
    ports = [
        served.backend.read_deployment(deployment_props(served.workspace, name, "azureml:tiny:1"))["port"] for name in ("blue", "green")
    ]
    ports.append(int(served.endpoint["port"]))
    served.backend.delete_traffic({"workspace": served.workspace, "name": "scorer"})
    for name in ("blue", "green"):
        served.backend.delete_deployment(deployment_props(served.workspace, name, "azureml:tiny:1"))
    served.backend.delete_endpoint(served.endpoint)
    assert all(refuses_connections(port) for port in ports)
    assert served.backend.read_endpoint(served.endpoint) is None
    assert not Layout(served.workspace["root"]).endpoint_dir("scorer").exists()
