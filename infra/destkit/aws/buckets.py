"""One hardened S3 bucket builder, reused by the sink, the drop zones and the access-log bucket.

Every bucket gets all four public-access-block flags, ACLs disabled (BucketOwnerEnforced), a
policy that denies plain HTTP and TLS older than 1.2, default encryption and versioning. It also
gets a lifecycle that aborts incomplete multipart uploads and expires noncurrent versions, server
access logs to a separate bucket, EventBridge notifications, no force-destroy and, when
requested, Pulumi ``protect``. The access-log bucket is the one recorded exception: it uses
SSE-S3 and does not log its own access.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from destkit import naming, waivers
from destkit.aws import defaults


@dataclass(frozen=True)
class BucketSettings:
    """Per-bucket settings of the hardened-bucket builder. Everything else is a fixed secure default."""

    tags: Mapping[str, str]
    kms_key_arn: pulumi.Input[str] | None
    """Customer-managed key for SSE-KMS with a bucket key. ``None`` means SSE-S3 (log bucket only)."""
    log_bucket: pulumi.Input[str] | None
    """Name of the server-access-log bucket. ``None`` only for the log bucket itself."""
    log_prefix: str = ""
    expire_days: int | None = defaults.EXPIRE_DAYS
    noncurrent_version_days: int = defaults.NONCURRENT_VERSION_DAYS
    abort_multipart_days: int = defaults.ABORT_MULTIPART_DAYS
    protect: bool = True
    eventbridge: bool = True
    extra_statements: Callable[..., list[dict[str, Any]]] | None = None
    """Builds extra bucket-policy statements from the bucket ARN and the resolved ``extra_inputs``."""
    extra_inputs: list[pulumi.Input[Any]] = field(default_factory=list)


@dataclass
class HardenedBucket:
    """The bucket and its side-car resources."""

    bucket: aws.s3.Bucket
    public_access_block: aws.s3.BucketPublicAccessBlock
    ownership_controls: aws.s3.BucketOwnershipControls
    encryption: aws.s3.BucketServerSideEncryptionConfiguration
    versioning: aws.s3.BucketVersioning
    lifecycle: aws.s3.BucketLifecycleConfiguration
    policy: aws.s3.BucketPolicy
    logging: aws.s3.BucketLogging | None
    notification: aws.s3.BucketNotification | None


def transport_deny_statements(bucket_arn: str) -> list[dict[str, Any]]:
    """Build the statements that deny plain HTTP and TLS older than 1.2 on the bucket."""
    resources = [bucket_arn, f"{bucket_arn}/*"]
    return [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "DenyTlsBelow12",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {"NumericLessThan": {"s3:TlsVersion": defaults.MIN_TLS_VERSION}},
        },
    ]


def bucket_policy(bucket_arn: str, extra: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Build a bucket policy: the transport denials, then ``extra`` statements."""
    return {
        "Version": "2012-10-17",
        "Statement": [*transport_deny_statements(bucket_arn), *(extra or [])],
    }


def access_log_delivery_statement(log_bucket_arn: str, account_id: str) -> dict[str, Any]:
    """Build the statement that lets S3 server access logging write into the log bucket.

    With ACLs disabled the log delivery group cannot be granted by ACL, so the logging
    service principal gets PutObject, limited to source buckets of this account.
    """
    return {
        "Sid": "S3ServerAccessLogsDelivery",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"{log_bucket_arn}/*",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
    }


def lifecycle_rules(settings: BucketSettings) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
    """Build one lifecycle rule with an empty filter, so that it covers the whole bucket."""
    expiration = None
    if settings.expire_days is not None:
        expiration = aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=settings.expire_days)
    return [
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="landing-retention",
            status="Enabled",
            filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(),
            abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=settings.abort_multipart_days
            ),
            noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=settings.noncurrent_version_days
            ),
            expiration=expiration,
        )
    ]


def check_bucket_names(component: str, name: str, *, with_log_bucket: bool) -> None:
    """Raise ValueError when the bucket names built from ``name`` break S3's naming rules."""
    logical_names = [f"{name}-bucket"] + ([f"{name}-logs-bucket"] if with_log_bucket else [])
    for logical in logical_names:
        physical = naming.autonamed(logical)
        naming.check_name_fits(component, name, physical, naming.s3_bucket_problem(physical))


