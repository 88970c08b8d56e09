"""The pulumi_policy side: pack config for waivers, preview unknowns, and the pack entry point.

No test builds a ``PolicyPack``: constructing one starts the analyzer's gRPC server and blocks.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import jsonschema
import pytest
from pulumi_policy import (
    EnforcementLevel,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationPolicy,
)
from pulumi_policy.proxy import (
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
    unknown_checking_proxy,
)
from tests.policy import aws_cases
from tests.policy.builders import pack_messages, without

from destkit.policy import all_controls, waivers_to_pack_config
from destkit.policy.crossguard import UNKNOWN, build_policies, plain, planned_resource
from destkit.policy.docs import recorded_exceptions, render_compliance_markdown
from destkit.policy.pack_config import WAIVERS_SCHEMA, waivers_from_policy_config
from destkit.waivers import Waiver

PACK_DIR = Path(__file__).resolve().parents[2] / "infra" / "destkit" / "policy" / "pack"
REASON = "AEP holds this credential and cannot rotate it"
WAIVERS = [
    Waiver("secret-rotation", "token-secret", REASON, dt.date(2027, 6, 30)),
    Waiver("secret-rotation", "other-secret", REASON, dt.date(2027, 6, 30)),
    Waiver("kms-rotation", "*", "keys come from the platform team", dt.date(2027, 1, 1)),
]


def test_pack_config_groups_by_policy():
    config = waivers_to_pack_config(WAIVERS)
    assert sorted(config) == ["kms-rotation", "secret-rotation"]
    assert [w["resource"] for w in config["secret-rotation"]["waivers"]] == ["token-secret", "other-secret"]


def test_pack_config_matches_schema():
    config = waivers_to_pack_config(WAIVERS)
    for entry in config.values():
        jsonschema.validate(entry["waivers"], WAIVERS_SCHEMA)


def test_pack_config_round_trip():
    config = waivers_to_pack_config(WAIVERS)
    restored = waivers_from_policy_config("secret-rotation", config["secret-rotation"])
    assert [(w.resource, w.review_by) for w in restored] == [
        ("token-secret", dt.date(2027, 6, 30)),
        ("other-secret", dt.date(2027, 6, 30)),
    ]


def test_pack_config_unknown_control():
    with pytest.raises(ValueError, match="unknown control 's3-public'"):
        waivers_to_pack_config([Waiver("s3-public", "bucket", REASON, dt.date(2027, 1, 1))])


def test_pack_config_empty():
    assert waivers_to_pack_config([]) == {}


def test_pack_honours_waiver():
    resources = without(aws_cases.BASE, "token-rotation")
    assert pack_messages("secret-rotation", resources) != []
    assert pack_messages("secret-rotation", resources, WAIVERS) == []


def test_one_policy_per_control():
    names = [policy.name for policy in build_policies()]
    expected = [c.name for c in all_controls() if c.check is not None]
    assert names == expected


def test_at_least_fifty_controls():
    assert len(build_policies()) >= 50


def test_cross_resource_controls_are_stack_policies():
    policies = {policy.name: policy for policy in build_policies()}
    assert isinstance(policies["s3-block-public-access"], StackValidationPolicy)
    assert isinstance(policies["kms-rotation"], ResourceValidationPolicy)


def test_policy_metadata_from_catalogue():
    policies = {policy.name: policy for policy in build_policies()}
    assert "FSBP S3.8" in policies["s3-block-public-access"].description
    assert policies["s3-block-public-access"].enforcement_level == EnforcementLevel.MANDATORY
    assert policies["s3-replication"].enforcement_level == EnforcementLevel.ADVISORY
    assert "BucketPublicAccessBlock" in (policies["s3-block-public-access"].remediation_steps or "")


def test_plain_unwraps_unknowns():
    proxied = unknown_checking_proxy({"a": {"b": [UNKNOWN_STRING_VALUE, 1]}, "c": True})
    assert plain(proxied) == {"a": {"b": [UNKNOWN, 1]}, "c": True}


def test_unknown_value_equals_nothing():
    resource = planned_resource(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        {"bucket": UNKNOWN_STRING_VALUE},
        "urn:x",
        "x",
    )
    assert resource.inputs["bucket"] is UNKNOWN
    assert resource.inputs["bucket"] != UNKNOWN_STRING_VALUE


def test_unknown_during_preview_defers():
    policy = next(p for p in build_policies() if p.name == "kms-rotation")
    props = unknown_checking_proxy({"enableKeyRotation": UNKNOWN_BOOLEAN_VALUE})
    args = ResourceValidationArgs(
        "aws:kms/key:Key", props, "urn:pulumi:s::p::aws:kms/key:Key::key", "key", None, None, {}, {}
    )
    with pytest.raises(UnknownValueError):
        policy.validate(args, lambda message, urn=None: None)


def test_known_violation_reported():
    policy = next(p for p in build_policies() if p.name == "kms-rotation")
    messages: list[str] = []
    props = unknown_checking_proxy({"enableKeyRotation": False})
    args = ResourceValidationArgs(
        "aws:kms/key:Key", props, "urn:pulumi:s::p::aws:kms/key:Key::key", "key", None, None, {}, {}
    )
    policy.validate(args, lambda message, urn=None: messages.append(message))
    assert len(messages) == 1
    assert messages[0].startswith("enableKeyRotation is not true. Set enable_key_rotation=True")


def test_pack_entry_point_files():
    assert (PACK_DIR / "PulumiPolicy.yaml").read_text().startswith("runtime: python")
    main = (PACK_DIR / "__main__.py").read_text()
    assert "PolicyPack(" in main
    assert "build_policies()" in main


def test_policy_pack_built_only_in_entry_point():
    sources = Path(__file__).resolve().parents[2] / "infra" / "destkit"
    builders = [p for p in sources.rglob("*.py") if "PolicyPack(" in p.read_text() and p.parent != PACK_DIR]
    assert builders == []


def test_compliance_page_current():
    committed = (Path(__file__).resolve().parents[2] / "docs" / "compliance.md").read_text()
    assert committed == render_compliance_markdown(), (
        "docs/compliance.md is stale: run python -m destkit.policy.docs"
    )


def test_compliance_page_lists_every_control():
    page = render_compliance_markdown()
    assert [c.name for c in all_controls() if f"| `{c.name}` |" not in page] == []


def test_recorded_exceptions_found():
    exceptions = recorded_exceptions()
    assert all(e.reason for e in exceptions)
    assert {"secret-rotation", "st-no-shared-key"} <= {e.control for e in exceptions}


def test_recorded_exception_reads_f_strings(tmp_path):
    source = tmp_path / "component.py"
    source.write_text(
        "from destkit import waivers\n"
        "REASON = 'a reason that is long enough'\n"
        "def build(name):\n"
        "    waivers.record('kms-rotation', f'{name}-key', REASON)\n"
        "    waivers.record(control, 'x', 'not a literal control')\n"
    )
    exceptions = recorded_exceptions(tmp_path, tmp_path)
    assert [(e.control, e.resource, e.reason) for e in exceptions] == [
        ("kms-rotation", "{name}-key", "a reason that is long enough")
    ]
