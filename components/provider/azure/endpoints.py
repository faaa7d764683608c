"""Online endpoints (Microsoft.MachineLearningServices/workspaces/onlineEndpoints) and their traffic.

The endpoint is created from its YAML through azure-ai-ml, waited for (provisioning takes a minute or two),
and its scoring URI and keys read back: the keys are outputs the resource keeps as Pulumi secrets
(`additional_secret_outputs`), never reported. Traffic is the endpoint's too, but set by its own resource once
the deployments it names exist; so an update of the endpoint itself (a new description) keeps the traffic the
service has, and removing the traffic sets it to nothing before the deployments are deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from components.provider.azure.errors import ProvisioningFailedError, or_none
from components.provider.azure.loading import load_entity
from components.provider.azure.polling import Polling
from components.provider.azure.provisioning import SETTLED, SUCCEEDED, operation_error, state_of, wait_until_gone, wait_until_settled
from components.provider.azure.report import report
from components.provider.backend import Outs, Props

if TYPE_CHECKING:
    from azure.ai.ml import MLClient


def put_endpoint(ml: MLClient, props: Props, polling: Polling) -> Outs:
    """Create the endpoint, or update it in place; either way keep the traffic the service has."""
    from azure.ai.ml import load_online_endpoint

    name = props["name"]
    existing = _settled_endpoint(ml, name, polling)
    endpoint = load_entity(load_online_endpoint, props["definition"], None, {"name": name})
    endpoint.traffic = _shares(existing.traffic) if existing else {}
    endpoint.mirror_traffic = _shares(existing.mirror_traffic) if existing else {}
    report(f"endpoint {name}: {'updating' if existing else 'creating'} it")
    _provision(ml, endpoint, polling)
    return _outputs(ml, name)


def read_endpoint(ml: MLClient, outs: Props) -> Outs | None:
    """Its scoring URI; the keys stay as the state keeps them (secret), so a refresh never reads them in the clear."""
    endpoint = or_none(lambda: ml.online_endpoints.get(outs["name"]))
    return None if endpoint is None else {"scoring_uri": endpoint.scoring_uri}


def delete_endpoint(ml: MLClient, outs: Props, polling: Polling) -> None:
    """Delete the endpoint (Azure ML deletes any deployment still under it) and wait until it is gone."""
    name = outs["name"]
    if or_none(lambda: ml.online_endpoints.get(name)) is None:
        return
    report(f"endpoint {name}: deleting it")
    ml.online_endpoints.begin_delete(name)
    wait_until_gone(lambda: ml.online_endpoints.get(name), f"endpoint {name}", polling)


def _outputs(ml: MLClient, name: str) -> Outs:
    """Its scoring URI and keys (None for an endpoint that authenticates with tokens)."""
    endpoint = ml.online_endpoints.get(name)
    keys = ml.online_endpoints.get_keys(name) if str(endpoint.auth_mode).lower() == "key" else None
    return {
        "scoring_uri": endpoint.scoring_uri,
        "primary_key": getattr(keys, "primary_key", None),
        "secondary_key": getattr(keys, "secondary_key", None),
    }


def put_traffic(ml: MLClient, props: Props, polling: Polling) -> Outs:
    """Share the endpoint's requests (and mirrored copies) between its deployments, which exist by now."""
    name = props["name"]
    shares = {"traffic": dict(props.get("traffic") or {}), "mirror_traffic": dict(props.get("mirror_traffic") or {})}
    _set_traffic(ml, name, shares, polling)
    return shares


def read_traffic(ml: MLClient, outs: Props) -> Outs | None:
    """The service keeps no zero shares: a deployment the stack gives 0 reads as 0."""
    endpoint = or_none(lambda: ml.online_endpoints.get(outs["name"]))
    if endpoint is None:
        return None
    return {key: _with_zeroes(getattr(endpoint, key), outs.get(key) or {}) for key in ("traffic", "mirror_traffic")}


def delete_traffic(ml: MLClient, outs: Props, polling: Polling) -> None:
    """No deployment takes requests any more, so each can be deleted (Azure ML refuses one that still does)."""
    if or_none(lambda: ml.online_endpoints.get(outs["name"])) is not None:
        _set_traffic(ml, outs["name"], {"traffic": {}, "mirror_traffic": {}}, polling)


def _set_traffic(ml: MLClient, name: str, shares: Mapping[str, Mapping[str, int]], polling: Polling) -> None:
    endpoint = _settled_endpoint(ml, name, polling) or ml.online_endpoints.get(name)
    endpoint.traffic, endpoint.mirror_traffic = dict(shares["traffic"]), dict(shares["mirror_traffic"])
    described = ", ".join(f"{deployment} {share}%" for deployment, share in shares["traffic"].items()) or "none"
    report(f"endpoint {name}: setting traffic ({described})")
    _provision(ml, endpoint, polling)


def _provision(ml: MLClient, endpoint: Any, polling: Polling) -> Any:
    """PUT the endpoint and wait for it; its operation's poller is not waited on (see provisioning.py)."""
    ml.online_endpoints.begin_create_or_update(endpoint)
    provisioned = wait_until_settled(lambda: ml.online_endpoints.get(endpoint.name), f"endpoint {endpoint.name}", polling)
    if state_of(provisioned) != SUCCEEDED:
        reason = operation_error(ml.online_endpoints._online_operation, provisioned)
        raise ProvisioningFailedError(
            f"endpoint {endpoint.name} ended {state_of(provisioned)}: {reason}\n"
            "Fix what it names (the endpoint's YAML, its name if another endpoint in the region has it, or your quota) "
            "and run `pulumi up` again: the endpoint is updated in place."
        )
    return provisioned


def _settled_endpoint(ml: MLClient, name: str, polling: Polling) -> Any | None:
    """The endpoint as it is, once an operation already under way on it (an interrupted `up`'s) has ended."""
    endpoint = or_none(lambda: ml.online_endpoints.get(name))
    if endpoint is not None and state_of(endpoint) not in SETTLED:
        endpoint = wait_until_settled(lambda: ml.online_endpoints.get(name), f"endpoint {name}", polling)
    return endpoint


def _shares(shares: Mapping[str, Any] | None) -> dict[str, int]:
    return {name: int(share) for name, share in (shares or {}).items() if int(share or 0)}


def _with_zeroes(served: Mapping[str, Any] | None, declared: Mapping[str, Any]) -> dict[str, int]:
    return {**{name: 0 for name in declared}, **_shares(served)}
