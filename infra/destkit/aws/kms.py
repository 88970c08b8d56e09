"""The customer-managed KMS key that encrypts the kit's buckets, log groups and secrets.

A component that is given no key ARN creates one here, with rotation, a 30-day deletion
window and an explicit key policy. An existing key is used as it is: its policy is not
changed, so the components give their writers ``kms.Grant`` resources instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from destkit.aws import defaults


@dataclass(frozen=True)
class AccountContext:
    """Partition, account id and region of the deploying credentials, as outputs."""

    partition: pulumi.Output[str]
    account_id: pulumi.Output[str]
    region: pulumi.Output[str]


def lookup_account_context(parent: pulumi.Resource | None = None) -> AccountContext:
    """Look up the partition, account id and region the program deploys into."""
    opts = pulumi.InvokeOutputOptions(parent=parent)
    return AccountContext(
        partition=aws.get_partition_output(opts=opts).partition,
        account_id=aws.get_caller_identity_output(opts=opts).account_id,
        region=aws.get_region_output(opts=opts).region,
    )


def key_policy(partition: str, account_id: str, region: str) -> dict[str, Any]:
    """Build the key policy of a kit-created key.

    The account-root statement delegates access to IAM policies, so no principal can lock the
    key out and writers get KMS rights from their own IAM policies. CloudWatch Logs may use
    the key only for log groups of this account and region.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministersKeyThroughIam",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchLogsEncryptsLogGroups",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": [
                    "kms:Decrypt*",
                    "kms:Describe*",
                    "kms:Encrypt*",
                    "kms:GenerateDataKey*",
                    "kms:ReEncrypt*",
                ],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{partition}:logs:{region}:{account_id}:log-group:*"
                        )
                    }
                },
            },
        ],
    }


def create_key(
    name: str,
    *,
    description: str,
    tags: Mapping[str, str],
    protect: bool,
    context: AccountContext,
    parent: pulumi.Resource | None = None,
) -> aws.kms.Key:
    """Create a symmetric key with yearly rotation, a 30-day deletion window and an alias."""
    policy = pulumi.Output.all(context.partition, context.account_id, context.region).apply(
        lambda values: key_policy(values[0], values[1], values[2])
    )
    key = aws.kms.Key(
        name,
        description=description,
        enable_key_rotation=True,
        rotation_period_in_days=defaults.KMS_ROTATION_PERIOD_DAYS,
        deletion_window_in_days=defaults.KMS_DELETION_WINDOW_DAYS,
        policy=pulumi.Output.json_dumps(policy),
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
    )
    aws.kms.Alias(
        f"{name}-alias",
        name=f"alias/{name}",
        target_key_id=key.key_id,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return key


def writer_kms_statement(key_arn: str, bucket_arn: str, region: str) -> dict[str, Any]:
    """Build the IAM statement that lets a writer use the key, only through S3 and one bucket.

    With a bucket key enabled, S3 passes the bucket ARN as encryption context. Objects written
    before the bucket key was enabled carry their own ARN, so the condition accepts both.
    """
    return {
        "Sid": "UseBucketKeyThroughS3",
        "Effect": "Allow",
        "Action": list(defaults.WRITER_KMS_ACTIONS),
        "Resource": key_arn,
        "Condition": {
            "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
            "StringLike": {"kms:EncryptionContext:aws:s3:arn": [bucket_arn, f"{bucket_arn}/*"]},
        },
    }


def create_writer_grants(
    name: str,
    *,
    key_arn: pulumi.Input[str],
    grantees: Sequence[tuple[str, pulumi.Input[str]]],
    parent: pulumi.Resource,
) -> list[aws.kms.Grant]:
    """Grant each ``(suffix, principal ARN)`` the writer's KMS operations on an existing key.

    Used when the key was not created by the kit: its policy may not delegate to IAM, so the
    IAM statement alone might not be enough.
    """
    return [
        aws.kms.Grant(
            f"{name}-{suffix}-grant",
            key_id=key_arn,
            grantee_principal=principal,
            operations=list(defaults.WRITER_KMS_GRANT_OPERATIONS),
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for suffix, principal in grantees
    ]
