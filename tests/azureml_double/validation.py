"""What the service checks on a job PUT, in the order it checks it, with the service's error shapes.

1. Binding the body (``RequestInvalid``, 400): an input or output with a member its type does not have. The
   recorded ``test_command_job_register_output`` (api-version 2025-01-01-preview) refuses ``assetVersion`` on a
   ``UriFolderJobOutput`` and reports every occurrence (``details[]``), before looking at the compute.
2. Names: a job name is 1-255 letters, digits, ``-`` and ``_``, starting with a letter or digit.
3. The compute (``test_command_job_invalid_datastore``): 400 "Unknown compute target '<name>'." with the inner
   error chain BadArgument → UnknownTargetType.
4. The assets the job names: an environment, code or data version of this workspace that does not exist, a
   pipeline step's component version that does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from tests.azureml_double.errors import Detail, HttpError, bad_argument, request_invalid

if TYPE_CHECKING:
    from tests.azureml_double.server import AzureMLDouble

NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]{0,254}$")
# Asset names may also hold dots (curated environments: AzureML-sklearn-1.0-ubuntu20.04-py38-cpu).
ASSET_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{0,254}$")

# Members of JobOutput at each api-version, as the service binds them (the 2025-01-01-preview answers carry no
# assetVersion, pathOnCompute or autoDeleteSetting, and the service refuses assetVersion there).
_OUTPUT_MEMBERS_2025 = frozenset({"description", "uri", "assetName", "mode", "jobOutputType"})
_OUTPUT_MEMBERS = _OUTPUT_MEMBERS_2025 | {"assetVersion", "pathOnCompute", "autoDeleteSetting"}
# Members of a job's properties per job type (the service's JobBase models, as the recorded requests and answers show them).
_JOB_BASE = frozenset(
    {
        "description", "tags", "properties", "componentId", "computeId", "displayName", "experimentName", "identity",
        "isArchived", "jobType", "notificationSetting", "secretsConfiguration", "services", "status", "parentJobName",
    }
)  # fmt: skip
_JOB_MEMBERS = {
    "Command": _JOB_BASE
    | {
        "autologgerSettings", "codeId", "command", "distribution", "environmentId", "environmentVariables", "inputs",
        "limits", "outputs", "parameters", "queueSettings", "resources",
    },
    "Sweep": _JOB_BASE
    | {
        "earlyTermination", "inputs", "limits", "objective", "outputs", "queueSettings", "resources", "samplingAlgorithm",
        "searchSpace", "trial", "componentConfiguration",
    },
    "Pipeline": _JOB_BASE | {"inputs", "jobs", "outputs", "settings", "sourceJobId"},
}  # fmt: skip
_INPUT_MEMBERS = frozenset({"description", "uri", "mode", "jobInputType", "value", "pathOnCompute"})
_TYPE_NAMES = {
    "uri_file": "UriFile",
    "uri_folder": "UriFolder",
    "mltable": "MLTable",
    "custom_model": "CustomModel",
    "mlflow_model": "MLFlowModel",
    "triton_model": "TritonModel",
    "literal": "Literal",
}


def check_job_put(double: AzureMLDouble, name: str, props: dict[str, Any], api_version: str | None, raw: str) -> None:
    _check_members(props, api_version, raw)
    if not NAME.match(name):
        raise bad_argument(
            f"Invalid job name '{name}': a name starts with a letter or digit and has at most 255 letters, digits, '-' and '_'.",
            "InvalidName",
        )
    for compute_id in _compute_ids(props):
        _check_compute(double, compute_id)
    for kind, asset_id in _asset_ids(props):
        _check_asset(double, kind, asset_id)


def check_scheduled_job(double: AzureMLDouble, props: dict[str, Any]) -> None:
    """A schedule's job must be runnable when the schedule is put: its computes and the workspace's versions it names exist."""
    for compute_id in _compute_ids(props):
        _check_compute(double, compute_id)
    for kind, asset_id in _asset_ids(props):
        _check_asset(double, kind, asset_id)


def check_deployment_put(double: AzureMLDouble, props: dict[str, Any]) -> None:
    """An online deployment's model, environment and code versions of this workspace must exist."""
    named = (("models", props.get("model")), ("environments", props.get("environmentId")))
    named += (("codes", (props.get("codeConfiguration") or {}).get("codeId")),)
    for kind, asset_id in named:
        if asset_id:
            _check_asset(double, kind, asset_id)


def refuse_changes(what: str, changed: list[str], advice: str) -> None:
    """A second PUT may not change what a job runs or what an asset version holds."""
    if changed:
        raise bad_argument(f"{what} already exists and its {', '.join(changed)} cannot be changed: {advice}.", "ImmutableProperty")


