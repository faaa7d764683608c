"""What a local deployment's server runs in: the deployment's environment or the model's, with the inference server."""

from __future__ import annotations

from pathlib import Path

import yaml

from components.provider.local.environments import environment_spec
from components.provider.local.layout import Layout
from components.provider.local.serving import INFERENCE_SERVER, model_environment, server_variables, with_inference_server
from components.provider.local.venvs import VenvSpec, stack_interpreter

CONDA = {"dependencies": ["python=3.11", "pip<=23.2.1", {"pip": ["mlflow==3.17.2", "scikit-learn==1.9.1"]}]}


def test_an_mlflow_models_conda_file_is_its_environment(tmp_path: Path) -> None:
    (tmp_path / "conda.yaml").write_text(yaml.safe_dump(CONDA))
    (tmp_path / "requirements.txt").write_text("mlflow==1.0\n")
    spec = model_environment(tmp_path, "deployment e/blue")
    assert spec is not None and (spec.requirements, spec.pip) == (("mlflow==3.17.2", "scikit-learn==1.9.1"), True)


def test_without_a_conda_file_its_requirements_are(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("# logged by MLflow\nmlflow==3.17.2\n\nnumpy==2.4.6\n")
    spec = model_environment(tmp_path, "deployment e/blue")
    assert spec is not None and spec.requirements == ("mlflow==3.17.2", "numpy==2.4.6")
    assert model_environment(tmp_path / "elsewhere", "deployment e/blue") is None


def test_the_inference_server_is_added_unless_the_environment_names_its_own() -> None:
    spec = VenvSpec(stack_interpreter(), ("mlflow==3.17.2",), pip=False)
    assert with_inference_server(spec).requirements == ("mlflow==3.17.2", INFERENCE_SERVER)
    own = VenvSpec(stack_interpreter(), ("Azureml_Inference_Server_HTTP==1.4.1",), pip=False)
    assert with_inference_server(own) == own


def test_a_curated_or_registry_environment_is_not_built_here(tmp_path: Path) -> None:
    layout = Layout(str(tmp_path))
    for environment in ("azureml:AzureML-sklearn-1.5-ubuntu22.04-py39-cpu:1", "azureml://registries/azureml/environments/e/versions/1"):
        assert environment_spec(layout, environment, tmp_path, "deployment e/blue") is None


def test_a_request_timeout_is_the_servers_scoring_timeout_unless_the_variables_set_one() -> None:
    timed = {"request_settings": {"request_timeout_ms": 3000.0}, "environment_variables": {"WORKER_COUNT": 2}}
    assert server_variables(timed) == {"WORKER_COUNT": "2", "SCORING_TIMEOUT_MS": "3000"}
    assert server_variables({**timed, "environment_variables": {"SCORING_TIMEOUT_MS": "9000"}}) == {"SCORING_TIMEOUT_MS": "9000"}
    assert server_variables({"request_settings": {"max_concurrent_requests_per_instance": 2}}) == {}
