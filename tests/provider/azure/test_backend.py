"""Opening the Azure backend: cheap, lazy, and clear about what it needs."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import pytest

from components.provider.azure import client
from components.provider.azure.backend import AzureBackend
from components.provider.providers import open_backend
from tests.azureml_double import AzureMLDouble
from tests.provider.azure.builders import Project, command_job, ticking, workspace

WORKSPACE = {"target": "azure", "subscription_id": "sub", "resource_group": "rg", "workspace_name": "ws"}


def test_opening_the_backend_imports_no_azure_sdk_and_builds_no_client() -> None:
    script = textwrap.dedent(
        f"""
        import sys
        from components.provider.providers import open_backend
        backend = open_backend({WORKSPACE!r})
        print(type(backend).__name__, sorted(m for m in sys.modules if m.startswith("azure")), backend._client is not None)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "AzureBackend [] False"


def test_workspace_without_its_coordinates_is_refused() -> None:
    with pytest.raises(ValueError, match="missing: resource_group, workspace_name"):
        open_backend({"target": "azure", "subscription_id": "sub"})


def test_azure_target_has_no_local_workspace_resource() -> None:
    with pytest.raises(NotImplementedError, match="Workspace component"):
        AzureBackend(WORKSPACE).prepare_workspace({"workspace": WORKSPACE, "name": "ws"})


@pytest.mark.usefixtures("registered_environment")
def test_jobs_submitted_at_once_by_one_process_sign_in_once(
    aml_double: AzureMLDouble, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One provider process serves every job of a stack: one sign-in and one MLClient for all of them."""
    monkeypatch.setattr(client, "_PROCESS", {})  # as in a new provider process
    backends = [AzureBackend(workspace(aml_double), polling=ticking(aml_double)) for _ in range(2)]  # two workspaces' worth
    jobs = [command_job(aml_double, project, name=f"azureml-training-dev-train{index}-0a1b2c", wait=False) for index in range(8)]
    with ThreadPoolExecutor(len(jobs)) as calls:
        submitted = list(calls.map(lambda index: backends[index % 2].submit_job(jobs[index]), range(len(jobs))))

    assert {outs["status"] for outs in submitted} == {"Starting"}
    assert len(aml_double.find("POST", r"/oauth2/(v2\.0/)?token$")) == 1, "one sign-in for every job of the process"
    assert len({id(backend.ml) for backend in backends}) == 2 and backends[0].ml is backends[0].ml