def check_component(double: AzureMLDouble, spec: dict[str, Any]) -> None:
    """A component's code and environment, when they are versions of this workspace, must exist."""
    for kind, key in (("codes", "code"), ("environments", "environment")):
        if isinstance(spec.get(key), str):
            _check_asset(double, kind, spec[key])


def _check_members(props: dict[str, Any], api_version: str | None, raw: str) -> None:
    output_members = _OUTPUT_MEMBERS_2025 if api_version == "2025-01-01-preview" else _OUTPUT_MEMBERS
    details = []
    search_from = 0
    job_type = str(props.get("jobType"))
    for member in props:
        if job_type in _JOB_MEMBERS and member not in _JOB_MEMBERS[job_type]:
            position, search_from = _position(raw, member, search_from)
            where = f"Path 'properties.{member}', line 1, position {position}."
            message = f"Could not find member '{member}' on object of type '{job_type}Job'. {where}"
            details.append(Detail("RequestInvalid", message))
    for port, members, suffix, type_key in (
        ("outputs", output_members, "JobOutput", "jobOutputType"),
        ("inputs", _INPUT_MEMBERS, "JobInput", "jobInputType"),
    ):
        for binding in (props.get(port) or {}).values():
            if not isinstance(binding, dict):
                continue
            type_name = _TYPE_NAMES.get(str(binding.get(type_key)), "") + suffix
            for member in binding:
                if member in members:
                    continue
                position, search_from = _position(raw, member, search_from)
                details.append(
                    Detail(
                        "RequestInvalid",
                        f"Could not find member '{member}' on object of type '{type_name}'. Path '{member}', line 1, position {position}.",
                    )
                )
    if details:
        raise request_invalid(details)


def _position(raw: str, member: str, start: int) -> tuple[int, int]:
    """Where the JSON reader stood when it met ``member`` (just past its name), and where to search next."""
    token = f'"{member}"'
    at = raw.find(token, start)
    if at < 0:
        return 0, start
    end = at + len(token)
    return end, end


def _compute_ids(props: dict[str, Any]) -> Iterator[str]:
    if props.get("computeId"):
        yield props["computeId"]
    if (props.get("settings") or {}).get("default_compute"):
        yield props["settings"]["default_compute"]
    for step in (props.get("jobs") or {}).values():
        if isinstance(step, dict) and step.get("computeId"):
            yield step["computeId"]


def _check_compute(double: AzureMLDouble, compute_id: str) -> None:
    name = compute_id.rstrip("/").rsplit("/", 1)[-1]
    if compute_id.startswith("/subscriptions/") and name not in double.computes:
        raise bad_argument(f"Unknown compute target '{name}'.", "UnknownTargetType")


def _asset_ids(props: dict[str, Any]) -> Iterator[tuple[str, str]]:
    trial = props.get("trial") or {}
    for source in (props, trial):
        if source.get("environmentId"):
            yield "environments", source["environmentId"]
        if source.get("codeId"):
            yield "codes", source["codeId"]
    for binding in (props.get("inputs") or {}).values():
        if isinstance(binding, dict) and binding.get("uri"):
            yield "data", binding["uri"]
    for step in (props.get("jobs") or {}).values():
        if isinstance(step, dict) and step.get("componentId"):
            yield "components", step["componentId"]


_WORKSPACE_ASSET = re.compile(
    r"^(?:azureml:)?/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.MachineLearningServices/workspaces/[^/]+"
    r"/(?P<kind>environments|codes|data|components|models)/(?P<name>[^/]+)/versions/(?P<version>[^/]+)$",
    re.IGNORECASE,
)


_REGISTRY_MODEL = re.compile(r"^azureml://registries/(?P<registry>[^/]+)/models/(?P<name>[^/]+)/versions/(?P<version>[^/]+)$")


def _check_asset(double: AzureMLDouble, kind: str, asset_id: str) -> None:
    """A version of this workspace must exist, and a model version of a registry the double has; other registries'
    (the public `azureml` one), curated and storage references are not checked."""
    shared = _REGISTRY_MODEL.match(asset_id) if kind == "models" else None
    if shared is not None and shared["registry"] in double.registries.registries:
        if double.registries.model(shared["registry"], shared["name"], shared["version"]) is None:
            raise HttpError(
                404,
                "UserError",
                f"Model version {shared['name']}:{shared['version']} ({asset_id}) could not be found.",
                inner=("NotFound",),
            )
        return
    match = _WORKSPACE_ASSET.match(asset_id)
    if not match or match["kind"] != kind:
        return
    if match["version"] not in double.versions[kind].get(match["name"], {}):
        singular = {"environments": "Environment", "codes": "Code", "data": "Data", "components": "Component", "models": "Model"}[kind]
        raise HttpError(
            404,
            "UserError",
            f"{singular} version {match['name']}:{match['version']} ({asset_id}) could not be found.",
            inner=("NotFound",),
        )
