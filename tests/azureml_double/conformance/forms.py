"""The form of a string value: what kind of URI or id it is, without the names in it.

Two answers can name different things (another workspace, another upload) and still be of one form; a double
that answers ``azureml://datastores/x/paths/...`` where the service answers
``azureml://subscriptions/{}/resourcegroups/{}/workspaces/{}/datastores/{}/paths/…``, or a YAML text where the
service answers JSON, is not. The grammar is Azure ML's own (ARM ids, ``azureml:`` URIs, storage URLs), so no
recording is special.

* JSON text (an object or array serialized into a string) has the form ``{}`` or ``[]``;
* a URI (``http(s)``, ``azureml``, ``wasb(s)``, ``abfs(s)``, ``adl``) or an ARM id (``/subscriptions/...``) keeps
  its scheme, its host without the first label and default port (``{}.blob.core.windows.net``; an IP address is
``{ip}``), and its
  path with every segment that is not a word of the grammar (``STRUCTURE``) written ``{}``; it stops at
  ``paths/`` (a user's path follows) or at two names in a row (``…``). Queries are left out.
* any other string has no form (None).

A form is a string of its own form (``string_form(string_form(s)) == string_form(s)``), so the distilled
fixture can keep the form instead of the value.
"""

from __future__ import annotations

import json
import re

STRUCTURE = frozenset(
    {
        "subscriptions",
        "resourcegroups",
        "providers",
        "microsoft.machinelearningservices",
        "microsoft.storage",
        "storageaccounts",
        "workspaces",
        "registries",
        "locations",
        "datastores",
        "paths",
        "data",
        "codes",
        "environments",
        "models",
        "components",
        "computes",
        "jobs",
        "outputs",
        "versions",
        "experiments",
        "runs",
        "operationresults",
        "mfeoperationresults",
    }
)
_URI = re.compile(r"^(?P<scheme>https?|azureml|wasbs?|abfss?|adl):(?P<slashes>//)?(?P<rest>[^?#]*)", re.IGNORECASE)
_IP = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?$|^localhost(?::\d+)?$|^\{ip\}$", re.IGNORECASE)


def string_form(value: str) -> str | None:
    text = value.strip()
    if text[:1] in ("{", "[") and text[-1:] in ("}", "]"):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict | list):
            return "{}" if isinstance(parsed, dict) else "[]"
    if text.lower().startswith("/subscriptions/"):
        return _path_form(text.split("?", 1)[0])
    match = _URI.match(text)
    if match is None:
        return None
    scheme = match.group("scheme").lower()
    rest = match.group("rest")
    if not match.group("slashes"):
        # azureml:/subscriptions/... (an ARM id) or azureml:name:version (a short reference)
        return f"{scheme}:" + (_path_form(rest) if rest.startswith("/") else ":".join("{}" for _ in rest.split(":")))
    host, _, path = rest.partition("/")
    if host.lower() in STRUCTURE:  # azureml://datastores/..., azureml://jobs/...: no host, the path starts at once
        return f"{scheme}://" + _path_form("/" + rest).lstrip("/")
    return f"{scheme}://{_host_form(host, scheme)}" + (_path_form("/" + path) if path else "")


def _host_form(host: str, scheme: str) -> str:
    host = host.rsplit("@", 1)[-1]
    host = host.removesuffix({"https": ":443", "http": ":80"}.get(scheme, "\0"))
    if _IP.match(host):
        return "{ip}"
    labels = host.lower().split(".")
    return ".".join(["{}", *labels[1:]]) if len(labels) > 2 else host.lower()


def _path_form(path: str) -> str:
    out: list[str] = []
    names_in_a_row = 0
    for segment in path.split("/")[1:]:
        if not segment:
            continue
        if segment.lower() == "paths":
            return "/" + "/".join([*out, "paths", "…"])
        if segment.lower() in STRUCTURE:
            out.append(segment.lower())
            names_in_a_row = 0
            continue
        names_in_a_row += 1
        if names_in_a_row == 2:
            return "/" + "/".join([*out, "…"])
        out.append("{}")
    return "/" + "/".join(out)
