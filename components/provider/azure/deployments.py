"""Online deployments (Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments).

A deployment serves `props["model"]`: `azureml:<name>:<version>` of a model the stack registered (resolved by
the program), or any model outside the stack as written (`azureml://registries/...` too). Provisioning takes
minutes (a container image, the model's download, the scoring server's start): the provider says what the
deployment is doing while it waits, and a deployment that fails reads message first, with the service's
reason and the tail of its container's log (`online_deployments.get_logs`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from components.provider.azure.errors import ProvisioningFailedError, or_none
from components.provider.azure.loading import load_entity
from components.provider.azure.polling import Polling
from components.provider.azure.provisioning import SETTLED, SUCCEEDED, operation_error, state_of, wait_until_gone, wait_until_settled
from components.provider.azure.report import report
from components.provider.backend import Outs, Props

if TYPE_CHECKING:
    from azure.ai.ml import MLClient

LOG_LINES = 30
# The container that serves requests; the storage initializer only downloads the model first (azure-ai-ml's names).
_CONTAINERS = ("inference-server", "storage-initializer")


def put_deployment(ml: MLClient, props: Props, polling: Polling) -> Outs:
    """Create the deployment, or update it in place (a new model version, say), and wait until it serves."""
    from azure.ai.ml import load_online_deployment

    endpoint, name, model = props["endpoint_name"], props["name"], props["model"]
    subject = f"deployment {endpoint}/{name}"
    existing = _settled_deployment(ml, endpoint, name, polling)
    definition = {**props["definition"], "name": name, "endpoint_name": endpoint, "model": model}
    deployment = load_entity(load_online_deployment, definition, props.get("base_dir"))
    report(f"{subject}: {'updating' if existing else 'creating'} it to serve {model}; provisioning takes minutes on Azure")
    ml.online_deployments.begin_create_or_update(deployment)
    provisioned = wait_until_settled(lambda: ml.online_deployments.get(name, endpoint), subject, polling)
    if state_of(provisioned) != SUCCEEDED:
        raise ProvisioningFailedError(failure_message(ml, provisioned, endpoint, name, model))
    return {}


def read_deployment(ml: MLClient, outs: Props) -> Outs | None:
    found = or_none(lambda: ml.online_deployments.get(outs["name"], outs["endpoint_name"]))
    return None if found is None else {}


def delete_deployment(ml: MLClient, outs: Props, polling: Polling) -> None:
    endpoint, name = outs["endpoint_name"], outs["name"]
    if or_none(lambda: ml.online_deployments.get(name, endpoint)) is None:
        return  # gone with its endpoint, or never made
    report(f"deployment {endpoint}/{name}: deleting it")
    ml.online_deployments.begin_delete(name, endpoint)
    wait_until_gone(lambda: ml.online_deployments.get(name, endpoint), f"deployment {endpoint}/{name}", polling)


def failure_message(ml: MLClient, deployment: Any, endpoint: str, name: str, model: str) -> str:
    """What failed, why (the operation's error), the container log's tail, and what to do."""
    reason = operation_error(ml.online_deployments._online_deployment, deployment)
    lines = [f"deployment {endpoint}/{name} (serving {model}) ended {state_of(deployment)}: {reason}"]
    lines += _log_tail(ml, endpoint, name)
    lines.append(
        "Fix what the log names (the scoring script, the environment, the model, or instance_type and its quota) and run "
        f"`pulumi up` again: the deployment is updated in place. `az ml online-deployment get-logs -e {endpoint} -n {name}` "
        "shows the whole log."
    )
    return "\n".join(lines)


def _log_tail(ml: MLClient, endpoint: str, name: str) -> list[str]:
    for container in _CONTAINERS:
        try:
            text = ml.online_deployments.get_logs(name, endpoint, LOG_LINES, container_type=container)
        except Exception as err:  # noqa: BLE001 - a missing log must not hide the failure itself
            return [f"  (its container log could not be fetched: {type(err).__name__}: {str(err)[:200]})"]
        tail = text.rstrip("\n").splitlines()[-LOG_LINES:] if text and text.strip() else []
        if tail:
            return [f"  last {len(tail)} lines of its {container} container's log:", *(f"    {line}" for line in tail)]
    return ["  (its containers wrote no log)"]


def _settled_deployment(ml: MLClient, endpoint: str, name: str, polling: Polling) -> Any | None:
    """The deployment as it is, once an operation already under way on it (an interrupted `up`'s) has ended."""
    found = or_none(lambda: ml.online_deployments.get(name, endpoint))
    if found is not None and state_of(found) not in SETTLED:
        found = wait_until_settled(lambda: ml.online_deployments.get(name, endpoint), f"deployment {endpoint}/{name}", polling)
    return found
