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
    "resources": _RESOURCES,
    "componentConfiguration": None,
}
_SAMPLING = {"seed": None, "logbase": None, "rule": None}
_SWEEP_LIMITS = {"timeout": None, "trialTimeout": None}
_TRIAL = {"codeId": None, "environmentVariables": {}, "distribution": None, "resources": _RESOURCES}
_PIPELINE = {"settings": {}, "jobs": {}, "outputs": {}, "sourceJobId": None}
# What the service keeps of a job's input or output: the members of its model at the api-version answered, each
# present (null when unset), nothing else (a literal input is a description and a value).
_LITERAL_INPUT = {"jobInputType": "literal", "description": None, "value": None}
_INPUT_2025 = {"jobInputType": None, "description": None, "uri": None, "mode": "ReadOnlyMount"}
_INPUT = {**_INPUT_2025, "pathOnCompute": None}
_OUTPUT_2025 = {"jobOutputType": None, "description": None, "uri": None, "assetName": None, "mode": "ReadWriteMount"}
_OUTPUT = {**_OUTPUT_2025, "assetVersion": None, "pathOnCompute": None, "autoDeleteSetting": None}
_QUEUE_2025 = {"jobTier": "Null"}
_QUEUE = {**_QUEUE_2025, "priority": None}


def _fill(target: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    for key, value in defaults.items():
        if key not in target:
            target[key] = copy.deepcopy(value)
    return target


def _model(binding: dict[str, Any], members: dict[str, Any]) -> dict[str, Any]:
    """``binding`` as an instance of the model whose members (and defaults) are ``members``."""
    return {key: binding[key] if key in binding else copy.deepcopy(default) for key, default in members.items()}


def _port_model(binding: dict[str, Any], port: str, new: bool) -> dict[str, Any]:
    if port == "outputs":
        return _OUTPUT_2025 if new else _OUTPUT
    if binding.get("jobInputType") == "literal":
        return _LITERAL_INPUT
    return _INPUT_2025 if new else _INPUT


def bind_ports(props: dict[str, Any], api_version: str | None) -> None:
    """A job's inputs and outputs as the service binds them at ``api_version``: the members of their models (null
    when unset) and nothing else; what a PUT sends beyond them is not kept."""
    new = api_version == NEW_JOB_API
    for port in ("inputs", "outputs"):
        for name, binding in (props.get(port) or {}).items():
            if isinstance(binding, dict):
                props[port][name] = _model(binding, _port_model(binding, port, new))


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
    if job_type in ("Command", "Sweep"):
        # Recorded (test_command_job_serverless): a queueSettings sent with only its jobTier answers priority too.
        props["queueSettings"] = _fill(props.get("queueSettings") or {}, _QUEUE_2025 if new else _QUEUE)
    bind_ports(props, api_version)
    out["systemData"] = {k: v for k, v in out.get("systemData", {}).items() if not k.startswith("lastModified")}
    return out


_ASSET_PROPERTIES = {
    "codes": {"description": None},
    "environments": {"description": None, "condaFile": None},
    "data": {"description": None},
    "models": {"description": None, "autoDeleteSetting": None, "jobName": None, "intellectualProperty": None},
    "components": {"description": None, "autoDeleteSetting": None},
}
# Recorded: data versions carry no lastModifiedBy*, and no provisioningState in their properties.
_ASSET_SYSTEM_DATA_DROPPED = {"data": ("lastModifiedBy", "lastModifiedByType")}
_ASSET_PROPERTIES_DROPPED = {"data": ("provisioningState",)}
# Kinds whose versions have a lifecycle stage (data versions answer stage null, code versions none).
_STAGED_KINDS = ("environments", "models", "components")


def stage(props: dict[str, Any]) -> str:
    """A version's stage as the service reports it: ``Archived`` while archived (test_component_archive_restore_version),
    ``Logged`` for an anonymous version the SDK made on the way (an endpoint's environment and model, a pipeline
    step's component), ``Development`` for one a user registered, unless the user gave a stage."""
    if props.get("isArchived"):
        return "Archived"
    if props.get("stage") not in (None, "", "Archived"):
        return props["stage"]  # one the user gave (a model's Production, ...); a restore may send back Archived
    return "Logged" if props.get("isAnonymous") else "Development"


def asset_version(kind: str, resource: dict[str, Any]) -> dict[str, Any]:
    """An asset version (code, environment, data, model, component) as the service answers it (a copy)."""
    out = copy.deepcopy(resource)
    props = out["properties"]
    _fill(props, _ASSET_PROPERTIES.get(kind, {}))
    for key in _ASSET_PROPERTIES_DROPPED.get(kind, ()):
        props.pop(key, None)
    for key in _ASSET_SYSTEM_DATA_DROPPED.get(kind, ()):
        out.get("systemData", {}).pop(key, None)
    if kind in _STAGED_KINDS:
        props["stage"] = stage(props)
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


# Run history's Run, as recorded (test_pipeline_job_child_run_download: a pipeline's children): every member present.
_USER = dict.fromkeys(
    ("userObjectId", "userPuId", "userIdp", "userAltSecId", "userIss", "userTenantId", "userName", "upn"),
) | {"clientApplicationId": None, "applicationACR": None}
_ERROR = {
    "code": None,
    "severity": None,
    "message": None,
    "messageFormat": None,
    "messageParameters": {},
    "referenceCode": None,
    "detailsUri": None,
    "target": None,
    "details": [],
    "innerError": None,
    "debugInfo": None,
    "additionalInfo": None,
}
_ERROR_RESPONSE = {"error": _ERROR, "correlation": None, "environment": None, "location": None, "time": None, "componentName": None}
_COMPUTE = {
    "target": None,
    "targetType": "amlcompute",
    "vmSize": None,
    "instanceType": None,
    "instanceCount": 1,
    "gpuCount": 0,
    "priority": None,
    "region": None,
    "armId": None,
    "properties": None,
}
_RUN_NULLS = (
    "runNumber", "rootRunId", "createdUtc", "userId", "token", "tokenExpiryTimeUtc", "error", "revision", "statusRevision",
    "runUuid", "parentRunUuid", "rootRunUuid", "lastStartTimeUtc", "currentComputeTime", "computeDuration",
    "effectiveStartTimeUtc", "lastModifiedUtc", "duration", "cancelationReason", "currentAttemptId", "runId", "parentRunId",
    "experimentId", "status", "startTimeUtc", "endTimeUtc", "scheduleId", "displayName", "name", "dataContainerId",
    "description", "runType", "scriptName", "target", "runDefinition", "jobSpecification", "primaryMetricName",
    "createdFrom", "cancelUri", "completeUri", "diagnosticsUri", "retainForLifetimeOfWorkspace", "queueingInfo", "inputs",
    "outputs",
)  # fmt: skip
_RUN = {
    **dict.fromkeys(_RUN_NULLS),
    "createdBy": _USER,
    "lastModifiedBy": _USER,
    "warnings": [],
    "hidden": False,
    "runTypeV2": {"orchestrator": None, "traits": [], "attribution": None, "computeType": None},
    "properties": {},
    "parameters": {},
    "actionUris": {},
    "uniqueChildRunComputeTargets": [],
    "tags": {},
    "settings": {},
    "services": {},
    "inputDatasets": [],
    "outputDatasets": [],
    "computeRequest": {"nodeCount": 1, "gpuCount": 0},
    "compute": None,
}


def run(view: dict[str, Any]) -> dict[str, Any]:
    """A run history Run (a copy) with every member the service answers, null when unset."""
    out = _fill(copy.deepcopy(view), _RUN)
    if out["target"] and out["compute"] is None:
        out["compute"] = {**_COMPUTE, "target": out["target"]}
    if isinstance(out["error"], dict):
        _fill(out["error"], _ERROR_RESPONSE)
        _fill(out["error"]["error"], _ERROR)
    return out
