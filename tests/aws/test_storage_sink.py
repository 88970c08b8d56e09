"""Sink and the hardened-bucket builder under the mock engine: what was registered, exactly."""

from __future__ import annotations

import json

import pulumi
import pytest

from destkit.aws import buckets, kms
from destkit.aws.sink import Sink, SinkArgs
from destkit.plan.engine import PlanResult, run_program
from destkit.plan.mocks import AWS_ACCOUNT_ID

NAME = "acme-dev-sink"
TAGS = {"owner": "data-platform", "destkit:destination": "acme", "destkit:environment": "dev"}
EXISTING_KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _run(args: SinkArgs) -> PlanResult:
    def program() -> None:
        component = Sink(NAME, args)
        pulumi.export("statements", component.writer_policy_statements("*/payloads/*"))
        pulumi.export("bucket_arn", component.bucket_arn)
        pulumi.export("key_arn", component.key_arn)

    return run_program(program)


@pytest.fixture(scope="module")
def plan() -> PlanResult:
    return _run(SinkArgs(tenants=["retail-eu", "retail-us"], tags=TAGS, expire_days=14))


def _sidecar(plan: PlanResult, type_name: str, suffix: str):
    return plan.one(f"aws:s3/{type_name[0].lower()}{type_name[1:]}:{type_name}", f"{NAME}-{suffix}")


def test_sink_component_type(plan):
    assert plan.one("destkit:aws:Sink", NAME).component


def test_sink_children_parented(plan):
    sink_urn = plan.one("destkit:aws:Sink", NAME).urn
    children = [r for r in plan.resources if r.type != "destkit:aws:Sink"]
    assert all(r.parent == sink_urn for r in children)


def test_sink_children_named_after_component(plan):
    children = [r for r in plan.resources if r.type != "destkit:aws:Sink"]
    assert all(r.name.startswith(f"{NAME}-") for r in children)


def test_sink_two_buckets(plan):
    names = sorted(r.name for r in plan.find("aws:s3/bucket:Bucket"))
    assert names == [f"{NAME}-bucket", f"{NAME}-logs-bucket"]


def test_buckets_not_force_destroy(plan):
    for bucket in plan.find("aws:s3/bucket:Bucket"):
        assert bucket.inputs["forceDestroy"] is False


def test_buckets_tagged(plan):
    for bucket in plan.find("aws:s3/bucket:Bucket"):
        assert bucket.inputs["tags"] == TAGS


def test_public_access_all_blocked(plan):
    block = _sidecar(plan, "BucketPublicAccessBlock", "public-access")
    for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
        assert block.inputs[flag] is True, flag


def test_acls_disabled(plan):
    controls = _sidecar(plan, "BucketOwnershipControls", "ownership")
    assert controls.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}


def test_encryption_uses_created_key(plan):
    key_arn = plan.outputs["key_arn"]
    encryption = _sidecar(plan, "BucketServerSideEncryptionConfiguration", "encryption")
    assert encryption.inputs["rules"] == [
        {
            "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn},
            "bucketKeyEnabled": True,
        }
    ]


def test_versioning_enabled(plan):
    versioning = _sidecar(plan, "BucketVersioning", "versioning")
    assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}


def test_lifecycle_rule_exact(plan):
    lifecycle = _sidecar(plan, "BucketLifecycleConfiguration", "lifecycle")
    assert lifecycle.inputs["rules"] == [
        {
            "id": "landing-retention",
            "status": "Enabled",
            "filter": {},
            "abortIncompleteMultipartUpload": {"daysAfterInitiation": 1},
            "noncurrentVersionExpiration": {"noncurrentDays": 7},
            "expiration": {"days": 14},
        }
    ]


def test_bucket_policy_registered_exact(plan):
    policy = _sidecar(plan, "BucketPolicy", "policy")
    assert json.loads(policy.inputs["policy"]) == buckets.bucket_policy(plan.outputs["bucket_arn"])


def test_access_logs_to_log_bucket(plan):
    log_bucket = plan.one("aws:s3/bucket:Bucket", f"{NAME}-logs-bucket")
    logging = _sidecar(plan, "BucketLogging", "access-logs")
    assert logging.inputs["targetBucket"] == log_bucket.outputs["bucket"]
    assert logging.inputs["targetPrefix"] == f"{NAME}/"


def test_access_logs_not_to_self(plan):
    for logging in plan.find("aws:s3/bucketLogging:BucketLogging"):
        assert logging.inputs["targetBucket"] != logging.inputs["bucket"]


def test_eventbridge_notifications(plan):
    notification = _sidecar(plan, "BucketNotification", "events")
    assert notification.inputs["eventbridge"] is True


def test_log_bucket_sse_s3(plan):
    encryption = _sidecar(plan, "BucketServerSideEncryptionConfiguration", "logs-encryption")
    assert encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}


def test_log_bucket_not_logged(plan):
    targets = [r.name for r in plan.find("aws:s3/bucketLogging:BucketLogging")]
    assert targets == [f"{NAME}-access-logs"]


