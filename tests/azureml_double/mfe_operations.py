"""Where the workspace's management front end has a long-running operation polled, and the headers naming it.

As recorded for online endpoints, deployments and schedules (`online_services/`, `schedule/`): a PUT answers
`Azure-AsyncOperation` at `…/locations/{region}/mfeOperationsStatus/{id}`; a DELETE names that too and, as
`Location`, `…/mfeOperationResults/{id}`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.azureml_double.server import AzureMLDouble

PROVIDER = "Microsoft.MachineLearningServices"
STATUS = "mfeOperationsStatus"
RESULTS = "mfeOperationResults"
_LRO_TIMEOUT = {"x-ms-async-operation-timeout": "PT30M"}


def operation_path(double: AzureMLDouble, kind: str, operation_id: str) -> str:
    region = f"/subscriptions/{double.subscription_id}/providers/{PROVIDER}/locations/{double.location}"
    return f"{region}/{kind}/{operation_id}"


def operation_url(double: AzureMLDouble, kind: str, operation_id: str, api: str | None) -> str:
    from tests.azureml_double.server import ARM_HOST  # the server imports this module

    return f"{ARM_HOST}{operation_path(double, kind, operation_id)}?api-version={api}"


def put_headers(double: AzureMLDouble, operation_id: str, api: str | None) -> dict[str, str]:
    return {"Azure-AsyncOperation": operation_url(double, STATUS, operation_id, api), **_LRO_TIMEOUT}


def delete_headers(double: AzureMLDouble, operation_id: str, api: str | None) -> dict[str, str]:
    return {**put_headers(double, operation_id, api), "Location": operation_url(double, RESULTS, operation_id, api)}