def build_bucket(name: str, settings: BucketSettings, parent: pulumi.Resource | None) -> HardenedBucket:
    """Create a hardened bucket named ``<name>-bucket`` and its side-car resources under ``parent``."""
    child = pulumi.ResourceOptions(parent=parent)
    bucket = aws.s3.Bucket(
        f"{name}-bucket",
        force_destroy=False,
        tags=dict(settings.tags),
        opts=pulumi.ResourceOptions(parent=parent, protect=settings.protect),
    )

    public_access_block = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=child,
    )
    ownership_controls = aws.s3.BucketOwnershipControls(
        f"{name}-ownership",
        bucket=bucket.id,
        rule={"object_ownership": "BucketOwnerEnforced"},
        opts=child,
    )

    by_default = aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs
    if settings.kms_key_arn is None:
        default_encryption = by_default(sse_algorithm="AES256")
    else:
        default_encryption = by_default(sse_algorithm="aws:kms", kms_master_key_id=settings.kms_key_arn)
    encryption = aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=default_encryption,
                bucket_key_enabled=settings.kms_key_arn is not None,
            )
        ],
        opts=child,
    )
    versioning = aws.s3.BucketVersioning(
        f"{name}-versioning",
        bucket=bucket.id,
        versioning_configuration={"status": "Enabled"},
        opts=child,
    )
    # Lifecycle rules on a versioned bucket must follow the versioning change.
    lifecycle = aws.s3.BucketLifecycleConfiguration(
        f"{name}-lifecycle",
        bucket=bucket.id,
        rules=lifecycle_rules(settings),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[versioning]),
    )

    extra_statements = settings.extra_statements
    policy_document = pulumi.Output.all(bucket.arn, *settings.extra_inputs).apply(
        lambda values: bucket_policy(values[0], extra_statements(*values) if extra_statements else None)
    )
    # Public access block first: a policy put before it could briefly be evaluated as public.
    policy = aws.s3.BucketPolicy(
        f"{name}-policy",
        bucket=bucket.id,
        policy=pulumi.Output.json_dumps(policy_document),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[public_access_block]),
    )

    logging = None
    if settings.log_bucket is not None:
        logging = aws.s3.BucketLogging(
            f"{name}-access-logs",
            bucket=bucket.id,
            target_bucket=settings.log_bucket,
            target_prefix=settings.log_prefix or f"{name}/",
            opts=child,
        )

    notification = None
    if settings.eventbridge:
        notification = aws.s3.BucketNotification(
            f"{name}-events",
            bucket=bucket.id,
            eventbridge=True,
            opts=child,
        )

    waivers.record(
        "s3-replication",
        f"{name}-bucket",
        "Landed files are transient copies that AEP can export again, so cross-region replication "
        "would double storage cost without protecting data that exists only here.",
    )
    waivers.record(
        "s3-object-level-trail",
        f"{name}-bucket",
        "CloudTrail trails are account-scoped and usually owned by the account's platform team; "
        "add this bucket's data events to the account trail there.",
    )
    return HardenedBucket(
        bucket=bucket,
        public_access_block=public_access_block,
        ownership_controls=ownership_controls,
        encryption=encryption,
        versioning=versioning,
        lifecycle=lifecycle,
        policy=policy,
        logging=logging,
        notification=notification,
    )


def build_log_bucket(
    name: str,
    *,
    tags: Mapping[str, str],
    account_id: pulumi.Input[str],
    protect: bool,
    parent: pulumi.Resource | None,
) -> HardenedBucket:
    """Create the server-access-log bucket: SSE-S3, no access logs of its own, no notifications."""
    settings = BucketSettings(
        tags=tags,
        kms_key_arn=None,
        log_bucket=None,
        expire_days=defaults.ACCESS_LOG_EXPIRE_DAYS,
        protect=protect,
        eventbridge=False,
        extra_statements=lambda arn, account: [access_log_delivery_statement(arn, account)],
        extra_inputs=[account_id],
    )
    parts = build_bucket(name, settings, parent)

    bucket_name = f"{name}-bucket"
    waivers.record(
        "s3-access-logging",
        bucket_name,
        "This bucket receives the server access logs of the kit's buckets; logging it to itself "
        "would loop and logging it elsewhere needs yet another bucket.",
    )
    waivers.record(
        "s3-sse-kms-cmk",
        bucket_name,
        "S3 server access log delivery supports SSE-S3 target buckets; AWS documents no support "
        "for SSE-KMS targets, so the log bucket uses SSE-S3 (AES256).",
    )
    return parts

