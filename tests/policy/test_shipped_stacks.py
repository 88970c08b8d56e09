"""Every stack shipped in stacks/ plans with zero mandatory violations and a verdict for every control."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from destkit.docs import SHIPPED_STACKS
from destkit.plan.engine import PlanResult, plan_stack
from destkit.policy import all_controls, controls_for

ROOT = Path(__file__).resolve().parents[2]
STACKS = sorted(SHIPPED_STACKS)
# A fixed date, so a kit waiver's review date cannot turn this test red on a calendar day.
TODAY = dt.date(2026, 12, 4)
_PLANS: dict[str, PlanResult] = {}


def planned(stack: str) -> PlanResult:
    if stack not in _PLANS:
        _PLANS[stack] = plan_stack(stack, ROOT, today=TODAY)
    return _PLANS[stack]


def test_stacks_are_shipped():
    assert {"aws-dev", "azure-dev", "gcp-dev"} <= set(STACKS)


@pytest.mark.parametrize("stack", STACKS)
def test_no_mandatory_violation(stack):
    result = planned(stack)
    violations = [
        f"{r.control} on {r.resource}: {r.reason}"
        for r in result.compliance
        if r.status == "violated" and r.enforcement == "mandatory"
    ]
    assert violations == []


@pytest.mark.parametrize("stack", STACKS)
def test_every_control_has_verdict(stack):
    result = planned(stack)
    expected = {control.name for control in controls_for(result.cloud or "")}
    assert {r.control for r in result.compliance} == expected


@pytest.mark.parametrize("stack", STACKS)
def test_waived_results_carry_review_date(stack):
    waived = [r for r in planned(stack).compliance if r.status == "waived"]
    assert all(r.reason and r.review_by for r in waived)


@pytest.mark.parametrize("stack", STACKS)
def test_kit_waivers_name_pack_controls(stack):
    known = {control.name for control in all_controls()}
    unknown = sorted({w.control for w in planned(stack).waivers} - known)
    assert unknown == []


@pytest.mark.parametrize("stack", STACKS)
def test_every_result_names_resource(stack):
    assert [r.control for r in planned(stack).compliance if not r.resource.startswith("urn:pulumi:")] == []
