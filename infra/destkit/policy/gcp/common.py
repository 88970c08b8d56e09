"""Helpers shared by the GCP controls."""

from __future__ import annotations

from destkit.plan.model import PlannedResource
from destkit.policy.core import as_list, load_json, mapping
from destkit.policy.gcp.tokens import PUBLIC_MEMBERS


def iam_members(resource: PlannedResource) -> list[tuple[str, str]]:
    """Return ``(role, member)`` pairs of an IAM member, binding or policy resource."""
    inputs = resource.inputs
    if "policyData" in inputs:
        policy = mapping(load_json(inputs.get("policyData")))
        return [
            (str(binding.get("role", "")), str(member))
            for binding in as_list(policy.get("bindings"))
            if isinstance(binding, dict)
            for member in as_list(binding.get("members"))
        ]
    role = str(inputs.get("role", ""))
    members = as_list(inputs.get("members")) or as_list(inputs.get("member"))
    return [(role, str(member)) for member in members]


def public_grants(resource: PlannedResource) -> list[str]:
    return [
        f"{role} is granted to {member}" for role, member in iam_members(resource) if member in PUBLIC_MEMBERS
    ]
