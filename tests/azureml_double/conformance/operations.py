"""The Azure ML operations the provider makes, as (method, path template, api-versions).

Derived from what ``components/provider/azure/*`` calls through azure-ai-ml 1.35.2 (the pinned SDK), and
measured: ``python -m tests.azureml_double.conformance.survey`` runs the provider's Azure tests with every
request logged and lists what this table misses or never sees. An exchange of a recording is in scope when its
method and path match a row; its api-version is replayed as recorded when the SDK sends it, else as the
api-version the SDK sends for that operation (the provider never sends another one, so that is the answer that
matters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# ARM paths below the workspace; `{name}`-style segments match one path segment.
WORKSPACE_PREFIX = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.MachineLearningServices"
    r"/workspaces/(?P<ws>[^/]+)(?P<rest>/.*)?$",
    re.IGNORECASE,
)
# A registry's calls, on its regional management front end (the registry discovery answer names it).
REGISTRY_PREFIX = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.MachineLearningServices"
    r"/registries/(?P<registry>[^/]+)(?P<rest>/.*)$",
    re.IGNORECASE,
)
HISTORY_PREFIX = re.compile(
    r"^/history/v1\.0/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/"
    r"Microsoft\.MachineLearningServices/workspaces/(?P<ws>[^/]+)(?:/experiments/[^/]+)?(?P<rest>/.*)$",
    re.IGNORECASE,
)

ASSETS_2023_04 = ("2023-04-01-preview",)
MODELS = ("2023-08-01-preview",)
PREVIEW_2024_10 = ("2024-10-01-preview",)  # workspaces and datastores
# azure-ai-ml sends online endpoints' calls at 2022-02-01-preview and deployments' at 2023-04-01-preview; a deployment's
# create first reads its endpoint through the deployments' client.
ENDPOINTS = ("2022-02-01-preview",)
DEPLOYMENTS = ("2023-04-01-preview",)
SCHEDULES = ("2023-06-01-preview",)
# azure-ai-ml sends every registry call at the registry data plane's api-version (_registry_utils.py).
REGISTRY_DATAPLANE = ("2021-10-01-dataplanepreview",)


@dataclass(frozen=True)
class Operation:
    method: str
    template: str  # "…" stands for the workspace's ARM id, "history:" for the run-history workspace prefix, "registry:" for a registry's
    api_versions: tuple[str, ...]  # what azure-ai-ml 1.35.2 sends; () = no api-version (run history, discovery)
    used_by: str  # the provider call that makes it

    @property
    def pattern(self) -> re.Pattern[str]:
        body = re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(self.template.split(":", 1)[-1]))
        return re.compile(f"^{body}$", re.IGNORECASE)

    @property
    def scope(self) -> str:
        for prefix in ("history", "registry"):
            if self.template.startswith(f"{prefix}:"):
                return prefix
        return "workspace" if self.template.startswith("…") else "host"

    def label(self) -> str:
        return f"{self.method} {self.template}"


def _asset_rows(kind: str, versions: tuple[str, ...], used_by: str) -> list[Operation]:
    return [
        Operation("GET", f"…/{kind}/{{name}}/versions", versions, f"{used_by}: list active versions"),
        Operation("GET", f"…/{kind}/{{name}}/versions/{{version}}", versions, f"{used_by}: get / archive"),
        Operation("PUT", f"…/{kind}/{{name}}/versions/{{version}}", versions, f"{used_by}: create_or_update / archive"),
    ]


OPERATIONS: tuple[Operation, ...] = (
    Operation("GET", "…", PREVIEW_2024_10, "MLClient: the workspace (upload targets, job submission)"),
    Operation("GET", "/discovery", (), "jobs: run-history discovery (job_logs.failure_message)"),
    Operation("GET", "…/datastores/{name}", PREVIEW_2024_10, "datastores.get / data and code upload"),
    Operation("PUT", "…/datastores/{name}", PREVIEW_2024_10, "datastores.create_or_update"),
    Operation("DELETE", "…/datastores/{name}", PREVIEW_2024_10, "datastores.delete"),
    Operation("POST", "…/datastores/{name}/listSecrets", PREVIEW_2024_10, "data and code upload: storage credentials"),
    *_asset_rows("environments", ASSETS_2023_04, "environments"),
    *_asset_rows("data", ASSETS_2023_04, "data"),
    *_asset_rows("models", MODELS, "models"),
    Operation("GET", "…/models/{name}", MODELS, "models.list: the model container"),
    *_asset_rows("components", ("2024-01-01-preview",), "components (and pipeline jobs' anonymous components)"),
    Operation("GET", "…/codes/{name}/versions", ("2023-04-01",), "job code upload: snapshot lookup by hash"),
    Operation("GET", "…/codes/{name}/versions/{version}", ("2023-04-01",), "job code upload: the code version found"),
    Operation("POST", "…/codes/{name}/versions/{version}/startPendingUpload", ("2023-04-01",), "job code upload"),
    Operation("PUT", "…/codes/{name}/versions/{version}", ("2023-04-01",), "job code upload: register the snapshot"),
    Operation("GET", "…/computes/{name}", ("2023-08-01-preview",), "jobs.create_or_update: a pipeline's computes (SDK validation)"),
    Operation("PUT", "…/jobs/{name}", ("2024-01-01-preview", "2025-01-01-preview"), "jobs.create_or_update"),
    Operation("GET", "…/jobs/{name}", ("2024-01-01-preview",), "jobs.get: adopt, poll, read"),
    Operation("DELETE", "…/jobs/{name}", ("2023-04-01-preview",), "remove_job: on_delete delete"),
    Operation("POST", "…/jobs/{name}/cancel", ("2023-04-01-preview",), "remove_job: jobs.begin_cancel"),
    Operation("GET", "history:/runs/{run}/details", (), "job_logs: run details (error, log files)"),
    Operation("GET", "history:/runs/{run}/children", (), "job_logs: a failed pipeline's steps (the failed one's error and log)"),
    Operation("PATCH", "history:/runs/{run}", (), "jobs.archive / jobs.restore"),
    Operation("PUT", "…/onlineEndpoints/{name}", ENDPOINTS, "endpoints: put_endpoint, put_traffic, delete_traffic"),
    Operation("GET", "…/onlineEndpoints/{name}", ENDPOINTS + DEPLOYMENTS, "online_endpoints.get (and the deployment's create)"),
    Operation("DELETE", "…/onlineEndpoints/{name}", ENDPOINTS, "endpoints: delete_endpoint"),
    Operation("POST", "…/onlineEndpoints/{name}/listKeys", ENDPOINTS, "endpoints: the keys (get_keys)"),
    # At 2023-04-01-preview too: that is online_deployments.list, which the provider does not call, but the answer is the
    # same listing in the newer model (replayed at 2022-02-01-preview it would be compared with the other model's keys).
    Operation("GET", "…/onlineEndpoints/{name}/deployments", ENDPOINTS + DEPLOYMENTS, "online_endpoints.get: the endpoint's deployments"),
    Operation("PUT", "…/onlineEndpoints/{name}/deployments/{deployment}", DEPLOYMENTS, "deployments: put_deployment"),
    Operation("GET", "…/onlineEndpoints/{name}/deployments/{deployment}", DEPLOYMENTS, "deployments: wait, read"),
    Operation("DELETE", "…/onlineEndpoints/{name}/deployments/{deployment}", DEPLOYMENTS, "deployments: delete_deployment"),
    Operation("POST", "…/onlineEndpoints/{name}/deployments/{deployment}/getLogs", DEPLOYMENTS, "deployments: a failure's log"),
    Operation("PUT", "…/schedules/{name}", SCHEDULES, "schedules: put_schedule, and delete_schedule's disable (schedules.begin_disable)"),
    Operation("GET", "…/schedules/{name}", SCHEDULES, "schedules: wait, read, and the read before a disable"),
    Operation("DELETE", "…/schedules/{name}", SCHEDULES, "schedules: delete_schedule"),
    Operation("GET", "/registrymanagement/v1.0/registries/{name}/discovery", (), "registries: where a registry is (each registry client)"),
    Operation("GET", "registry:/models/{name}/versions", REGISTRY_DATAPLANE, "models.share: the latest version's properties"),
    Operation("GET", "registry:/models/{name}/versions/{version}", REGISTRY_DATAPLANE, "registries: a version there (share, take, read)"),
    Operation("POST", "registry:/import", REGISTRY_DATAPLANE, "models.share: the workspace version imported"),
)

# The long-running-operation status a provider call polls: the URL comes from an earlier answer's header.
LRO_POLL = Operation(
    "GET",
    "{Location of an earlier answer}",
    (),
    "begin_cancel, online endpoints, deployments and schedules, a registry's import: their operations",
)
LRO_HEADERS = ("Location", "Azure-AsyncOperation")


# Regional management front ends serve the ARM paths under a prefix (the double strips it too, server.py).
_MFE_PREFIXES = ("/mferp/managementfrontend", "/rp/workspaces")


def find_operation(method: str, path: str) -> Operation | None:
    """The provider operation a request (method, URL path) is, or None."""
    path = next((path[len(p) :] for p in _MFE_PREFIXES if path.lower().startswith(p)), path)
    for operation in OPERATIONS:
        if operation.method != method.upper():
            continue
        rest = _relative(operation.scope, path)
        if rest is not None and operation.pattern.match(rest):
            return operation
    return None


def _relative(scope: str, path: str) -> str | None:
    if scope == "host":
        return path
    prefix = {"history": HISTORY_PREFIX, "registry": REGISTRY_PREFIX}.get(scope, WORKSPACE_PREFIX)
    match = prefix.match(path)
    if match is None:
        return None
    rest = match.group("rest") or ""
    return "…" + rest if scope == "workspace" else rest


def replay_api_version(operation: Operation, recorded: str | None) -> str | None:
    """The api-version to send: the recorded one when the SDK sends it, else the SDK's nearest newer one."""
    if not operation.api_versions or recorded in operation.api_versions:
        return recorded
    newer = sorted(v for v in operation.api_versions if recorded is None or v >= recorded)
    return newer[0] if newer else max(operation.api_versions)
