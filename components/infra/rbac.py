"""Role assignments: who may do what on the workspace's storage and container registry, and on Azure ML registries.

Shared keys are off on the storage account, so every reader and writer needs a data-plane
role: each cluster's user-assigned identity reads (or writes) blobs and pulls images, and the
deploying principal writes blobs so that uploads from this program work. No grant targets a
system-assigned identity: Azure ML manages those itself, and a second assignment of the same
role to the same principal at the same scope is refused (RoleAssignmentExists).

Assignment names are uuid5 of scope, principal and role: the same grant always gets the
same name, so re-running a deploy never duplicates an assignment.
"""

from __future__ import annotations

import uuid
from typing import Literal

import pulumi
from pulumi_azure_native import authorization

from components.spec.settings import StorageRole

# Built-in role definition ids (the same in every Azure tenant).
STORAGE_BLOB_DATA_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
ACR_PULL = "7f951dda-4ed3-4680-a7ca-43fe172d538d"
# "Can perform all actions on Machine Learning Services Registry assets as well as get Registry resources."
# https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/ai-machine-learning#azureml-registry-user
AZUREML_REGISTRY_USER = "1823dd4f-9b8c-4ab6-ab4e-7397a3684615"

STORAGE_ROLES: dict[StorageRole, str] = {
    "Reader": STORAGE_BLOB_DATA_READER,
    "Contributor": STORAGE_BLOB_DATA_CONTRIBUTOR,
}

# Fixed namespace for assignment names; changing it would rename (replace) every assignment.
_ASSIGNMENT_NAMESPACE = uuid.UUID("6f1c3c52-5a0e-4d7e-9a55-2f4a8f0c9b1d")

PrincipalType = Literal["ServicePrincipal", "User", "Group"]


def role_definition_id(subscription_id: str, role: str) -> str:
    return f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{role}"


def assignment_name(scope: str, principal_id: str, role: str) -> str:
    """The deterministic name of one role assignment (role assignment names must be GUIDs)."""
    return str(uuid.uuid5(_ASSIGNMENT_NAMESPACE, f"{scope.lower()}|{principal_id.lower()}|{role.lower()}"))


def grant(
    name: str,
    *,
    role: str,
    scope: pulumi.Input[str],
    principal_id: pulumi.Input[str],
    subscription_id: pulumi.Input[str],
    principal_type: PrincipalType | None,
    opts: pulumi.ResourceOptions,
) -> authorization.RoleAssignment:
    """Assign the built-in `role` to `principal_id` on `scope`.

    principal_type is None when it is not known (the deploying principal may be a user or a
    service principal): ARM then looks it up. Managed identities pass ServicePrincipal, which
    spares the assignment from failing while a new identity is still replicating.
    """
    return authorization.RoleAssignment(
        name,
        role_assignment_name=pulumi.Output.all(scope, principal_id).apply(lambda sp: assignment_name(sp[0], sp[1], role)),
        scope=scope,
        principal_id=principal_id,
        # The SDK turns a missing type into "User", which ARM rejects for a service principal (a CI
        # deployer); an Output of None reaches ARM as no type at all, and ARM looks the principal up.
        principal_type=principal_type if principal_type else pulumi.Output.from_input(None),
        role_definition_id=pulumi.Output.from_input(subscription_id).apply(lambda sub: role_definition_id(sub, role)),
        opts=opts,
    )
