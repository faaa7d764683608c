"""A job's working directory as Azure ML gives it: the code snapshot, with `./outputs` and `./logs`.

Azure ML runs a command in its code snapshot, where `./outputs` and `./logs` get special
treatment: whatever the script writes there is kept with the job and shown in its run
(https://learn.microsoft.com/azure/machine-learning/how-to-save-write-experiment-files).
Locally both folders exist before the command starts, stay in the job's folder afterwards,
and their files are logged to the job's MLflow run under `outputs/` and `logs/`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from components.provider.local.tracking_client import RemoteTracking

KEPT_FOLDERS = ("outputs", "logs")


def prepare(workdir: Path) -> None:
    for name in KEPT_FOLDERS:
        (workdir / name).mkdir(parents=True, exist_ok=True)


def keep(workdir: Path, tracking: RemoteTracking, run_id: str) -> None:
    """Log what the command left in `./outputs` and `./logs` to its run (a failed run's too)."""
    for name in KEPT_FOLDERS:
        folder = workdir / name
        if folder.is_dir() and any(path.is_file() for path in folder.rglob("*")):
            tracking.attach_folder(run_id, folder, name)


def azureml_variables(run_name: str, experiment_name: str, experiment_id: str, workspace: str) -> Mapping[str, str]:
    """The AZUREML_* variables scripts commonly read to find their run (set by Azure ML on its nodes).

    The ARM subscription and resource group have no meaning here and are left unset, so a script
    that needs Azure itself fails plainly instead of reaching for a workspace that does not exist.
    """
    return {
        "AZUREML_RUN_ID": run_name,
        "AZUREML_ARM_PROJECT_NAME": experiment_name,
        "AZUREML_EXPERIMENT_ID": experiment_id,
        "AZUREML_ARM_WORKSPACE_NAME": workspace,
    }
