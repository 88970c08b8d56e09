"""Helpers shared by the Azure controls."""

from __future__ import annotations

from destkit.plan.model import PlannedResource
from destkit.policy.azure.tokens import DIAGNOSTIC_SETTINGS
from destkit.policy.core import Stack, as_list


def diagnostic_categories(stack: Stack, target: PlannedResource) -> set[str]:
    """Return the enabled log categories (and category groups) of diagnostic settings on ``target``."""
    found: set[str] = set()
    for setting in stack.referencing(target, DIAGNOSTIC_SETTINGS, ["resourceUri"]):
        if not setting.inputs.get("workspaceId"):
            continue
        for log in as_list(setting.inputs.get("logs")):
            if isinstance(log, dict) and log.get("enabled") is not False:
                found.update(str(log.get(key)) for key in ("category", "categoryGroup") if log.get(key))
    return found
