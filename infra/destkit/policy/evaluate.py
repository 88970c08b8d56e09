"""The offline compliance verdict that ``destkit plan`` prints: every control of a cloud, one status each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from destkit.plan.model import ComplianceResult, PlannedResource
from destkit.policy.core import Control, Stack, run_check
from destkit.policy.registry import controls_for
from destkit.waivers import Waiver


def evaluate(
    cloud: str,
    resources: list[PlannedResource],
    waivers: list[Waiver],
    today: dt.date,
) -> list[ComplianceResult]:
    """Evaluate every control of ``cloud`` over ``resources``.

    Each control yields at least one result: ``passed``, ``waived`` (a waiver names the control and
    the resource's logical name, or ``*``), ``violated`` or ``not_applicable``. A waiver whose
    ``review_by`` is before ``today`` still waives, and the result carries a warning.
    """
    stack = Stack(resources)
    results: list[ComplianceResult] = []
    for control in controls_for(cloud):
        results.extend(_evaluate_control(control, stack, waivers, today))
    return results


def _evaluate_control(
    control: Control, stack: Stack, waivers: list[Waiver], today: dt.date
) -> list[ComplianceResult]:
    if control.check is None:
        return [_result(control, stack.urn, "not_applicable", control.not_applicable or "")]

    targets = control.targets(stack)
    if not targets:
        if control.absent_passes:
            return [_result(control, stack.urn, "passed", control.absent_passes)]
        return [_result(control, stack.urn, "not_applicable", _absence_reason(control))]

    results = []
    for resource in targets:
        problems = run_check(control, resource, stack)
        if not problems:
            results.append(_result(control, resource.urn, "passed"))
            continue
        waiver = matching_waiver(waivers, control.name, resource)
        if waiver is None:
            results.append(_result(control, resource.urn, "violated", "; ".join(problems)))
            continue
        result = _result(control, resource.urn, "waived", waiver.reason)
        result.review_by = waiver.review_by.isoformat()
        if waiver.review_by < today:
            result.warning = (
                f"the exception's review date {waiver.review_by.isoformat()} has passed; review it and set a "
                f"new review_by"
            )
        results.append(result)
    return results


def matching_waiver(waivers: Iterable[Waiver], control: str, resource: PlannedResource) -> Waiver | None:
    """Return the first waiver of ``control`` naming ``resource``: logical name, URN, URN suffix or ``*``."""
    for waiver in waivers:
        if waiver.control != control:
            continue
        if waiver.resource in ("*", resource.name, resource.urn) or resource.urn.endswith(
            "::" + waiver.resource
        ):
            return waiver
    return None


def _absence_reason(control: Control) -> str:
    if control.scope:
        return f"no {control.scope} in this stack"
    return "no " + ", ".join(control.resource_types) + " in this stack"


def _result(control: Control, resource: str, status: str, reason: str = "") -> ComplianceResult:
    return ComplianceResult(
        control=control.name,
        resource=resource,
        status=status,
        reason=reason,
        source_ids=list(control.source_ids),
        enforcement=control.enforcement,
        remediation=control.remediation if status == "violated" else "",
    )
