"""Depending on a resource that may fail: its dependents are skipped, and the program still ends cleanly.

`pulumi up --continue-on-error` (which `make up` sets) keeps starting operations after one fails,
so one failed job never stops the stack's other jobs. The engine reports the failure under its
resource and skips every step that depends on it. But the Python SDK faults all outputs of a
resource whose create failed or was skipped, its URN included (`ResourceRegistrationFailed`), and a
resource or stack output that awaits one of them ends the program in a traceback of the SDK's own
frames. So a dependent takes such a resource's values through `value_or` (a placeholder when it
failed: the engine skips the dependent, so its provider sees the placeholder in `check` and `diff`
only) and depends on it through `dependency_on`: by URN, which the engine still knows when the
SDK's copy is faulted.
"""

from __future__ import annotations

from typing import TypeVar

import pulumi
from pulumi.resource import DependencyResource
from pulumi.runtime.stack import ResourceRegistrationFailed

T = TypeVar("T")

# What a dependent receives in place of a failed resource's value: never created or updated with it,
# since the engine skips it; non-empty, so that its provider's `check` (which the engine still calls) passes.
NOT_DEPLOYED = "not-deployed"


def value_or(output: pulumi.Output[T], placeholder: T) -> pulumi.Output[T]:
    """The output's value, or `placeholder` when its resource failed or was skipped."""

    def placeholder_if_not_deployed(err: Exception) -> T:
        if isinstance(err, ResourceRegistrationFailed):
            return placeholder
        raise err

    return output.recover(placeholder_if_not_deployed)


def dependency_on(resource: pulumi.CustomResource, parent: pulumi.Resource) -> pulumi.Output[pulumi.Resource]:
    """`resource` as a dependency (for `depends_on`) that is ready once its create ended, failed or not.

    `parent` is the resource's parent: with it, its name and its type, its URN is known without
    its faulted output.
    """

    def urn_if_not_deployed(err: Exception) -> pulumi.Output[str]:
        if not isinstance(err, ResourceRegistrationFailed):
            raise err
        # The value alone: a dependency on a component resource is one on each of its children.
        parent_urn = pulumi.Output.from_input(parent.urn.future())
        return pulumi.create_urn(resource.pulumi_resource_name, resource.pulumi_resource_type, parent=parent_urn)

    return resource.urn.recover(urn_if_not_deployed).apply(DependencyResource)
