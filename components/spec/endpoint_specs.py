"""Online endpoints and their deployments as a stack declares them, checked across their files at preview.

An endpoint YAML (managedOnlineEndpoint) and its deployment YAMLs (managedOnlineDeployment) are
each loaded with azure-ai-ml's loaders (components/spec/specs.py; names Azure ML accepts are checked
per file in components/spec/validation.py). What only the set of them can tell is checked here, before
any resource is registered: deployment names unique per endpoint and agreeing with the endpoint's,
traffic that names only listed deployments and sums to 100 or 0, and a deployment's model.
Pure reading of the loaded bodies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from components.spec.asset_references import asset_reference
from components.spec.settings import NAMESPACE, SettingsError

# Raises the one line naming a file and what is wrong in it.
Fail = Callable[[str], NoReturn]
# Azure ML mirrors at most this share of an endpoint's live traffic.
MAX_MIRROR_PERCENT = 50


@dataclass(frozen=True)
class DeploymentSpec:
    """One deployment YAML, loaded: its name and body (model, instance type and count, code or none)."""

    file: str
    name: str
    definition: dict[str, Any]
    base_dir: str = "."
    """Where its relative paths (a scoring script's `code`) start."""
    code_hash: str | None = None
    """The content hash of its local `code_configuration.code`: new code updates the deployment."""

    @property
    def no_code(self) -> bool:
        """An MLflow no-code deployment: Azure ML brings the scoring script and the environment."""
        return not self.definition.get("code_configuration") and not self.definition.get("environment")


@dataclass(frozen=True)
class EndpointSpec:
    """One endpoint of the stack, its deployments, and how its requests are shared between them."""

    index: int
    file: str
    name: str
    definition: dict[str, Any]
    deployments: tuple[DeploymentSpec, ...]
    traffic: dict[str, int]
    """Every deployment's share of the live requests, in percent (0 when the stack gives it none)."""
    mirror_traffic: dict[str, int]

    @property
    def key(self) -> str:
        return f"{NAMESPACE}:endpoints[{self.index}]"


def default_traffic(deployments: list[str], traffic: Mapping[str, int] | None) -> dict[str, int]:
    """As written; without `traffic`, a lone deployment takes every request and several take none until told."""
    if traffic is None:
        return {deployments[0]: 100} if len(deployments) == 1 else {}
    return dict(traffic)


def check_endpoints(endpoints: list[EndpointSpec], model_types: Mapping[str, str], local: bool, stack_file: str) -> None:
    """Raise the one line of the first problem; `model_types` are the stack's models (`models:`) by name."""
    seen: dict[str, str] = {}
    for endpoint in endpoints:
        fail = _failing(stack_file, endpoint.file)
        if endpoint.name in seen:
            fail(f"name: {endpoint.name!r} is also the name of the endpoint in {seen[endpoint.name]}; each endpoint needs its own")
        seen[endpoint.name] = endpoint.file
        _check_endpoint(endpoint, local, fail)
        for deployment in endpoint.deployments:
            _check_deployment(endpoint, deployment, model_types, local, _failing(stack_file, deployment.file))
        _check_traffic(endpoint, fail)


def _failing(stack_file: str, file: str) -> Fail:
    def fail(message: str) -> NoReturn:
        raise SettingsError(f"{stack_file}: {file}: {message}")

    return fail


def _check_endpoint(endpoint: EndpointSpec, local: bool, fail: Fail) -> None:
    auth_mode = endpoint.definition.get("auth_mode", "key")
    if local and auth_mode != "key":
        fail(f"auth_mode: {auth_mode} endpoints are served only on Azure ML (the local target authenticates with keys: auth_mode: key)")
    names = [deployment.name for deployment in endpoint.deployments]
    for index, name in enumerate(names):
        if name in names[:index]:
            fail(f"{endpoint.key}.deployments: two deployments are named {name!r}; each deployment of an endpoint needs its own name")


def _check_deployment(endpoint: EndpointSpec, deployment: DeploymentSpec, model_types: Mapping[str, str], local: bool, fail: Fail) -> None:
    named = deployment.definition.get("endpoint_name")
    if named is not None and named != endpoint.name:
        fail(f"endpoint_name: {named!r} is not the endpoint it is listed under ({endpoint.name!r}, {endpoint.file})")
    _check_compute_type(endpoint, deployment, fail)
    model = deployment.definition.get("model")
    reference = asset_reference(model)
    if model is None:
        fail("model: required (the registered model this deployment serves, azureml:<name>@latest)")
    if local and (reference is None or reference.name not in model_types):
        stack = ", ".join(sorted(model_types)) or "none"
        fail(f"model: {model!r} is not a model of this stack; the local target serves the stack's models (models: {stack})")
    model_type = model_types.get(reference.name) if reference else None
    if deployment.no_code and model_type not in (None, "mlflow_model"):
        fail(f"model: {reference.name} is a {model_type}; a deployment without code_configuration and environment needs an mlflow_model")


def _check_compute_type(endpoint: EndpointSpec, deployment: DeploymentSpec, fail: Fail) -> None:
    """Azure ML runs a deployment where its endpoint does: both managed, or both on the endpoint's Kubernetes `compute`."""
    kubernetes_deployment = str(deployment.definition.get("type", "managed")).lower() == "kubernetes"
    kubernetes_endpoint = bool(endpoint.definition.get("compute"))
    where = f"endpoint {endpoint.name!r} ({endpoint.file})"
    if kubernetes_deployment and not kubernetes_endpoint:
        fail(f"type: kubernetes, but {where} is managed (no compute:); drop type, or give the endpoint its Kubernetes compute")
    if kubernetes_endpoint and not kubernetes_deployment:
        fail(f"type: managed, but {where} runs on Kubernetes (compute:); set type: kubernetes")


def _check_traffic(endpoint: EndpointSpec, fail: Fail) -> None:
    names = [deployment.name for deployment in endpoint.deployments]
    for key, shares in (("traffic", endpoint.traffic), ("mirrorTraffic", endpoint.mirror_traffic)):
        for name in shares:
            if name not in names:
                fail(f"{endpoint.key}.{key}: {name!r} is not a deployment of endpoint {endpoint.name!r} (deployments: {', '.join(names)})")
    total = sum(endpoint.traffic.values())
    if total not in (0, 100):
        shown = ", ".join(f"{name}: {share}" for name, share in endpoint.traffic.items())
        fail(f"{endpoint.key}.traffic: the shares sum to {total} ({shown}); they must sum to 100, or to 0 to serve nothing yet")
    mirrored = sum(endpoint.mirror_traffic.values())
    if mirrored > MAX_MIRROR_PERCENT:
        fail(f"{endpoint.key}.mirrorTraffic: {mirrored}% mirrored; Azure ML mirrors at most {MAX_MIRROR_PERCENT}%")
    for name, share in endpoint.mirror_traffic.items():
        if share and endpoint.traffic.get(name):
            fail(f"{endpoint.key}.mirrorTraffic: {name!r} takes live traffic; a deployment receives live or mirrored traffic, not both")
