"""Compare the double's answer with the recorded one.

What is compared, and why each rule is generic (nothing here knows a particular recording):

* the status code;
* whether each long-running-operation header (``Location``, ``Azure-AsyncOperation``, ``Retry-After``) is there;
* the JSON body's shape, both ways: a key the service returns that the double lacks (``missing-key``) and one
  the double returns that the service lacks (``extra-key``); an object or list where the other has something
  else (``type``); a scalar of another JSON type. ``null`` says nothing about shape and matches any scalar, and
  "no body" equals ``{}``. List items are paired by ``name`` (or the last segment of ``id``), else by ``type``
  or ``code``, else by position; the service's items the double lacks are ``missing-item``, the double's extra
  items ``extra-item`` (unless the service's page has a ``nextLink``: the rest may be on the next page);
* enum-like values (``value``): a string under a key named like ``status``/``state``/``type``/``kind`` that
  looks like an identifier, two CamelCase words, or two spellings of one identifier that differ only in case;
* the form of URIs, ids and JSON text (``form``, see ``forms``): ``azureml://subscriptions/{}/…/datastores/{}/paths/…``
  is not ``azureml://datastores/{}/paths/…``, JSON text is not YAML;
* error bodies: besides their shape, every ``message`` must match once GUIDs and numbers of 3+ digits are
  masked (they are request ids, positions and sanitized names).

Paths read like ``properties.outputs.default.mode``; list items add ``[]``; keys with dots are quoted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tests.azureml_double.conformance.forms import string_form

COMPARED_HEADERS = ("Location", "Azure-AsyncOperation", "Retry-After")
_ENUM_KEY = re.compile(r"(status|state|type|kind)$", re.IGNORECASE)
IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
_CAMEL_WORD = re.compile(r"^[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)*$")
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_NUMBER = re.compile(r"\d{3,}")


@dataclass(frozen=True)
class Difference:
    kind: str  # status | header | missing-key | extra-key | type | value | form | message | missing-item | extra-item
    path: str
    recorded: str = ""
    double: str = ""

    def __str__(self) -> str:
        detail = f": service {self.recorded}, double {self.double}" if self.recorded or self.double else ""
        return f"{self.kind} {self.path}{detail}" if self.path else f"{self.kind}{detail}"

    @property
    def time_dependent(self) -> bool:
        """A difference a later moment of the double's clock may resolve (status codes, statuses)."""
        return self.kind in ("status", "header") or (self.kind == "value" and bool(_ENUM_KEY.search(self.path)))


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


def compare(recorded: Answer, double: Answer) -> list[Difference]:
    if recorded.status != double.status:
        return [Difference("status", "", str(recorded.status), f"{double.status} {_brief(double.body)}".strip())]
    differences = [
        Difference("header", name, _presence(recorded.headers, name), _presence(double.headers, name))
        for name in COMPARED_HEADERS
        if _has(recorded.headers, name) != _has(double.headers, name)
    ]
    is_error = recorded.status >= 400
    differences += _walk("", "", _body(recorded.body), _body(double.body), is_error)
    return differences


def _body(value: Any) -> Any:
    return {} if value in (None, "", "null") else value


def _has(headers: dict[str, str], name: str) -> bool:
    return any(key.lower() == name.lower() for key in headers)


def _presence(headers: dict[str, str], name: str) -> str:
    return "present" if _has(headers, name) else "absent"


def _brief(body: Any) -> str:
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return f"({error.get('code')}: {str(error.get('message'))[:120]})"
    return ""


def _walk(path: str, key: str, recorded: Any, double: Any, is_error: bool) -> list[Difference]:
    if recorded is None or double is None:
        if isinstance(recorded, dict | list) or isinstance(double, dict | list):
            return [Difference("type", path or ".", _kind(recorded), _kind(double))]
        return []
    if isinstance(recorded, dict) and isinstance(double, dict):
        return _walk_dicts(path, recorded, double, is_error)
    if isinstance(recorded, list) and isinstance(double, list):
        return _walk_lists(path, recorded, double, is_error)
    if _kind(recorded) != _kind(double):
        return [Difference("type", path or ".", _kind(recorded), _kind(double))]
    if isinstance(recorded, str):
        return _compare_strings(path, key, recorded, double, is_error)
    return []


