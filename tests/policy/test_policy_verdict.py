"""The verdict's statuses: waivers, expired review dates, not-applicable controls and odd inputs."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.policy import aws_cases, azure_cases, gcp_cases
from tests.policy.builders import STACK_URN, TODAY, changed, make, results_for, stack_resource, without

from destkit.policy import all_controls, controls_for, evaluate
from destkit.waivers import Waiver

NO_BLOCK = without(aws_cases.BASE, "landing-public-access")


def waiver(control: str, resource: str, review_by: dt.date = dt.date(2027, 12, 31)) -> Waiver:
    return Waiver(control, resource, "AEP cannot write with the block in place", review_by)


def test_waiver_marks_waived():
    results = results_for(
        "s3-block-public-access", NO_BLOCK, [waiver("s3-block-public-access", "landing-bucket")]
    )
    landing = [r for r in results if r.resource.endswith("::landing-bucket")]
    assert [r.status for r in landing] == ["waived"]


def test_waiver_copies_reason_and_date():
    results = results_for(
        "s3-block-public-access", NO_BLOCK, [waiver("s3-block-public-access", "landing-bucket")]
    )
    landing = next(r for r in results if r.resource.endswith("::landing-bucket"))
    assert landing.reason == "AEP cannot write with the block in place"
    assert landing.review_by == "2027-12-31"
    assert landing.warning is None


def test_waiver_star_matches_every_resource():
    results = results_for("s3-block-public-access", NO_BLOCK, [waiver("s3-block-public-access", "*")])
    assert {r.status for r in results} == {"waived", "passed"}


def test_waiver_urn_suffix_matches():
    suffix = "aws:s3/bucket:Bucket::landing-bucket"
    results = results_for("s3-block-public-access", NO_BLOCK, [waiver("s3-block-public-access", suffix)])
    assert "waived" in {r.status for r in results}


def test_waiver_full_urn_matches():
    urn = "urn:pulumi:test::aep-destination-kit::aws:s3/bucket:Bucket::landing-bucket"
    results = results_for("s3-block-public-access", NO_BLOCK, [waiver("s3-block-public-access", urn)])
    assert "waived" in {r.status for r in results}


def test_waiver_name_prefix_ignored():
    # "landing" is a prefix of the logical name "landing-bucket", not the name itself.
    results = results_for("s3-block-public-access", NO_BLOCK, [waiver("s3-block-public-access", "landing")])
    assert "waived" not in {r.status for r in results}


def test_waiver_other_control_ignored():
    results = results_for("s3-block-public-access", NO_BLOCK, [waiver("s3-versioning", "landing-bucket")])
    assert "violated" in {r.status for r in results}


def test_waiver_other_resource_ignored():
    results = results_for(
        "s3-block-public-access", NO_BLOCK, [waiver("s3-block-public-access", "logs-bucket")]
    )
    assert "violated" in {r.status for r in results}


def test_expired_waiver_warns_not_violates():
    expired = [waiver("s3-block-public-access", "landing-bucket", dt.date(2026, 1, 31))]
    results = results_for("s3-block-public-access", NO_BLOCK, expired, today=dt.date(2026, 2, 1))
    landing = next(r for r in results if r.resource.endswith("::landing-bucket"))
    assert landing.status == "waived"
    assert "2026-01-31 has passed" in (landing.warning or "")


def test_review_date_today_no_warning():
    due = [waiver("s3-block-public-access", "landing-bucket", dt.date(2026, 2, 1))]
    results = results_for("s3-block-public-access", NO_BLOCK, due, today=dt.date(2026, 2, 1))
    landing = next(r for r in results if r.resource.endswith("::landing-bucket"))
    assert landing.warning is None


def test_waiver_on_passing_resource_passes():
    results = results_for("s3-versioning", aws_cases.BASE, [waiver("s3-versioning", "landing-bucket")])
    assert {r.status for r in results} == {"passed"}


@pytest.mark.parametrize("cloud", ["aws", "azure", "gcp"])
def test_empty_stack_lists_every_control(cloud):
    results = evaluate(cloud, [stack_resource()], [], TODAY)
    assert {r.control for r in results} == {c.name for c in controls_for(cloud)}


@pytest.mark.parametrize("cloud", ["aws", "azure", "gcp"])
def test_empty_stack_nothing_violated(cloud):
    results = evaluate(cloud, [stack_resource()], [], TODAY)
    assert [r.control for r in results if r.status == "violated"] == []


def test_not_applicable_names_missing_type():
    results = evaluate("aws", [stack_resource()], [], TODAY)
    sftp = next(r for r in results if r.control == "sftp-server-hardening")
    assert sftp.status == "not_applicable"
    assert sftp.reason == "no aws:transfer/server:Server in this stack"
    assert sftp.resource == STACK_URN


def test_not_applicable_derives_stack_urn():
    bucket = make("aws:s3/bucket:Bucket", "landing", {})
    results = evaluate("aws", [bucket], [], TODAY)
    sftp = next(r for r in results if r.control == "sftp-server-hardening")
    assert (
        sftp.resource == "urn:pulumi:test::aep-destination-kit::pulumi:pulumi:Stack::aep-destination-kit-test"
    )


def test_not_applicable_catalogue_row():
    results = evaluate("aws", [stack_resource()], [], TODAY)
    lock = next(r for r in results if r.control == "s3-object-lock")
    assert lock.status == "not_applicable"
    assert "overwrites" in lock.reason


def test_forbidden_type_absent_passes():
    results = evaluate("gcp", [stack_resource()], [], TODAY)
    keys = next(r for r in results if r.control == "no-sa-json-keys")
    assert keys.status == "passed"


def test_selector_scope_in_reason():
    results = results_for("fn-https-only", gcp_cases.BASE)
    assert [r.status for r in results] == ["not_applicable"]
    assert results[0].reason.startswith("no 1st-gen gcp:cloudfunctions/function:Function")


def test_result_carries_sources_and_enforcement():
    results = results_for("s3-replication", without(aws_cases.BASE, "landing-replication"))
    violated = next(r for r in results if r.status == "violated")
    assert violated.enforcement == "advisory"
    assert "CKV_AWS_144" in violated.source_ids


def test_unknown_cloud_rejected():
    with pytest.raises(ValueError, match="unknown cloud 'oracle'"):
        evaluate("oracle", [], [], TODAY)


def test_public_access_block_of_other_bucket():
    # A block that names another bucket does not protect this one.
    resources = changed(aws_cases.BASE, "landing-public-access", bucket=aws_cases.LOGS)
    landing = next(
        r for r in results_for("s3-block-public-access", resources) if "landing-bucket" in r.resource
    )
    assert landing.status == "violated"


def test_waf_association_other_stage():
    other = "arn:aws:apigateway:eu-west-1::/restapis/zzz999/stages/test"
    resources = changed(aws_cases.BASE, "web-acl-association", resourceArn=other)
    assert "violated" in {r.status for r in results_for("apigw-waf", resources)}


def test_malformed_policy_json():
    resources = changed(aws_cases.BASE, "landing-policy", policy="{not json")
    results = results_for("s3-policy-principals", resources)
    assert any("not a JSON policy document" in r.reason for r in results)


def test_malformed_trust_policy():
    resources = changed(aws_cases.BASE, "intake-role", assumeRolePolicy=["unexpected", "list"])
    results = results_for("iam-trust-scoped", resources)
    assert any("assumeRolePolicy is missing" in r.reason for r in results)


def test_wrong_shape_is_violation():
    vault = make("azure-native:keyvault:Vault", "vault", {"properties": [None]})
    results = results_for("kv-hardening", [vault])
    assert [r.status for r in results] == ["violated"]


def test_wrong_shape_named_in_reason():
    hmac_key = make("gcp:storage/hmacKey:HmacKey", "hmac", {"serviceAccountEmail": ["not", "a", "string"]})
    results = results_for("gcs-hmac-key-hygiene", [hmac_key])
    assert all(r.status == "violated" for r in results)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 500) | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)
BASELINE = [*aws_cases.BASE, *azure_cases.BASE, *gcp_cases.BASE]
TYPES = sorted({t for c in all_controls() for t in c.resource_types})
# The input names the baselines use, so that hostile values land where the checks read.
KNOWN_KEYS = sorted({key for resource in BASELINE for key in resource.inputs})


@settings(max_examples=150, deadline=None, database=None)
@given(
    resource_type=st.sampled_from(TYPES),
    inputs=st.dictionaries(st.sampled_from(KNOWN_KEYS) | st.text(max_size=10), JSON_VALUES, max_size=6),
)
def test_hostile_inputs_never_crash(resource_type, inputs):
    cloud = next(c.cloud for c in all_controls() if resource_type in c.resource_types)
    resource = make(resource_type, "hostile", inputs)
    results = evaluate(cloud, [stack_resource(), resource, *BASELINE], [], TODAY)
    assert {r.status for r in results} <= {"passed", "violated", "waived", "not_applicable"}


WRITER_KMS_GRANT = {
    "Sid": "WriterUsesTheKeyThroughS3",
    "Effect": "Allow",
    "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
    "Resource": aws_cases.KEY_ARN,
    "Condition": {
        "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"},
        "ArnLike": {"kms:EncryptionContext:aws:s3:arn": f"arn:aws:s3:::{aws_cases.LANDING}/*"},
    },
}


@pytest.mark.parametrize("control", ["kms-no-decrypt-on-star", "iam-no-wildcards", "iam-no-admin"])
def test_writer_kms_grant_passes(control):
    # An SSE-KMS bucket needs the writer to hold these two actions on the key.
    resources = changed(aws_cases.BASE, "writer-policy", policy=aws_cases.doc(WRITER_KMS_GRANT))
    assert {r.status for r in results_for(control, resources)} == {"passed"}


def test_adobe_user_trust_passes():
    trust = aws_cases.doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::670664943635:user/destinations-adobe-user"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "0123456789ABCDEF@AdobeOrg"}},
        }
    )
    resources = changed(aws_cases.BASE, "adobe-writer-role", assumeRolePolicy=trust)
    assert {r.status for r in results_for("iam-trust-scoped", resources)} == {"passed"}


def test_adobe_trust_without_external_id():
    trust = aws_cases.doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::670664943635:user/destinations-adobe-user"},
            "Action": "sts:AssumeRole",
        }
    )
    resources = changed(aws_cases.BASE, "adobe-writer-role", assumeRolePolicy=trust)
    reasons = [r.reason for r in results_for("iam-trust-scoped", resources) if r.status == "violated"]
    assert any("no sts:ExternalId condition" in reason for reason in reasons)
