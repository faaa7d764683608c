"""A private workspace reached from outside its network: one line that says so, not an SDK trace."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError

from components.provider.azure.backend import AzureBackend
from components.provider.azure.errors import WorkspaceUnreachableError
from tests.azureml_double import AzureMLDouble
from tests.provider.azure.builders import Project, environment_props

# What Azure ML answered `az ml job create` from outside a private workspace's network
# (Azure/azure-cli-extensions#6294).
PRIVATE_LINK_REFUSAL = {
    "error": {
        "code": "UserError",
        "message": "User is not authorized to access provided resources due to none of the workspaces/registries are "
        "accessible from outside of the designated private link..",
    }
}


def test_a_private_link_refusal_names_the_workspace_and_where_to_run(
    backend: AzureBackend, aml_double: AzureMLDouble, project: Project
) -> None:
    aml_double.inject_fault("PUT", r"/environments/", status=403, body=PRIVATE_LINK_REFUSAL, times=10)

    with pytest.raises(WorkspaceUnreachableError) as refused:
        backend.put_environment(environment_props(aml_double, project))

    message = str(refused.value)
    assert message.startswith(f"workspace {backend.workspace_name} is not reachable from where this deploy runs")
    assert "inside its virtual network" in message and "\n" not in message
    assert refused.value.__cause__ is None and refused.value.__suppress_context__


def test_other_refusals_keep_the_services_own_error(backend: AzureBackend, aml_double: AzureMLDouble, project: Project) -> None:
    denied = {"error": {"code": "AuthorizationFailed", "message": "The client does not have authorization to perform action."}}
    aml_double.inject_fault("PUT", r"/environments/", status=403, body=denied, times=10)

    with pytest.raises(HttpResponseError, match="AuthorizationFailed"):
        backend.put_environment(environment_props(aml_double, project))
