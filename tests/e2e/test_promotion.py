"""Promotion under the real engine: one local stack trains a tiny model and shares it to a local registry; another
takes it `from` the first (a StackReference, no job) and serves it; retraining the first shows in the second's
preview as an update of that model and of its deployment, and nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.e2e.harness import copy_project, engine_env, select_stack, stop_local_processes
from tests.e2e.test_endpoints import FILES, score

SOURCE, CONSUMER = "trainer", "server"
REGISTRY = {"name": "team", "location": "westeurope", "replication_locations": [{"location": "westeurope"}]}
SOURCE_CONFIG = {
    "azureml-training:target": "local",
    "azureml-training:jobs": [{"file": "jobs/tiny-job.yml", "key": "tiny"}],
    "azureml-training:registries": [{"file": "jobs/registries/team.yml"}],
    "azureml-training:models": [{"name": "tiny", "job": "tiny", "registry": "team"}],
}
CONSUMER_CONFIG = {
    "azureml-training:target": "local",
    "azureml-training:registries": [{"name": "team", "existing": True}],
    "azureml-training:models": [{"name": "tiny", "from": {"stack": f"organization/azureml-training/{SOURCE}"}}],
    "azureml-training:endpoints": [{"file": "jobs/endpoints/tiny.yml", "deployments": [{"file": "jobs/endpoints/tiny-blue.yml"}]}],
}


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    project = copy_project(tmp_path / "project")
    files = {**FILES, "jobs/registries/team.yml": REGISTRY}
    for relative, body in files.items():
        (project / relative).parent.mkdir(parents=True, exist_ok=True)
        (project / relative).write_text(body if isinstance(body, str) else yaml.safe_dump(body))
    for stack, config in ((SOURCE, SOURCE_CONFIG), (CONSUMER, CONSUMER_CONFIG)):
        (project / "stacks" / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))
    yield project
    stop_local_processes(project)


def test_a_shared_model_is_served_by_another_stack_and_a_retrained_one_updates_it(project: Path, tmp_path: Path) -> None:
    env = engine_env(tmp_path / "state")
    source, consumer = select_stack(project, SOURCE, env), select_stack(project, CONSUMER, env)

    shared = source.up().outputs["models"].value["tiny"]
    assert (shared["registry"], shared["registryVersion"]) == ("team", "1")
    assert (project / ".azureml-local" / "registries" / "team" / "mlflow.db").is_file()
    served = consumer.up().outputs
    assert served["jobs"].value == {}
    assert served["models"].value["tiny"]["registryVersion"] == shared["registryVersion"]
    endpoint = served["endpoints"].value["tiny-scorer"]
    assert endpoint["deployments"]["blue"]["model"] == "azureml://registries/team/models/tiny/versions/1"
    assert score(endpoint["scoringUri"], served["endpointKeys"].value["tiny-scorer"]) == (200, [0, 1, 0])

    script = project / "jobs" / "tiny" / "train.py"
    script.write_text(script.read_text().replace("[0, 0, 0, 1, 1, 1]", "[1, 1, 1, 0, 0, 0]"))
    assert source.up().outputs["models"].value["tiny"]["registryVersion"] == "2"
    shown: list[str] = []
    preview = consumer.preview(on_output=shown.append)
    # The StackReference is read on every preview; what changes is the taken model and the deployment serving it.
    assert {kind: count for kind, count in preview.change_summary.items() if kind != "same"} == {"read": 1, "update": 2}
    text = "".join(shown)
    assert "azureml:RegistryModel model-tiny update [diff: ~version]" in text
    assert "azureml:OnlineDeployment deployment-tiny-scorer-blue update [diff: ~model]" in text