def test_log_bucket_policy_exact(plan):
    log_bucket = plan.one("aws:s3/bucket:Bucket", f"{NAME}-logs-bucket")
    policy = _sidecar(plan, "BucketPolicy", "logs-policy")
    arn = log_bucket.outputs["arn"]
    assert json.loads(policy.inputs["policy"]) == buckets.bucket_policy(
        arn, [buckets.access_log_delivery_statement(arn, AWS_ACCOUNT_ID)]
    )


def test_log_bucket_waivers(plan):
    waived = sorted(w.control for w in plan.waivers if w.resource == f"{NAME}-logs-bucket")
    assert waived == ["s3-access-logging", "s3-object-level-trail", "s3-replication", "s3-sse-kms-cmk"]


def test_sink_bucket_waivers(plan):
    waived = sorted(w.control for w in plan.waivers if w.resource == f"{NAME}-bucket")
    assert waived == ["s3-object-level-trail", "s3-replication"]


def test_key_rotation_and_window(plan):
    key = plan.one("aws:kms/key:Key", f"{NAME}-key")
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["rotationPeriodInDays"] == 365
    assert key.inputs["deletionWindowInDays"] == 30


def test_key_policy_registered_exact(plan):
    key = plan.one("aws:kms/key:Key", f"{NAME}-key")
    assert json.loads(key.inputs["policy"]) == kms.key_policy("aws", AWS_ACCOUNT_ID, "us-east-1")


def test_key_no_lockout_bypass(plan):
    key = plan.one("aws:kms/key:Key", f"{NAME}-key")
    assert not key.inputs.get("bypassPolicyLockoutSafetyCheck")


def test_key_alias(plan):
    alias = plan.one("aws:kms/alias:Alias", f"{NAME}-key-alias")
    assert alias.inputs["name"] == f"alias/{NAME}-key"


def test_writer_statements_output(plan):
    expected = [
        {
            "Sid": "WriteUnderPrefix",
            "Effect": "Allow",
            "Action": ["s3:PutObject"],
            "Resource": plan.outputs["bucket_arn"] + "/*/payloads/*",
        },
        kms.writer_kms_statement(plan.outputs["key_arn"], plan.outputs["bucket_arn"], "us-east-1"),
    ]
    assert plan.outputs["statements"] == expected


def test_existing_key_not_created():
    plan = _run(SinkArgs(tenants=["a"], kms_key_arn=EXISTING_KEY))
    assert plan.find("aws:kms/key:Key") == []


def test_existing_key_encrypts_bucket():
    plan = _run(SinkArgs(tenants=["a"], kms_key_arn=EXISTING_KEY))
    encryption = _sidecar(plan, "BucketServerSideEncryptionConfiguration", "encryption")
    assert encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == EXISTING_KEY


def test_existing_log_bucket_used():
    plan = _run(SinkArgs(tenants=["a"], log_bucket_name="corp-access-logs"))
    assert [r.name for r in plan.find("aws:s3/bucket:Bucket")] == [f"{NAME}-bucket"]
    assert _sidecar(plan, "BucketLogging", "access-logs").inputs["targetBucket"] == "corp-access-logs"


def test_existing_log_bucket_no_waiver():
    plan = _run(SinkArgs(tenants=["a"], log_bucket_name="corp-access-logs"))
    assert [w for w in plan.waivers if w.control in ("s3-access-logging", "s3-sse-kms-cmk")] == []


def test_sink_without_tenants_rejected():
    with pytest.raises(ValueError, match="tenants is empty"):
        _run(SinkArgs(tenants=[]))


def test_writer_statements_reject_bucket_wide():
    def program() -> None:
        Sink(NAME, SinkArgs(tenants=["a"])).writer_policy_statements("*")

    with pytest.raises(ValueError, match="prefix pattern"):
        run_program(program)


def _built_sink(protect: bool) -> Sink:
    # Pulumi keeps the protect option on the resource object (Resource._protect), which is how
    # children inherit it; the offline plan does not record resource options.
    box: dict[str, Sink] = {}
    run_program(lambda: box.setdefault("sink", Sink(NAME, SinkArgs(tenants=["a"], protect=protect))))
    return box["sink"]


def test_protect_data_stores():
    built = _built_sink(protect=True)
    assert built.bucket._protect is True
    assert built.key is not None
    assert built.key._protect is True
    assert built.log_bucket is not None
    assert built.log_bucket.bucket._protect is True


def test_protect_off_when_disabled():
    built = _built_sink(protect=False)
    assert not built.bucket._protect
    assert built.key is not None
    assert not built.key._protect


def test_sidecars_not_protected():
    built = _built_sink(protect=True)
    assert not built.parts.policy._protect


def test_long_name_rejected():
    # 49 characters + "-logs-bucket" + the 8-character suffix is 69, over S3's 63.
    with pytest.raises(ValueError, match="generated name"):
        Sink("s" * 49, SinkArgs(tenants=["a"]))


def test_long_name_fits_with_existing_log_bucket():
    plan = run_program(lambda: Sink("s" * 48, SinkArgs(tenants=["a"], log_bucket_name="corp-access-logs")))
    assert len(plan.find("aws:s3/bucket:Bucket")) == 1
