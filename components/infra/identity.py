"""User-assigned managed identities: who a compute cluster's jobs run as.

A cluster runs as a user-assigned identity of its own rather than its system-assigned one.
With shared-key access off (our default), Microsoft lists MLflow and the model registry among
the scenarios that need a user-assigned identity on the compute for model inputs and outputs
(how-to-disable-local-auth-storage, its section on role assignments), and both example jobs
write `mlflow_model` outputs. It also keeps each grant ours: Azure ML grants AcrPull to a
cluster's *system* identity by itself, so our own grant to that principal would duplicate it
and be refused (RoleAssignmentExists); a user-assigned identity gets exactly the roles the
stack gives it (components/infra/rbac.py). One identity per cluster, so each cluster's
`storageRole` stands on its own.

A cluster takes either one system-assigned identity or user-assigned ones, never both, and uses
the first user-assigned one for its storage mounts, registry and datastores; job code signs in
as it with the client id Azure ML puts in DEFAULT_IDENTITY_CLIENT_ID
(how-to-identity-based-service-authentication, "Compute cluster").
"""

from __future__ import annotations

import pulumi
from pulumi_azure_native import managedidentity


def user_assigned_identity(
    name: str,
    *,
    identity_name: pulumi.Input[str],
    resource_group: pulumi.Input[str],
    location: pulumi.Input[str],
    tags: pulumi.Input[dict[str, str]],
    opts: pulumi.ResourceOptions,
) -> managedidentity.UserAssignedIdentity:
    return managedidentity.UserAssignedIdentity(
        name, resource_name_=identity_name, resource_group_name=resource_group, location=location, tags=tags, opts=opts
    )
