"""``Sink``: the hardened bucket where the streaming intake stores each accepted request.

The intake writes ``<tenant>/payloads/<sha256 of the decoded body>.json`` and
``<tenant>/audiences/<id>.json`` with create-only puts (``If-None-Match: *``), so a retried
batch is stored once. S3 rejects the second put with 412 Precondition Failed. EventBridge receives an
object-created event for every new object.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from destkit.aws import defaults, kms
from destkit.aws.buckets import BucketSettings, HardenedBucket, build_bucket, build_log_bucket, check_bucket_names


@dataclass(frozen=True)
class SinkArgs:
    """Settings of a :class:`Sink`."""

    tenants: Sequence[str]
    tags: Mapping[str, str] = field(default_factory=dict)
    kms_key_arn: pulumi.Input[str] | None = None
    """Existing customer-managed key. A key with rotation is created when unset."""
    kms_key_managed: bool = False
    """True when the key's policy delegates to IAM (keys from ``destkit.aws.kms.create_key``)."""
    log_bucket_name: pulumi.Input[str] | None = None
    """Existing server-access-log bucket. One is created when unset."""
    expire_days: int | None = defaults.EXPIRE_DAYS
    noncurrent_version_days: int = defaults.NONCURRENT_VERSION_DAYS
    abort_multipart_days: int = defaults.ABORT_MULTIPART_DAYS
    protect: bool = True


def check_prefix_pattern(prefix_pattern: str) -> None:
    """Raise ValueError unless ``prefix_pattern`` is a key pattern relative to the bucket."""
    if not prefix_pattern or prefix_pattern.startswith("/") or prefix_pattern == "*":
        raise ValueError(
            f"prefix pattern {prefix_pattern!r} is invalid: give a key pattern relative to the bucket "
            "that names a prefix, for example 'tenant-a/payloads/*' or '*/payloads/*'"
        )


def sink_writer_statements(
    bucket_arn: str,
    key_arn: str,
    region: str,
    prefix_pattern: str,
    actions: Sequence[str] = ("s3:PutObject",),
) -> list[dict[str, Any]]:
    """Build the IAM statements that let a writer put objects under ``prefix_pattern`` only.

    ``prefix_pattern`` is relative to the bucket, for example ``*/payloads/*``. A create-only
    put (``If-None-Match: *``) needs nothing beyond ``s3:PutObject``.
    """
    check_prefix_pattern(prefix_pattern)
    return [
        {
            "Sid": "WriteUnderPrefix",
            "Effect": "Allow",
            "Action": list(actions),
            "Resource": f"{bucket_arn}/{prefix_pattern}",
        },
        kms.writer_kms_statement(key_arn, bucket_arn, region),
    ]


class Sink(pulumi.ComponentResource):
    """Hardened S3 bucket for the streaming intake, with a KMS key and access logs."""

    bucket: aws.s3.Bucket
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    key_arn: pulumi.Output[str]
    key: aws.kms.Key | None
    """The key the sink created, or None when an existing key was given."""
    key_managed: bool
    """True when IAM policies alone grant access to the key; otherwise writers need a kms.Grant."""
    parts: HardenedBucket
    log_bucket: HardenedBucket | None
    tenant_prefixes: dict[str, str]
    context: kms.AccountContext

    def __init__(self, name: str, args: SinkArgs, opts: pulumi.ResourceOptions | None = None):
        if not args.tenants:
            raise ValueError(f"Sink {name!r}: tenants is empty; give at least one tenant id")
        check_bucket_names("Sink", name, with_log_bucket=args.log_bucket_name is None)
        super().__init__("destkit:aws:Sink", name, None, opts)
        self.context = kms.lookup_account_context(parent=self)

        if args.kms_key_arn is None:
            self.key = kms.create_key(
                f"{name}-key",
                description=f"Encrypts the streaming sink {name}",
                tags=args.tags,
                protect=args.protect,
                context=self.context,
                parent=self,
            )
            self.key_arn = self.key.arn
            self.key_managed = True
        else:
            self.key = None
            self.key_arn = pulumi.Output.from_input(args.kms_key_arn)
            self.key_managed = args.kms_key_managed

        self.log_bucket = None
        log_bucket_name: pulumi.Input[str]
        if args.log_bucket_name is None:
            self.log_bucket = build_log_bucket(
                f"{name}-logs",
                tags=args.tags,
                account_id=self.context.account_id,
                protect=args.protect,
                parent=self,
            )
            log_bucket_name = self.log_bucket.bucket.bucket
        else:
            log_bucket_name = args.log_bucket_name

        settings = BucketSettings(
            tags=args.tags,
            kms_key_arn=self.key_arn,
            log_bucket=log_bucket_name,
            log_prefix=f"{name}/",
            expire_days=args.expire_days,
            noncurrent_version_days=args.noncurrent_version_days,
            abort_multipart_days=args.abort_multipart_days,
            protect=args.protect,
        )
        self.parts = build_bucket(name, settings, self)
        self.bucket = self.parts.bucket
        self.bucket_name = self.bucket.bucket
        self.bucket_arn = self.bucket.arn
        self.tenant_prefixes = {tenant: f"{tenant}/" for tenant in args.tenants}

        self.register_outputs(
            {"bucket_name": self.bucket_name, "bucket_arn": self.bucket_arn, "key_arn": self.key_arn}
        )

    def writer_policy_statements(
        self, prefix_pattern: str, actions: Sequence[str] = ("s3:PutObject",)
    ) -> pulumi.Output[list[dict[str, Any]]]:
        """Return IAM statements for a writer limited to ``prefix_pattern`` (e.g. ``*/payloads/*``)."""
        check_prefix_pattern(prefix_pattern)
        return pulumi.Output.all(self.bucket_arn, self.key_arn, self.context.region).apply(
            lambda values: sink_writer_statements(values[0], values[1], values[2], prefix_pattern, actions)
        )
