"""Recorded exceptions as policy-pack configuration, so ``pulumi preview --policy-pack`` honours them.

The file passed with ``--policy-pack-config`` maps each policy name to its configuration. The kit
adds one property per policy, ``waivers``: a list of ``{"resource", "reason", "reviewBy"}``
objects. The pack's policies skip a violation on a resource that a waiver names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from destkit.waivers import Waiver

WAIVERS_PROPERTY = "waivers"

# JSON schema of the ``waivers`` property; every policy of the pack declares it.
WAIVERS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "resource": {"type": "string", "minLength": 1},
            "reason": {"type": "string", "minLength": 10},
            "reviewBy": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
        },
        "required": ["resource", "reason", "reviewBy"],
    },
}


def waivers_to_pack_config(waivers: Iterable[Waiver]) -> dict[str, Any]:
    """Return ``--policy-pack-config`` content that carries ``waivers``, grouped by policy name.

    Raises ValueError when a waiver names a control that the pack does not have.
    """
    from destkit.policy.registry import all_controls

    known = {control.name for control in all_controls()}
    config: dict[str, Any] = {}
    for waiver in waivers:
        if waiver.control not in known:
            raise ValueError(
                f"waiver for {waiver.resource!r} names the unknown control {waiver.control!r}; "
                f"use a policy name of the pack (see docs/compliance.md)"
            )
        entry = {
            "resource": waiver.resource,
            "reason": waiver.reason,
            "reviewBy": waiver.review_by.isoformat(),
        }
        config.setdefault(waiver.control, {WAIVERS_PROPERTY: []})[WAIVERS_PROPERTY].append(entry)
    return config


def waivers_from_policy_config(control: str, config: Mapping[str, Any] | None) -> list[Waiver]:
    """Read the waivers of one policy back from the configuration the pack receives."""
    waivers = []
    for entry in (config or {}).get(WAIVERS_PROPERTY) or []:
        waivers.append(
            Waiver(
                control=control,
                resource=str(entry["resource"]),
                reason=str(entry["reason"]),
                review_by=dt.date.fromisoformat(str(entry["reviewBy"])),
                source="config",
            )
        )
    return waivers
