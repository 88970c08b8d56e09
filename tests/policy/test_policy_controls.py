"""Every control of the pack: a compliant baseline passes it and a violating change is caught.

Each case runs twice: through ``destkit.policy.evaluate`` (what ``destkit plan`` prints) and through
the control's pulumi_policy object (what ``pulumi preview --policy-pack`` runs), so the two paths
cannot drift apart.
"""

from __future__ import annotations

import pytest
from tests.policy import aws_cases, azure_cases, gcp_cases
from tests.policy.builders import Case, pack_messages, results_for

from destkit.policy import all_controls

BASELINES = {"aws": aws_cases.BASE, "azure": azure_cases.BASE, "gcp": gcp_cases.BASE}
VIOLATIONS = [*aws_cases.VIOLATIONS, *azure_cases.VIOLATIONS, *gcp_cases.VIOLATIONS]
PASSING = [*aws_cases.PASSING, *azure_cases.PASSING, *gcp_cases.PASSING]
CHECKED = [c for c in all_controls() if c.check is not None and c.cloud in BASELINES]


@pytest.mark.parametrize("control", CHECKED, ids=lambda c: c.name)
def test_baseline_passes(control):
    results = results_for(control.name, BASELINES[control.cloud])
    assert results, f"{control.name} returned no result"
    # A control that selects part of its resource types (shared-key accounts, 1st-gen functions) may
    # find nothing in the baseline; its passing case is in PASSING.
    allowed = {"passed", "not_applicable"} if control.selector else {"passed"}
    failures = [f"{r.resource}: {r.status} {r.reason}" for r in results if r.status not in allowed]
    assert failures == []


@pytest.mark.parametrize("control", CHECKED, ids=lambda c: c.name)
def test_pack_passes_baseline(control):
    assert pack_messages(control.name, BASELINES[control.cloud]) == []


@pytest.mark.parametrize("case", PASSING, ids=lambda c: c.id)
def test_passing_case(case: Case):
    results = results_for(case.control, case.resources)
    assert results
    assert [r.reason for r in results if r.status != "passed"] == []


@pytest.mark.parametrize("case", PASSING, ids=lambda c: c.id)
def test_pack_passes_case(case: Case):
    assert pack_messages(case.control, case.resources) == []


@pytest.mark.parametrize("case", VIOLATIONS, ids=lambda c: c.id)
def test_violation_caught(case: Case):
    results = results_for(case.control, case.resources)
    violated = [r for r in results if r.status == "violated"]
    assert violated, f"{case.control} reported {[(r.status, r.reason) for r in results]}"
    assert any(case.problem in r.reason for r in violated), [r.reason for r in violated]
    assert all(r.remediation for r in violated)


@pytest.mark.parametrize("case", VIOLATIONS, ids=lambda c: c.id)
def test_pack_catches_violation(case: Case):
    messages = pack_messages(case.control, case.resources)
    assert any(case.problem in message for message in messages), messages


@pytest.mark.parametrize("control", CHECKED, ids=lambda c: c.name)
def test_control_has_violation_case(control):
    assert any(case.control == control.name for case in VIOLATIONS)


@pytest.mark.parametrize("control", CHECKED, ids=lambda c: c.name)
def test_control_has_passing_case(control):
    statuses = {r.status for r in results_for(control.name, BASELINES[control.cloud])}
    assert "passed" in statuses or any(case.control == control.name for case in PASSING)
