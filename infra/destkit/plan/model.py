"""Records of an offline plan: the resources the program registered and its compliance verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class PlannedResource:
    """One resource the program registered under the mock engine.

    ``inputs`` uses the engine's wire shape: camelCase keys, with secret values already
    unwrapped (``secret_paths`` lists the top-level input names that were secret).
    """

    urn: str
    type: str
    name: str
    parent: str | None
    inputs: dict[str, Any]
    custom: bool = True
    provider: str | None = None
    secret_paths: list[str] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def component(self) -> bool:
        return not self.custom


@dataclass
class ComplianceResult:
    """The verdict of one control on one resource (or on the stack, ``resource`` = stack URN)."""

    control: str
    resource: str
    status: str
    """One of ``passed``, ``waived``, ``violated``, ``not_applicable``."""
    reason: str = ""
    review_by: str | None = None
    source_ids: list[str] = field(default_factory=list)
    enforcement: str = "mandatory"
    """``mandatory`` or ``advisory``; only a mandatory violation fails the plan."""
    remediation: str = ""
    warning: str | None = None
    """Set when a waiver's review date has passed."""
