"""The workspace's MLflow tracking store and model registry: one sqlite database.

MLflow 3 serves both from sqlite without a server. The database is created with the
workspace's artifact folder as its default artifact root, and every experiment gets an
artifact location inside the workspace, so nothing ever lands in a process's cwd.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from pathlib import Path

from mlflow import MlflowClient
from mlflow.entities import LifecycleStage, ViewType
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST, ErrorCode
from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore as RegistryStore
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

from components.provider.local.layout import Layout
from components.provider.local.tracking_client import PARENT_RUN_TAG


def create_store(layout: Layout) -> None:
    """Create the database (idempotent: an existing one is only checked)."""
    # MLflow narrates its schema migrations at INFO; the engine would show each line to the user.
    logging.getLogger("mlflow.store.db.utils").setLevel(logging.WARNING)
    layout.artifacts.mkdir(parents=True, exist_ok=True)
    SqlAlchemyStore(layout.tracking_uri, str(layout.artifacts)).engine.dispose()


def release_store(layout: Layout) -> None:
    """Close this process's pooled connections to the database before its file is removed.

    MLflow keeps one engine per database URI for the whole process; without this, a workspace
    re-created at the same place would be served by connections to the deleted file.
    """
    if layout.db.is_file():
        SqlAlchemyStore(layout.tracking_uri, str(layout.artifacts)).engine.dispose()
        RegistryStore(layout.tracking_uri).engine.dispose()


def _is_missing(err: MlflowException) -> bool:
    return err.error_code == ErrorCode.Name(RESOURCE_DOES_NOT_EXIST)


class Tracking:
    """Runs of one workspace's store; one instance is shared by the backend's threads."""

    def __init__(self, layout: Layout) -> None:
        create_store(layout)
        self._artifacts = layout.artifacts
        self.client = MlflowClient(tracking_uri=layout.tracking_uri, registry_uri=layout.tracking_uri)
        self._experiments = threading.Lock()

    def experiment_id(self, name: str) -> str:
        """The experiment's id, creating (or restoring) it; its artifacts stay in the workspace."""
        with self._experiments:
            found = self.client.get_experiment_by_name(name)
            if found is None:
                folder = self._artifacts / re.sub(r"[^\w.-]+", "-", name)
                return self.client.create_experiment(name, artifact_location=str(folder))
            if found.lifecycle_stage == LifecycleStage.DELETED:
                self.client.restore_experiment(found.experiment_id)
            return found.experiment_id

    def start_run(self, experiment_id: str, name: str, tags: Mapping[str, str]) -> str:
        return self.client.create_run(experiment_id, run_name=name, tags=dict(tags)).info.run_id

    def finish_run(self, run_id: str, status: str) -> None:
        self.client.set_terminated(run_id, status)

    def metric(self, run_id: str, key: str) -> float | None:
        """The metric's last logged value, as MLflow reports it."""
        return self.client.get_run(run_id).data.metrics.get(key)

    def log_metric(self, run_id: str, key: str, value: float) -> None:
        self.client.log_metric(run_id, key, value)

    def child_runs(self, experiment_id: str, parent_run_id: str) -> list[str]:
        """Ids of the runs tagged as children of `parent_run_id` (a sweep's trials)."""
        runs = self.client.search_runs([experiment_id], f"tags.`{PARENT_RUN_TAG}` = '{parent_run_id}'", run_view_type=ViewType.ALL)
        return [run.info.run_id for run in runs]

    def attach(self, run_id: str, path: Path, folder: str) -> None:
        self.client.log_artifact(run_id, str(path), folder)

    def attach_folder(self, run_id: str, folder: Path, artifact_path: str) -> None:
        self.client.log_artifacts(run_id, str(folder), artifact_path)

    def set_tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        for key, value in tags.items():
            self.client.set_tag(run_id, key, value)

    def archive_run(self, run_id: str) -> None:
        """Soft-delete the run (MLflow's archive: `mlflow gc` purges it, `restore_run` brings it back)."""
        if self._stage(run_id) == LifecycleStage.ACTIVE:
            self.client.delete_run(run_id)

    def restore_run(self, run_id: str) -> None:
        if self._stage(run_id) == LifecycleStage.DELETED:
            self.client.restore_run(run_id)

    def _stage(self, run_id: str) -> str | None:
        try:
            return self.client.get_run(run_id).info.lifecycle_stage
        except MlflowException as err:
            if _is_missing(err):
                return None
            raise
