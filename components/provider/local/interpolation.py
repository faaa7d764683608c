"""Azure ML's command templating, as its job runtime applies it.

`${{inputs.x}}`, `${{outputs.y}}` and, in a sweep's trial, `${{search_space.z}}` are replaced
by their values (paths for data and outputs), verbatim and unquoted as Azure ML does. An
optional segment `$[[ ... ]]` is kept, without its brackets, only when every input it
mentions is given; otherwise it is dropped whole.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from components.provider.local.errors import InvalidDefinitionError

Values = Mapping[str, Mapping[str, str | None]]
"""Values by namespace (`inputs`, `outputs`, `search_space`), then by name; None is an absent input."""

_REFERENCE = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_OPTIONAL = re.compile(r"\$\[\[(.*?)\]\]", re.DOTALL)


def interpolate(command: str, values: Values, subject: str) -> str:
    def optional(segment: re.Match[str]) -> str:
        references = _REFERENCE.findall(segment[1])
        return segment[1] if all(_lookup(values, ref) is not None for ref in references) else ""

    def required(reference: re.Match[str]) -> str:
        value = _lookup(values, reference[1])
        if value is None:
            raise InvalidDefinitionError(f"{subject}: the command uses {reference[0]}, which is not given {_hint(values, reference[1])}")
        return value

    return _REFERENCE.sub(required, _OPTIONAL.sub(optional, command))


def _lookup(values: Values, reference: str) -> str | None:
    namespace, _, name = reference.partition(".")
    return values.get(namespace, {}).get(name)


def _hint(values: Values, reference: str) -> str:
    namespace = reference.partition(".")[0]
    if namespace not in values:
        return f"(only {', '.join(sorted(values))} can be referenced here)"
    if namespace == "inputs":
        return "(declare the input, or wrap the optional argument in $[[ ... ]])"
    return f"(known {namespace}: {', '.join(sorted(values[namespace])) or 'none'})"
