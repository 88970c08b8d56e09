"""Readers for AWS policy documents (IAM, bucket, key and queue policies) in wire inputs."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

from destkit.policy.core import as_list, load_json


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    resources: tuple[str, ...]
    principals: tuple[str, ...]
    """Every principal value; ``*`` for ``"Principal": "*"``, service and ARN strings otherwise."""
    principal_services: tuple[str, ...]
    not_principals: tuple[str, ...]
    condition: dict[str, Any]

    def allows(self) -> bool:
        return self.effect == "Allow"

    def grants(self, action: str) -> bool:
        """Tell whether the statement's actions cover ``action`` (wildcards included)."""
        expected = action.lower()
        return any(fnmatch.fnmatchcase(expected, pattern.lower()) for pattern in self.actions)

    def public_principal(self) -> bool:
        return "*" in self.principals

    def condition_keys(self) -> set[str]:
        keys: set[str] = set()
        for block in self.condition.values():
            if isinstance(block, dict):
                keys.update(key.lower() for key in block)
        return keys

    def condition_value(self, operator: str, key: str) -> list[str]:
        for op_name, block in self.condition.items():
            if op_name.lower() != operator.lower() or not isinstance(block, dict):
                continue
            for cond_key, value in block.items():
                if cond_key.lower() == key.lower():
                    return [str(item) for item in as_list(value)]
        return []


def statements(document: Any) -> list[Statement] | None:
    """Return the statements of a policy document (JSON string or dict); None if it cannot be read."""
    parsed = load_json(document)
    if not isinstance(parsed, dict):
        return None
    result = []
    for raw in as_list(parsed.get("Statement")):
        if not isinstance(raw, dict):
            continue
        principals, services = _principals(raw.get("Principal"))
        not_principals, _ = _principals(raw.get("NotPrincipal"))
        condition = raw.get("Condition")
        result.append(
            Statement(
                effect=str(raw.get("Effect", "")),
                actions=tuple(str(a) for a in as_list(raw.get("Action"))),
                not_actions=tuple(str(a) for a in as_list(raw.get("NotAction"))),
                resources=tuple(str(r) for r in as_list(raw.get("Resource"))),
                principals=principals,
                principal_services=services,
                not_principals=not_principals,
                condition=condition if isinstance(condition, dict) else {},
            )
        )
    return result


def _principals(value: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if value is None:
        return (), ()
    if isinstance(value, str):
        return (value,), ()
    if not isinstance(value, dict):
        return (), ()
    everything: list[str] = []
    services: list[str] = []
    for kind, entries in value.items():
        for entry in as_list(entries):
            everything.append(str(entry))
            if kind == "Service":
                services.append(str(entry))
    return tuple(everything), tuple(services)


def is_root_principal(principal: str) -> bool:
    return principal.endswith(":root") or (principal.isdigit() and len(principal) == 12)
