"""The shape of the service's answers: which keys each resource carries (null when unset), per api-version.

The double stores what it was sent plus what the service adds; these functions fill in the keys the recorded
answers (../shared/azureml-recordings) always carry, so the SDK sees the same members, and drop the ones the
service does not answer (a job's systemData has no lastModified*). A job answered at 2025-01-01-preview (command
jobs, azure-ai-ml 1.35.2) has another model than one answered at 2024-01-01-preview (reads, sweeps, pipelines).
"""

from __future__ import annotations

import copy
from typing import Any

NEW_JOB_API = "2025-01-01-preview"

_SERVICE = {"port": None, "status": None, "errorMessage": None, "properties": None, "nodes": None}
_JOB_COMMON = {
    "description": None,
    "tags": {},
    "properties": {},
    "identity": None,
    "componentId": None,
    "notificationSetting": None,
    "isArchived": False,
}
_RESOURCES_2025 = {
    "instanceCount": 1,
    "instanceType": None,
    "shmSize": "2g",
    "dockerArgs": None,
    "dockerArgsList": None,
    "properties": None,
}
_RESOURCES = {
    "instanceCount": 1,
    "maxInstanceCount": None,
    "instanceType": None,
    "locations": None,
    "properties": None,
    "shmSize": "2g",
    "dockerArgs": None,
}
_COMMAND = {
    "codeId": None,
    "environmentVariables": {},
    "inputs": {},
    "outputs": {},
    "distribution": None,
    "limits": None,
    "parameters": {},
}
_SWEEP = {
    "earlyTermination": None,
    "inputs": {},
    "outputs": {},
    "queueSettings": {"jobTier": "Null", "priority": None},
    "resources": _RESOURCES,
    "componentConfiguration": None,
}
_SAMPLING = {"seed": None, "logbase": None, "rule": None}
_SWEEP_LIMITS = {"timeout": None, "trialTimeout": None}
_TRIAL = {"codeId": None, "environmentVariables": {}, "distribution": None, "resources": _RESOURCES}
_PIPELINE = {"settings": {}, "jobs": {}, "outputs": {}, "sourceJobId": None}
_INPUT = {"description": None, "mode": "ReadOnlyMount"}
_OUTPUT_2025 = {"description": None, "uri": None, "assetName": None, "mode": "ReadWriteMount"}
_OUTPUT = {**_OUTPUT_2025, "assetVersion": None, "pathOnCompute": None, "autoDeleteSetting": None}


def _fill(target: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    for key, value in defaults.items():
        if key not in target:
            target[key] = copy.deepcopy(value)
    return target


def job(resource: dict[str, Any], api_version: str | None) -> dict[str, Any]:
    """A job resource as the service answers it at ``api_version`` (a copy)."""
    out = copy.deepcopy(resource)
    props = out["properties"]
    new = api_version == NEW_JOB_API
    job_type = props.get("jobType", "Command")
    _fill(props, _JOB_COMMON)
    if new:
        _fill(props, {"parentJobName": None})
    else:
        _fill(props, {"secretsConfiguration": None})
    for service in (props.get("services") or {}).values():
        _fill(service, _SERVICE)
    if job_type == "Command":
        _fill(props, _COMMAND)
        _fill(props, {"resources": _RESOURCES_2025 if new else _RESOURCES})
        _fill(props, {"queueSettings": {"jobTier": "Null"} if new else {"jobTier": "Null", "priority": None}})
        if not new:
            _fill(props, {"autologgerSettings": None})
    elif job_type == "Sweep":
        _fill(props, _SWEEP)
        _fill(props.get("samplingAlgorithm") or {}, _SAMPLING)
        _fill(props.get("limits") or {}, _SWEEP_LIMITS)
        trial = props.get("trial") or {}
        _fill(trial, _TRIAL)
        _fill(trial["resources"], _RESOURCES)
    elif job_type == "Pipeline":
        _fill(props, _PIPELINE)
        # Recorded at 2024-01-01-preview: a pipeline without inputs answers null, not {}.
        if not props.get("inputs") and not new and api_version != "2023-08-01-preview":
            props["inputs"] = None
    if isinstance(props.get("resources"), dict):
        _fill(props["resources"], _RESOURCES_2025 if new else _RESOURCES)
    for binding in (props.get("inputs") or {}).values():
        if isinstance(binding, dict) and binding.get("jobInputType") != "literal":
            _fill(binding, _INPUT if new else {**_INPUT, "pathOnCompute": None})
    for binding in (props.get("outputs") or {}).values():
        if isinstance(binding, dict):
            _fill(binding, _OUTPUT_2025 if new else _OUTPUT)
    out["systemData"] = {k: v for k, v in out.get("systemData", {}).items() if not k.startswith("lastModified")}
    return out


_ASSET_PROPERTIES = {
    "codes": {"description": None},
    "environments": {"description": None, "condaFile": None},
    "data": {"description": None},
    "models": {"description": None, "autoDeleteSetting": None, "jobName": None, "stage": None, "intellectualProperty": None},
    "components": {"description": None},
}
# Recorded: data versions carry no lastModifiedBy*, and no provisioningState in their properties.
_ASSET_SYSTEM_DATA_DROPPED = {"data": ("lastModifiedBy", "lastModifiedByType")}
_ASSET_PROPERTIES_DROPPED = {"data": ("provisioningState",), "components": ("provisioningState",)}


def asset_version(kind: str, resource: dict[str, Any]) -> dict[str, Any]:
    """An asset version (code, environment, data, model, component) as the service answers it (a copy)."""
    out = copy.deepcopy(resource)
    props = out["properties"]
    _fill(props, _ASSET_PROPERTIES.get(kind, {}))
    for key in _ASSET_PROPERTIES_DROPPED.get(kind, ()):
        props.pop(key, None)
    for key in _ASSET_SYSTEM_DATA_DROPPED.get(kind, ()):
        out.get("systemData", {}).pop(key, None)
    if kind == "components":
        for binding in ((props.get("componentSpec") or {}).get("inputs") or {}).values():
            if isinstance(binding, dict):
                binding.setdefault("optional", "False")
    return out


def datastore(resource: dict[str, Any], subscription_id: str | None = None, resource_group: str | None = None) -> dict[str, Any]:
    """A datastore as answered: ``subscriptionId``/``resourceGroup`` are set only on the workspace's own stores."""
    out = copy.deepcopy(resource)
    _fill(
        out["properties"],
        {
            "description": None,
            "tags": {},
            "properties": None,
            "subscriptionId": subscription_id,
            "resourceGroup": resource_group,
            "serviceDataAccessAuthIdentity": "None",
        },
    )
    return out
