"""The stacks' guardrails as Pulumi policies, configured per stack by policies/config/<stack>.json.

Each policy is mandatory (fails the preview) unless the config says otherwise, except resource-tags,
which is advisory (warns) by default. See the README, "Guardrails (policy pack)".
"""

from .compute import cluster_limits, deployment_limits, low_priority_nodes
from .jobs import job_limits
from .production import storage_private, storage_shared_key, vault_purge_protection, workspace_private
from .tags import resource_tags

PACK_NAME = "azureml-training-guardrails"

POLICIES = [
    cluster_limits,
    deployment_limits,
    workspace_private,
    storage_private,
    storage_shared_key,
    vault_purge_protection,
    low_priority_nodes,
    resource_tags,
    job_limits,
]