def _walk_dicts(path: str, recorded: dict, double: dict, is_error: bool) -> list[Difference]:
    out = [Difference("missing-key", _join(path, k)) for k in recorded if k not in double]
    out += [Difference("extra-key", _join(path, k)) for k in double if k not in recorded]
    paged = bool(recorded.get("nextLink"))
    for k in recorded:
        if k not in double:
            continue
        if isinstance(recorded[k], list) and isinstance(double[k], list):
            out += _walk_lists(_join(path, k), recorded[k], double[k], is_error, paged=paged and k == "value")
        else:
            out += _walk(_join(path, k), k, recorded[k], double[k], is_error)
    return out


def _walk_lists(path: str, recorded: list, double: list, is_error: bool, *, paged: bool = False) -> list[Difference]:
    """``paged``: the service's list is one page of more, so the double's other items may be on the next ones."""
    item_path = f"{path}[]"
    pairs, missing, extra = _pair(recorded, double)
    out = [Difference("missing-item", item_path, label) for label in missing]
    out += [Difference("extra-item", item_path, "", label) for label in extra if not paged]
    for rec, dbl in pairs:
        out += _walk(item_path, "", rec, dbl, is_error)
    return out


def _pair(recorded: list, double: list) -> tuple[list[tuple[Any, Any]], list[str], list[str]]:
    """Pairs of items, then labels of the service's unpaired items and of the double's."""
    for identify in (_identity_name, _identity_type, _identity_code):
        if recorded and double and all(identify(i) for i in recorded + double):
            by_label = {identify(i): i for i in double}
            pairs = [(i, by_label[identify(i)]) for i in recorded if identify(i) in by_label]
            recorded_labels = {identify(i) for i in recorded}
            missing = [identify(i) for i in recorded if identify(i) not in by_label]
            extra = [identify(i) for i in double if identify(i) not in recorded_labels]
            return pairs, missing, extra
    pairs = list(zip(recorded, double, strict=False))
    missing = [f"item {n}" for n in range(len(double), len(recorded))]
    extra = [f"item {n}" for n in range(len(recorded), len(double))]
    return pairs, missing, extra


def _identity_name(item: Any) -> str:
    if not isinstance(item, dict):
        return ""
    name = item.get("name")
    if isinstance(name, str) and name:
        resource_id = item.get("id")
        # Versions are all called "1", "2": their id names the asset too.
        return resource_id.rsplit("/", 3)[-3] + "/" + name if isinstance(resource_id, str) and "/versions/" in resource_id else name
    return ""


def _identity_type(item: Any) -> str:
    return str(item["type"]) if isinstance(item, dict) and isinstance(item.get("type"), str) else ""


def _identity_code(item: Any) -> str:
    return str(item["code"]) if isinstance(item, dict) and isinstance(item.get("code"), str) else ""


def _compare_strings(path: str, key: str, recorded: str, double: str, is_error: bool) -> list[Difference]:
    if is_error and key == "message":
        if mask(recorded) != mask(double):
            return [Difference("message", path, repr(recorded[:200]), repr(double[:200]))]
        return []
    if recorded != double and enum_like(key, recorded, double):
        return [Difference("value", path, recorded, double)]
    form = string_form(recorded)
    if form is not None and form != string_form(double):
        return [Difference("form", path, form, string_form(double) or "plain text")]
    return []


def enum_like(key: str, recorded: str, double: str) -> bool:
    if _ENUM_KEY.search(key) and IDENTIFIER.match(recorded):
        return True
    if _CAMEL_WORD.match(recorded) and _CAMEL_WORD.match(double):
        return True
    return recorded.lower() == double.lower() and bool(IDENTIFIER.match(recorded))


def mask(message: str) -> str:
    return _NUMBER.sub("#", _GUID.sub("<guid>", message)).strip()


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object" if isinstance(value, dict) else "array"


def _join(path: str, key: str) -> str:
    part = f'["{key}"]' if "." in key or " " in key else key
    if not path:
        return part
    return f"{path}{part}" if part.startswith("[") else f"{path}.{part}"
