"""Opening the Azure backend: cheap, lazy, and clear about what it needs."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from components.provider.azure.backend import AzureBackend
from components.provider.backend import open_backend

WORKSPACE = {"target": "azure", "subscription_id": "sub", "resource_group": "rg", "workspace_name": "ws"}


def test_opening_the_backend_imports_no_azure_sdk_and_builds_no_client() -> None:
    script = textwrap.dedent(
        f"""
        import sys
        from components.provider.backend import open_backend
        backend = open_backend({WORKSPACE!r})
        print(type(backend).__name__, sorted(m for m in sys.modules if m.startswith("azure")), "ml" in vars(backend))
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
