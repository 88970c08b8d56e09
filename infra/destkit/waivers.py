"""Recorded exceptions to compliance controls.

A component that deliberately does not meet a control calls :func:`record` right next to the
resource it creates, with the reason and a review date. The plan's compliance verdict reports
such a control as ``waived`` for that resource instead of ``violated``. Users add their own
exceptions under the ``destkit:exceptions`` config key; the program records them the same way.

The registry is per program run: :func:`reset` clears it before the program starts, and
:func:`recorded` returns what the run recorded. ``destkit plan --policy-config FILE`` writes the
same list as policy-pack configuration, so ``pulumi preview --policy-pack`` honours it too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

# Exceptions the kit records get reviewed once a year; a passed date is reported as a warning.
DEFAULT_REVIEW_BY = dt.date(2027, 12, 31)


@dataclass(frozen=True)
class Waiver:
    control: str
    resource: str
    """Logical (Pulumi) name of the resource; matches the last segment of its URN."""
    reason: str
    review_by: dt.date
    source: str = "kit"
    """``kit`` when the component records it, ``config`` when the user does."""

    def to_json(self) -> dict[str, str]:
        data = asdict(self)
        data["review_by"] = self.review_by.isoformat()
        return data


_registry: list[Waiver] = []


def record(
    control: str,
    resource: str,
    reason: str,
    review_by: dt.date = DEFAULT_REVIEW_BY,
    source: str = "kit",
) -> Waiver:
    """Record that ``resource`` deliberately does not meet ``control``, and why."""
    if len(reason.strip()) < 10:
        raise ValueError(f"waiver for {control} on {resource}: the reason must say why (got {reason!r})")
    waiver = Waiver(
        control=control, resource=resource, reason=reason.strip(), review_by=review_by, source=source
    )
    if waiver not in _registry:
        _registry.append(waiver)
    return waiver


def recorded() -> list[Waiver]:
    return list(_registry)


def reset() -> None:
    _registry.clear()


def find(control: str, resource: str) -> Waiver | None:
    """Return the waiver for ``control`` on ``resource`` (or on every resource, ``*``)."""
    for waiver in _registry:
        if waiver.control == control and waiver.resource in (resource, "*"):
            return waiver
    return None
