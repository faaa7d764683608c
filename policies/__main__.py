"""The policy pack the engine runs for `--policy-pack policies` (see PulumiPolicy.yaml)."""

from azureml_guardrails import PACK_NAME, POLICIES
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(name=PACK_NAME, policies=POLICIES, enforcement_level=EnforcementLevel.MANDATORY)
