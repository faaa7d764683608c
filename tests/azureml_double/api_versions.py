"""Which api-versions the double serves, per kind of resource: those the recorded sessions use and those the
pinned azure-ai-ml (1.35.2) sends. A request with any other api-version is refused as ARM refuses it, so a
test cannot pass on a version the SDK never sends (or that the service no longer serves)."""

from __future__ import annotations

from tests.azureml_double.errors import HttpError

# Recorded (../shared/azureml-recordings) plus what is sent by azure-ai-ml 1.35.2 (see its _ml_client.py service clients).
_SERVED: dict[str, frozenset[str]] = {
    "workspace": frozenset({"2023-08-01-preview", "2024-04-01-preview", "2024-10-01-preview"}),
    "jobs": frozenset({"2023-04-01-preview", "2023-08-01-preview", "2024-01-01-preview", "2024-10-01-preview", "2025-01-01-preview"}),
    "components": frozenset({"2022-10-01", "2024-01-01-preview"}),
    "computes": frozenset({"2022-10-01-preview", "2023-08-01-preview", "2024-04-01-preview"}),
    "datastores": frozenset({"2023-04-01-preview", "2024-07-01-preview", "2024-10-01-preview"}),
    "codes": frozenset({"2023-04-01"}),
    "data": frozenset({"2023-04-01-preview"}),
    "environments": frozenset({"2023-04-01-preview"}),
    "models": frozenset({"2023-08-01-preview"}),
    "listKeys": frozenset({"2024-10-01-preview"}),
    "operationResults": frozenset({"2023-04-01-preview", "2024-01-01-preview", "2025-01-01-preview"}),
    "mfeOperationResults": frozenset(
        {"2022-02-01-preview", "2023-04-01-preview", "2023-06-01-preview", "2024-01-01-preview", "2025-01-01-preview"}
    ),
    "mfeOperationsStatus": frozenset({"2022-02-01-preview", "2023-04-01-preview", "2023-06-01-preview"}),
    # Endpoints at 2022-02-01-preview, their deployments at 2023-04-01-preview (azure-ai-ml's service clients).
    "onlineEndpoints": frozenset({"2022-02-01-preview", "2023-04-01-preview"}),
    # Schedules (and their operations) at 2023-06-01-preview, recorded and sent by azure-ai-ml 1.35.2; its trigger at 2024-01-01-preview.
    "schedules": frozenset({"2023-06-01-preview", "2024-01-01-preview"}),
    "history": frozenset({"v1.0"}),
}


def served(kind: str) -> frozenset[str]:
    return _SERVED.get(kind, frozenset())


def check(kind: str, api_version: str | None, resource_type: str) -> None:
    """Refuse an api-version the double does not serve for ``kind`` (ARM's 400 InvalidResourceType/NoRegisteredProviderFound)."""
    versions = served(kind)
    if not versions or api_version in versions:
        return
    if api_version is None:
        raise HttpError(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
    supported = "', '".join(sorted(versions))
    raise HttpError(
        400,
        "NoRegisteredProviderFound",
        f"No registered resource provider found for location 'global' and API version '{api_version}' for type "
        f"'{resource_type}'. The supported api-versions are '{supported}'.",
    )
