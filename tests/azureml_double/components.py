"""Component versions as the recorded service stores them (pipeline_job recordings).

* ``PUT …/components/azureml_anonymous/versions/{hash}``: an anonymous component (a pipeline step's inline
  command or local component file). The service keeps one version per content hash and answers 201 with its
  own id (``…/versions/<uuid>``), also when that content was registered before.
* ``PUT …/components/{name}/versions/{v}``: a named component, an ordinary asset version.

Either way the service stores the ``componentSpec`` it was given, re-serialised: ``_source`` is dropped, scalars
become strings (``is_deterministic: "True"``, ``default: "10.99"``), an input is ``optional: "False"`` unless it says
otherwise, ``resources.instance_count`` defaults to ``"1"`` and a curated environment (``azureml:AzureML-…:33``, or
``@latest``) is written as its registry URI. Every other member (``$schema``, ``code``, ``outputs``, ...) is kept as
sent. Normalising a stored spec again changes nothing, so the SDK's archive re-PUT (which sends the spec as
answered) is the same content.
"""

from __future__ import annotations

import json
import re
from typing import Any

ANONYMOUS = "azureml_anonymous"

_CURATED_ENV = re.compile(r"^azureml:(?P<name>AzureML-[^:/@]+)(?::(?P<version>[^:/@]+)|@(?P<label>latest))$")
# The azureml registry's version of a curated environment that ``@latest`` resolved to when the 2024 schedule
# recordings were made (the double has no registry; only the form of the answer matters).
CURATED_LATEST_VERSION = "36"


def normalize_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The componentSpec as the service returns it."""
    out = {key: _stringify(value) for key, value in spec.items() if not key.startswith("_")}
    out.setdefault("is_deterministic", "True")
    if out.get("type", "command") == "command":
        out.setdefault("resources", {"instance_count": "1"})
    for binding in (out.get("inputs") or {}).values():
        if isinstance(binding, dict):
            binding.setdefault("optional", "False")
    env = out.get("environment")
    if isinstance(env, str):
        curated = _CURATED_ENV.match(env)
        if curated:
            version = curated["version"] or CURATED_LATEST_VERSION
            out["environment"] = f"azureml://registries/azureml/environments/{curated['name']}/versions/{version}"
    return out


def content_key(spec: dict[str, Any]) -> str:
    """What makes two anonymous components the same: their normalised spec (the service hashes the content, not
    the hash segment of the URL, which sanitised recordings zero)."""
    return json.dumps(normalize_spec(spec), sort_keys=True)


def _stringify(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _stringify(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_stringify(item) for item in value]
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int | float):
        return str(value)
    return value


def arm_reference(value: str | None) -> str | None:
    """An ``azureml:/subscriptions/…`` reference in a spec as the plain ARM id, other references unchanged."""
    if value and value.startswith("azureml:/subscriptions/"):
        return value[len("azureml:") :]
    return value


def spec_outputs(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The component's declared outputs as job outputs (``jobOutputType``/``mode``)."""
    outputs = {}
    for name, output in (spec.get("outputs") or {}).items():
        output = output or {}
        outputs[name] = {"jobOutputType": output.get("type", "uri_folder"), "mode": output.get("mode") or "ReadWriteMount"}
    return outputs
