"""Where the workspace's management front end has a long-running operation polled, and the headers naming it.

As recorded for online endpoints, deployments and schedules (`online_services/`, `schedule/`): a PUT answers
`Azure-AsyncOperation` at `…/locations/{region}/mfeOperationsStatus/{id}`; a DELETE names that too and, as
`Location`, `…/mfeOperationResults/{id}`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from tests.azureml_double.errors import not_found

if TYPE_CHECKING:
    from tests.azureml_double.server import AzureMLDouble

PROVIDER = "Microsoft.MachineLearningServices"
STATUS = "mfeOperationsStatus"
RESULTS = "mfeOperationResults"
_LRO_TIMEOUT = {"x-ms-async-operation-timeout": "PT30M"}
OperationT = TypeVar("OperationT", bound="Ticking")


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


class Ticking(Protocol):
    def tick(self) -> None: ...


class OperationBook(Generic[OperationT]):
    """The operations one kind of resource started, by id: each moves a step per tick of the double's clock."""

    def __init__(self, double: AzureMLDouble) -> None:
        self._double = double
        self._by_id: dict[str, OperationT] = {}

    def add(self, operation_id: str, operation: OperationT) -> str:
        self._by_id[operation_id] = operation
        return operation_id

    def get(self, operation_id: str) -> OperationT:
        operation = self._by_id.get(operation_id)
        if operation is None:
            raise not_found(f"Operation {operation_id} could not be found.")
        return operation

    def tick(self) -> None:
        for operation in list(self._by_id.values()):
            operation.tick()

    def advance_on_read(self, operation_id: str) -> None:
        """With the double's `auto_tick` (as for jobs), each read of a resource moves its operation one step first."""
        if self._double.auto_tick and operation_id in self._by_id:
            self._by_id[operation_id].tick()
