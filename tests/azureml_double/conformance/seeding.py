"""Put a plan's seeds into a fresh double, through its HTTP API (and a test control for computes).

A seed the double already has (its default datastores) is left alone, but for a default store's credentials: the
recorded workspace's may be identity-based (no secrets), set through a test control as computes are. Minimal
resources stand in for the ones a request only references: their content cannot be known, only that they exist.
"""

from __future__ import annotations

from typing import Any

from tests.azureml_double.conformance.client import DoubleClient
from tests.azureml_double.conformance.operations import OPERATIONS
from tests.azureml_double.conformance.plan import TERMINAL
from tests.azureml_double.conformance.rewrite import Rewriter
from tests.azureml_double.conformance.seeds import Seed
from tests.azureml_double.server import AzureMLDouble

# What azure-ai-ml 1.35.2 sends for kinds the provider itself does not PUT (components: ComponentOperations).
_EXTRA_PUT_VERSIONS = {"components": "2024-01-01-preview"}
_FAKE_KEY = "c2VlZGVkIGJ5IHRoZSBjb25mb3JtYW5jZSBjaGVja2Vy"  # "seeded by the conformance checker"
_JOB_SEED_API = "2024-01-01-preview"  # the SDK's PUT api-version whose job model has every member an answer shows
_MAX_SEED_TICKS = 50


def put_api_version(kind: str) -> str:
    for operation in OPERATIONS:
        if operation.method == "PUT" and operation.template.startswith(f"…/{kind}/"):
            return operation.api_versions[-1]
    return _EXTRA_PUT_VERSIONS.get(kind, "2024-10-01-preview")


def apply_seeds(double: AzureMLDouble, client: DoubleClient, seeds: list[Seed], rewriter: Rewriter) -> list[str]:
    """Seed each resource; the notes say which seeds the double refused or could not take."""
    notes = []
    for seed in seeds:
        if seed.kind == "computes":
            _seed_compute(double, seed)
            continue
        if seed.kind == "registries":
            _seed_registry(double, seed)
            continue
        if seed.kind == "jobs":
            notes += _seed_job(double, client, seed, rewriter)
            continue
        path = double.workspace_arm_id + f"/{seed.kind}/{seed.name}" + (f"/versions/{seed.version}" if seed.version else "")
        query = f"?api-version={put_api_version(seed.kind)}"
        if client.send("GET", path + query, None).status == 200:
            if seed.kind == "datastores" and seed.properties is not None:
                _seed_credentials_type(double, seed)
            continue
        properties = rewriter.value(_properties(double, seed))
        answer = client.send("PUT", path + query, {"properties": properties})
        if not 200 <= answer.status < 300:
            notes.append(f"seed {seed.kind}/{seed.name} ({seed.reason}) refused: {answer.status} {str(answer.body)[:300]}")
        elif isinstance(answer.body, dict) and answer.body.get("id"):
            # A version the double names itself (anonymous components): the recording's name for it is an alias.
            rewriter.alias(path, str(answer.body["id"]))
    return notes


def _seed_job(double: AzureMLDouble, client: DoubleClient, seed: Seed, rewriter: Rewriter) -> list[str]:
    """Submit the job as the recording shows it, then run the double's clock until it is in the recorded status."""
    properties = {k: v for k, v in (seed.properties or {}).items() if k not in ("status", "services")}
    status = (seed.properties or {}).get("status")
    if status in TERMINAL and status != "Completed":
        double.script_job(seed.name, outcome=status)
    path = f"{double.workspace_arm_id}/jobs/{seed.name}?api-version={_JOB_SEED_API}"
    answer = client.send("PUT", path, {"properties": rewriter.value(properties)})
    if not 200 <= answer.status < 300:
        return [f"seed jobs/{seed.name} ({seed.reason}) refused: {answer.status} {str(answer.body)[:300]}"]
    for _ in range(_MAX_SEED_TICKS):
        if double.job_status(seed.name) == status:
            return []
        double.tick(1, seed.name)
    return [f"seed jobs/{seed.name} ({seed.reason}) never reached {status}: the double's job is {double.job_status(seed.name)}"]


def _seed_compute(double: AzureMLDouble, seed: Seed) -> None:
    """Computes are not made through the double's API: a test control registers one, if the double has it."""
    add_compute = getattr(double, "add_compute", None)
    if add_compute is not None:
        add_compute(seed.name)


def _seed_registry(double: AzureMLDouble, seed: Seed) -> None:
    """Registries are made outside the workspace (ARM, azure-native): through the double's control, in the recorded region."""
    add_registry = getattr(double, "add_registry", None)
    if add_registry is not None:
        add_registry(seed.name, str((seed.properties or {}).get("location") or "westeurope"))


def _seed_credentials_type(double: AzureMLDouble, seed: Seed) -> None:
    """A store the double made itself takes the recorded store's kind of credentials, if the double has the control."""
    credentials_type = ((seed.properties or {}).get("credentials") or {}).get("credentialsType")
    set_credentials_type = getattr(double, "set_datastore_credentials_type", None)
    if credentials_type and set_credentials_type is not None:
        set_credentials_type(seed.name, credentials_type)


def _properties(double: AzureMLDouble, seed: Seed) -> dict[str, Any]:
    if seed.properties is not None:
        properties = {k: v for k, v in seed.properties.items() if k != "provisioningState"}
        if seed.kind == "datastores":
            properties["credentials"] = _with_secrets(properties.get("credentials") or {})
        return properties
    return _minimal(double, seed)


def _with_secrets(credentials: dict[str, Any]) -> dict[str, Any]:
    kind = credentials.get("credentialsType")
    if kind == "AccountKey":
        return {**credentials, "secrets": {"secretsType": "AccountKey", "key": _FAKE_KEY}}
    if kind == "Sas":
        return {**credentials, "secrets": {"secretsType": "Sas", "sasToken": "sv=seeded"}}
    return credentials


def _minimal(double: AzureMLDouble, seed: Seed) -> dict[str, Any]:
    storage = f"https://{double.storage_account}.blob.core.windows.net/{double.blob_container}"
    blob_path = f"azureml://datastores/workspaceblobstore/paths/seeded/{seed.name}/"
    image = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest"
    minimal = {
        "environments": {"image": image},
        "codes": {"codeUri": f"{storage}/seeded/{seed.name}"},
        "data": {"dataType": "uri_folder", "dataUri": blob_path},
        "models": {"modelType": "custom_model", "modelUri": blob_path},
        "components": {
            "componentSpec": {
                "name": seed.name,
                "version": seed.version,
                "type": "command",
                "command": "echo seeded",
                "environment": f"azureml:{image}",
            }
        },
        "datastores": {
            "datastoreType": "AzureBlob",
            "accountName": double.storage_account,
            "containerName": double.blob_container,
            "credentials": {"credentialsType": "AccountKey", "secrets": {"secretsType": "AccountKey", "key": _FAKE_KEY}},
        },
    }
    return minimal[seed.kind]
