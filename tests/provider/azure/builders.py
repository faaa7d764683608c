"""Resource properties as the dynamic providers hand them to the Azure backend (see components/assets.py), and a ticking clock."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.provider.azure.polling import Polling
from tests.azureml_double import AzureMLDouble


@dataclass(frozen=True)
class Project:
    """A stack's files: training code, a conda file and a data file, in folders like the repo's."""

    root: Path

    @property
    def jobs_dir(self) -> str:
        return str(self.root / "jobs")

    @property
    def data_dir(self) -> str:
        return str(self.root / "data")

    @classmethod
    def create(cls, root: Path) -> Project:
        (root / "jobs" / "src").mkdir(parents=True)
        # Unique content: the session's double and Azurite never hold this snapshot yet.
        (root / "jobs" / "src" / "train.py").write_text(f"# {uuid.uuid4()}\nprint('training')\n")
        (root / "jobs" / "conda.yml").write_text("name: train\ndependencies:\n  - python=3.11\n  - pip:\n    - scikit-learn==1.5.2\n")
        (root / "data").mkdir()
        (root / "data" / "iris.csv").write_text("sepal_length,species\n5.1,setosa\n")
        return cls(root)


def ticking(double: AzureMLDouble) -> Polling:
    """Polling whose every pause advances the double's job clock one tick: waits are deterministic and instant."""
    return Polling(first_delay=0.01, max_delay=0.01, operation_interval=0.01, sleep=lambda _seconds: double.tick())


def workspace(double: AzureMLDouble) -> dict[str, str]:
    return {
        "target": "azure",
        "subscription_id": double.subscription_id,
        "resource_group": double.resource_group,
        "workspace_name": double.workspace,
    }


def environment_props(double: AzureMLDouble, project: Project, version: str = "1") -> dict[str, Any]:
    definition = {"name": "sklearn", "image": "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04", "conda_file": "conda.yml"}
    props = {"workspace": workspace(double), "name": "sklearn", "version": version, "definition": definition}
    return props | {"content_hash": "h", "base_dir": project.jobs_dir}


def data_props(double: AzureMLDouble, project: Project) -> dict[str, Any]:
    definition = {"name": "iris", "type": "uri_file", "path": "iris.csv", "description": "the iris table"}
    props = {"workspace": workspace(double), "name": "iris", "version": "1", "definition": definition}
    return props | {"content_hash": "h", "base_dir": project.data_dir}


def datastore_props(double: AzureMLDouble, account_key: str) -> dict[str, Any]:
    definition = {"name": "training", "type": "azure_blob", "account_name": double.storage_account, "container_name": "training"}
    return {"workspace": workspace(double), "name": "training", "definition": definition, "credentials": {"account_key": account_key}}


def command_job(double: AzureMLDouble, project: Project, name: str = "azureml-training-dev-train-0a1b2c", **changes: Any) -> dict[str, Any]:
    definition = {
        "type": "command",
        "command": "python train.py --model ${{outputs.model}}",
        "code": "src",
        "environment": "azureml:sklearn:1",
        "compute": "azureml:cpu-cluster",
        "outputs": {"model": {"type": "mlflow_model"}},
        "display_name": "train",
        "tags": {"team": "ml"},
    }
    return _job(double, project, name, definition, changes)


def sweep_job(double: AzureMLDouble, project: Project, name: str = "azureml-training-dev-sweep-3d4e5f", **changes: Any) -> dict[str, Any]:
    definition = {
        "type": "sweep",
        "trial": {"command": "python train.py --c ${{search_space.c}} --model ${{outputs.model}}", "code": "src"}
        | {"environment": "azureml:sklearn:1"},
        "compute": "azureml:cpu-cluster",
        "sampling_algorithm": "random",
        "search_space": {"c": {"type": "choice", "values": [0.1, 1.0, 10.0]}},
        "objective": {"goal": "maximize", "primary_metric": "accuracy"},
        "limits": {"max_total_trials": 3, "max_concurrent_trials": 3},
        "outputs": {"model": {"type": "mlflow_model"}},
    }
    return _job(double, project, name, definition, changes)


def model_props(double: AzureMLDouble, job_name: str, **changes: Any) -> dict[str, Any]:
    props = {"workspace": workspace(double), "name": "iris-classifier", "job_name": job_name, "output": "model"}
    return props | {"type": "mlflow_model", "description": "a classifier", "definition": {}} | changes


def _job(double: AzureMLDouble, project: Project, name: str, definition: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    props = {"workspace": workspace(double), "key": "train", "name": name, "name_prefix": "azureml-training-dev"}
    props |= {"definition": definition, "base_dir": project.jobs_dir, "code_hash": "c", "input_hashes": {}, "experiment": "tests"}
    props |= {"wait": True, "timeout_minutes": 5, "on_delete": "archive"}
    for key, value in changes.items():
        if key.startswith("definition_"):
            props["definition"] = {**props["definition"], key.removeprefix("definition_"): value}
        else:
            props[key] = value
    return props
