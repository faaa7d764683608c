"""Where a stack's local workspace keeps each thing.

Paths inside the workspace are reported the way the stack gave its root (relative to the
repository root, usually), so stack outputs and state do not depend on where the repo lives;
processes receive absolute paths.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

OWNER_RECORD = "workspace.json"
"""The token of the workspace's creation: a folder without one is not a workspace, and is never taken over."""
# Beside the stacks' folders under the local root: `<root>/registries/<name>/`, each a model registry of its own.
REGISTRIES = "registries"
# An endpoint's folder (endpoints/<name>/): its router's record (port, key digests), its traffic, its deployments' folders.
ENDPOINT_RECORD = "endpoint.json"
TRAFFIC_RECORD = "traffic.json"
DEPLOYMENTS = "deployments"
DEPLOYMENT_RECORD = "deployment.json"
# Everything the workspace writes at its top level; destroy removes these and nothing else.
# (sqlite's journal files appear beside the database while it is written.)
WRITTEN = (
    OWNER_RECORD,
    "mlflow.db",
    "mlflow.db-journal",
    "mlflow.db-wal",
    "mlflow.db-shm",
    "mlartifacts",
    "environments",
    "datastores",
    "data",
    "components",
    "compute",
    "jobs",
    "models",
    "endpoints",
    "schedules",
)


@dataclass(frozen=True)
class Layout:
    root: str
    base: Path = field(default_factory=Path.cwd)

    @property
    def path(self) -> Path:
        return self.base / self.root

    @property
    def db(self) -> Path:
        return self.path / "mlflow.db"

    @property
    def artifacts(self) -> Path:
        return self.path / "mlartifacts"

    @property
    def tracking_uri(self) -> str:
        return f"sqlite:///{self.db}"

    @property
    def compute(self) -> Path:
        """The compute pools' slot locks (see compute.py)."""
        return self.path / "compute"

    def environments(self, name: str) -> Path:
        return self.path / "environments" / name

    def environment_record(self, name: str, version: str) -> Path:
        return self.environments(name) / f"{version}.json"

    def datastore_dir(self, name: str) -> Path:
        return self.path / "datastores" / name

    def datastore_record(self, name: str) -> Path:
        return self.path / "datastores" / f"{name}.json"

    def data_versions(self, name: str) -> Path:
        return self.path / "data" / name

    def data_dir(self, name: str, version: str) -> Path:
        return self.data_versions(name) / version

    def data_record(self, name: str, version: str) -> Path:
        return self.data_versions(name) / f"{version}.json"

    def components(self, name: str) -> Path:
        return self.path / "components" / name

    def component_record(self, name: str, version: str) -> Path:
        return self.components(name) / f"{version}.json"

    def job_dir(self, name: str) -> Path:
        return self.jobs / name

    def job_record(self, name: str) -> Path:
        return self.job_dir(name) / "job.json"

    @property
    def jobs(self) -> Path:
        return self.path / "jobs"

    def job_lock(self, name: str) -> Path:
        """Held by the provider process that drives the job (beside its folder, which a refused job never keeps)."""
        return self.jobs / f"{name}.lock"

    def model_dir(self, name: str, source: str) -> Path:
        return self.path / "models" / name / source

    @property
    def endpoints(self) -> Path:
        return self.path / "endpoints"

    def endpoint_dir(self, name: str) -> Path:
        """The endpoint's records; the router's run folder (supervisor.py's files and its log)."""
        return self.endpoints / name

    def deployment_dir(self, endpoint: str, name: str) -> Path:
        """The deployment's record; its scoring server's run folder."""
        return self.endpoint_dir(endpoint) / DEPLOYMENTS / name

    def schedule_record(self, name: str) -> Path:
        """A schedule's record: its trigger and the job it runs (the local target never fires it)."""
        return self.path / "schedules" / f"{name}.json"

    def registry(self, name: str) -> Layout:
        """The local registry `name`, beside this workspace's folder (`<local.root>/registries/<name>/`)."""
        return Layout(str(Path(self.root).parent / REGISTRIES / name), self.base)

    def shown(self, path: Path) -> str:
        """A path inside the workspace as outputs report it."""
        if Path(self.root).is_absolute():
            return str(path)
        return str(Path(self.root) / path.relative_to(self.path))

    def resolve(self, shown: str) -> Path:
        return self.base / shown
