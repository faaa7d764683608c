"""Every Azure resource that takes tags carries the stack's required ones (who owns it, which stack made it)."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from pulumi_policy import EnforcementLevel, ResourceValidationArgs

from .policy import guardrail, strings
from .resources import AZURE_NATIVE, UNKNOWN, known, mapping

# What components/infra/workspace.py puts on every resource, beside the stack's workspace.tags.
DEFAULT_TAGS = ["project", "stack", "managed-by"]


@cache
def takes_tags(resource_type: str) -> bool:
    """ARM takes tags on a resource type when the installed pulumi-azure-native SDK's arguments for it have them
    (role assignments and private DNS zone groups, for example, have none). Imported once per module, on the first
    resource of it: the stack's program has the SDK in the same virtualenv."""
    _, module, name = resource_type.split(":")
    try:
        args = getattr(importlib.import_module(f"pulumi_azure_native.{module}"), f"{name}Args")
    except (ImportError, AttributeError):
        return True  # a type this SDK does not know: ask for tags rather than let it pass unseen
    return "tags" in inspect.signature(args.__init__).parameters


def _resource_tags(args: ResourceValidationArgs, config: Mapping[str, Any]) -> Iterator[str]:
    if not args.resource_type.startswith(AZURE_NATIVE) or not takes_tags(args.resource_type):
        return
    tags = known(args.props, "tags", unknown=UNKNOWN)
    if tags is UNKNOWN:
        return  # decided once the values it is made of are known
    # A tag whose value is not known yet counts as there. (`in` would read the value: the keys are always known.)
    present = set(mapping(tags))
    missing = [tag for tag in config.get("requiredTags") or [] if tag not in present or not known(tags, tag, unknown=UNKNOWN)]
    if missing:
        yield f"{args.resource_type.split(':', 1)[1]} {args.name} lacks the required tags {', '.join(missing)}; add them to workspace.tags"


resource_tags = guardrail(
    "resource-tags",
    "Every Azure resource that takes tags carries the stack's required tags.",
    _resource_tags,
    {"requiredTags": {**strings("Tag names every taggable Azure resource must carry, with a value."), "default": DEFAULT_TAGS}},
    enforcement_level=EnforcementLevel.ADVISORY,
)
