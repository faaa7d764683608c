"""Rewrite a recording's subscription, resource group and workspace to the double's, in URLs and bodies.

Sanitized recordings use the same placeholder (``00000``) for resource group and workspace, so recorded values
are only replaced where they stand in an ARM path segment (``/subscriptions/x``, ``/resourceGroups/x``,
``/workspaces/x``), never as bare text. The other way (``back``), the double's own names are distinct enough to be
replaced wherever they stand.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from tests.azureml_double.conformance.operations import HISTORY_PREFIX, WORKSPACE_PREFIX

_SEGMENT = re.compile(r"(?P<key>/subscriptions/|/resourceGroups/|/workspaces/)(?P<value>[^/?#&\"'\s]+)", re.IGNORECASE)


class Rewriter:
    """Maps the recorded workspace identity onto the double's."""

    def __init__(self, paths: Iterable[str], subscription: str, resource_group: str, workspace: str) -> None:
        self._targets = {"/subscriptions/": subscription, "/resourcegroups/": resource_group, "/workspaces/": workspace}
        self._recorded: dict[str, set[str]] = {key: set() for key in self._targets}
        self._aliases: dict[re.Pattern[str], str] = {}
        for path in paths:
            match = WORKSPACE_PREFIX.match(path) or HISTORY_PREFIX.match(path)
            if match:
                self._recorded["/subscriptions/"].add(match.group("sub").lower())
                self._recorded["/resourcegroups/"].add(match.group("rg").lower())
                self._recorded["/workspaces/"].add(match.group("ws").lower())

    def alias(self, recorded_id: str, double_id: str) -> None:
        """The service named a resource (an anonymous component version) one way, the double another: follow it."""
        recorded, ours = _below_workspace(recorded_id), _below_workspace(double_id)
        if recorded and ours and recorded.lower() != ours.lower():
            self._aliases[re.compile(re.escape(recorded) + r"(?![\w-])", re.IGNORECASE)] = ours

    def text(self, value: str) -> str:
        def swap(match: re.Match[str]) -> str:
            key = match.group("key").lower()
            if match.group("value").lower() in self._recorded[key]:
                return match.group("key") + self._targets[key]
            return match.group(0)

        value = _SEGMENT.sub(swap, value)
        for pattern, ours in self._aliases.items():
            value = pattern.sub(ours, value)
        return value

    def value(self, value: Any) -> Any:
        """A JSON value with every string rewritten."""
        return _map_strings(value, self.text)

    def back(self, value: Any) -> Any:
        """The double's answer with its identity named as the recording names it (error messages quote names bare)."""
        swaps = [
            (re.compile(rf"(?<![\w-]){re.escape(ours)}(?![\w-])", re.IGNORECASE), next(iter(self._recorded[key])))
            for key, ours in self._targets.items()
            if len(self._recorded[key]) == 1
        ]

        def swap(text: str) -> str:
            for pattern, recorded in swaps:
                text = pattern.sub(recorded, text)
            return text

        return _map_strings(value, swap)


def _below_workspace(resource_id: str) -> str:
    match = WORKSPACE_PREFIX.match(resource_id)
    return (match.group("rest") or "") if match else ""


def _map_strings(value: Any, change: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, list):
        return [_map_strings(item, change) for item in value]
    if isinstance(value, dict):
        return {key: _map_strings(item, change) for key, item in value.items()}
    return value
