"""ARM's rules that Pulumi's mocks do not enforce, checked against what a program registered.

The mocks accept any input; Azure does not. This module reads the installed
pulumi-azure-native SDK's own input types to check a registered resource as ARM would read it:
every key is an input of the resource (or of the nested type it sits in), and every value of an
enum-typed input is one of the enum's values, compared case-sensitively (ARM matches
`SystemAssigned` but rejects or misreads `systemassigned` in several providers, and the SDK
ships exactly the spellings the REST specs define).
"""

from __future__ import annotations

import collections.abc
import enum
import importlib
import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from pulumi import _types

from tests.unit.harness import Registered

_EXPECTED = re.compile(r"Expected value is '([^']+)'")


def args_class(type_token: str) -> type:
    """`azure-native:storage:StorageAccount` -> `pulumi_azure_native.storage.StorageAccountArgs`."""
    _, module, name = type_token.split(":")
    return getattr(importlib.import_module(f"pulumi_azure_native.{module}"), f"{name}Args")


def is_taggable(type_token: str) -> bool:
    """ARM takes tags on the resource type when its SDK arguments have them."""
    return "tags" in _types.input_type_types(args_class(type_token))


@dataclass
class Check:
    """What walking one or more resources found: enum values checked, and every rule broken."""

    enums_checked: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)


def check_inputs(resource: Registered, check: Check | None = None) -> Check:
    check = check or Check()
    _walk_args(args_class(resource.type), resource.inputs, resource.name, check)
    return check


def _walk_args(cls: type, value: dict[str, Any], path: str, check: Check) -> None:
    types = _types.input_type_types(cls)
    for key, item in value.items():
        if key not in types:
            check.violations.append(f"{path}.{key}: not an input of {cls.__name__}")
        else:
            _walk(types[key], item, f"{path}.{key}", check)


def _members(tp: Any) -> list[Any]:
    """The alternatives of an input type, without None and the Awaitable/Output wrappers every input allows."""
    args = typing.get_args(tp) if typing.get_origin(tp) in (typing.Union, types.UnionType) else (tp,)
    return [a for a in args if a is not type(None) and typing.get_origin(a) is not collections.abc.Awaitable and not _is_output(a)]


def _is_output(tp: Any) -> bool:
    return getattr(typing.get_origin(tp) or tp, "__name__", "") == "Output"


def _walk(tp: Any, value: Any, path: str, check: Check) -> None:
    if value is None:
        return
    members = _members(tp)
    enums = [m for m in members if isinstance(m, type) and issubclass(m, enum.Enum)]
    if enums and isinstance(value, str):
        allowed = sorted({member.value for e in enums for member in e})
        check.enums_checked.append(path)
        if value not in allowed:
            check.violations.append(f"{path}: {value!r} is not one of {allowed}")
        return
    args = [m for m in members if isinstance(m, type) and _types.is_input_type(m)]
    if args and isinstance(value, dict):
        chosen = _choose(args, value)
        if chosen is None:
            check.violations.append(f"{path}: matches no single one of {[a.__name__ for a in args]}")
        else:
            _walk_args(chosen, value, path, check)
        return
    for member in members:
        origin, inner = typing.get_origin(member), typing.get_args(member)
        if origin is collections.abc.Sequence and isinstance(value, list):
            for i, item in enumerate(value):
                _walk(inner[0], item, f"{path}[{i}]", check)
            return
        if origin is collections.abc.Mapping and isinstance(value, dict):
            for key, item in value.items():
                _walk(inner[1], item, f"{path}.{key}", check)
            return


def _choose(candidates: list[type], value: dict[str, Any]) -> type | None:
    """The one input type of a union `value` can be: all its keys are inputs, and its discriminator (if any) agrees."""
    fitting = [c for c in candidates if set(value) <= set(_types.input_type_types(c)) and _constants_agree(c, value)]
    return fitting[0] if len(fitting) == 1 else None


def _constants_agree(cls: type, value: dict[str, Any]) -> bool:
    """A union member's discriminator (`computeType`, an outbound rule's `type`) is documented as its expected value."""
    for py_name, wire_name in _types.input_type_py_to_pulumi_names(cls).items():
        found = _EXPECTED.search(getattr(cls, py_name).__doc__ or "")
        if found and wire_name in value and value[wire_name] != found.group(1):
            return False
    return True
