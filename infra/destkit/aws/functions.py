"""Lambda functions of the streaming endpoint: log group, role, customer-managed policy, function.

Policy documents come from the pure ``*_policy`` functions below, so tests can compare the
registered documents with exact expected dictionaries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from destkit.aws import defaults
from destkit.aws.packaging import BuiltArchive

# X-Ray's write actions support no resource-level permissions, so they are granted on "*".
XRAY_WRITE_ACTIONS = ("xray:PutTelemetryRecords", "xray:PutTraceSegments")


@dataclass(frozen=True)
class KitFunction:
    """A Lambda function with its own log group, role and policy."""

    function: aws.lambda_.Function
    role: aws.iam.Role
    policy: aws.iam.Policy
    log_group: aws.cloudwatch.LogGroup


def service_trust_policy(service: str, account_id: str) -> dict[str, Any]:
    """Build a trust policy that lets an AWS service assume a role on behalf of one account only."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        ],
    }


def lambda_trust_policy(account_id: str) -> dict[str, Any]:
    return service_trust_policy("lambda.amazonaws.com", account_id)


def create_log_group(
    name: str,
    *,
    log_group_name: pulumi.Input[str],
    retention_days: int,
    kms_key_arn: pulumi.Input[str],
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> aws.cloudwatch.LogGroup:
    """Create a log group with the kit's retention, encrypted with the kit's key."""
    return aws.cloudwatch.LogGroup(
        name,
        name=log_group_name,
        retention_in_days=retention_days,
        kms_key_id=kms_key_arn,
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _base_statements(log_group_arn: str) -> list[dict[str, Any]]:
    return [
        {
            "Sid": "WriteOwnLogGroup",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{log_group_arn}:*",
        },
        {
            "Sid": "WriteTraces",
            "Effect": "Allow",
            "Action": list(XRAY_WRITE_ACTIONS),
            "Resource": "*",
        },
    ]


def intake_policy(
    *,
    log_group_arn: str,
    bucket_arn: str,
    tenants: Sequence[str],
    kms_key_arn: str,
    region: str,
    audience_api: bool,
) -> dict[str, Any]:
    """Build the intake's policy: its log group, create-only writes under each tenant's prefix.

    The intake stores batches under ``<tenant>/payloads/``. With the audience API it also reads,
    overwrites and deletes ``<tenant>/audiences/`` objects; ListBucket on that prefix makes a
    missing object a 404 instead of a 403.
    """
    statements = _base_statements(log_group_arn)
    statements.append(
        {
            "Sid": "StorePayloads",
            "Effect": "Allow",
            "Action": ["s3:PutObject"],
            "Resource": [f"{bucket_arn}/{tenant}/payloads/*" for tenant in tenants],
        }
    )
    if audience_api:
        statements.append(
            {
                "Sid": "ManageAudiences",
                "Effect": "Allow",
                "Action": ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
                "Resource": [f"{bucket_arn}/{tenant}/audiences/*" for tenant in tenants],
            }
        )
        statements.append(
            {
                "Sid": "ListAudiences",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": bucket_arn,
                "Condition": {"StringLike": {"s3:prefix": [f"{tenant}/audiences/*" for tenant in tenants]}},
            }
        )
    # Decrypt is needed only to read audiences back. With a bucket key S3 passes the bucket ARN
    # as encryption context; objects written without one carry their own ARN.
    actions = ["kms:Decrypt", "kms:GenerateDataKey"] if audience_api else ["kms:GenerateDataKey"]
    statements.append(
        {
            "Sid": "EncryptThroughS3",
            "Effect": "Allow",
            "Action": actions,
            "Resource": kms_key_arn,
            "Condition": {
                "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
                "StringLike": {"kms:EncryptionContext:aws:s3:arn": [bucket_arn, f"{bucket_arn}/*"]},
            },
        }
    )
    return {"Version": "2012-10-17", "Statement": statements}


def authorizer_policy(
    *, log_group_arn: str, secret_arns: Sequence[str], kms_key_arn: str, region: str
) -> dict[str, Any]:
    """Build the authorizer's policy: its log group and, for bearer or Basic, the tenants' secrets."""
    statements = _base_statements(log_group_arn)
    if secret_arns:
        statements.append(
            {
                "Sid": "ReadTenantCredentials",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": sorted(secret_arns),
            }
        )
        statements.append(
            {
                "Sid": "DecryptThroughSecretsManager",
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": kms_key_arn,
                "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def create_function(
    name: str,
    *,
    handler: str,
    description: str,
    code: BuiltArchive,
    environment: pulumi.Input[Mapping[str, pulumi.Input[str]]],
    policy_document: pulumi.Input[dict[str, Any]],
    account_id: pulumi.Input[str],
    kms_key_arn: pulumi.Input[str],
    log_group_name: str,
    log_retention_days: int,
    memory_mb: int,
    timeout_seconds: int,
    reserved_concurrency: int | None,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
    layers: Sequence[pulumi.Input[str]] = (),
) -> KitFunction:
    """Create the log group, role, customer-managed policy and arm64 function named ``name``.

    ``policy_document`` must already include the log-group statements (see ``intake_policy``).
    """
    child = pulumi.ResourceOptions(parent=parent)
    log_group = create_log_group(
        f"{name}-logs",
        log_group_name=log_group_name,
        retention_days=log_retention_days,
        kms_key_arn=kms_key_arn,
        tags=tags,
        parent=parent,
    )
    role = aws.iam.Role(
        f"{name}-role",
        description=f"Runs the {description}",
        assume_role_policy=pulumi.Output.json_dumps(
            pulumi.Output.from_input(account_id).apply(lambda_trust_policy)
        ),
        tags=dict(tags),
        opts=child,
    )
    policy = aws.iam.Policy(
        f"{name}-policy",
        description=f"Least privilege of the {description}",
        policy=pulumi.Output.json_dumps(policy_document),
        tags=dict(tags),
        opts=child,
    )
    attachment = aws.iam.RolePolicyAttachment(
        f"{name}-policy-attachment", role=role.name, policy_arn=policy.arn, opts=child
    )
    function = aws.lambda_.Function(
        name,
        description=description,
        runtime=defaults.LAMBDA_RUNTIME,
        architectures=[defaults.LAMBDA_ARCHITECTURE],
        handler=handler,
        code=pulumi.FileArchive(str(code.path)),
        source_code_hash=code.sha256_base64,
        role=role.arn,
        memory_size=memory_mb,
        timeout=timeout_seconds,
        reserved_concurrent_executions=-1 if reserved_concurrency is None else reserved_concurrency,
        environment={"variables": environment},
        kms_key_arn=kms_key_arn,
        tracing_config={"mode": "Active"},
        logging_config={"log_format": "JSON", "log_group": log_group.name},
        layers=list(layers),
        tags=dict(tags),
        # The role needs its policy before the first invocation, and the log group must exist
        # before Lambda would create an unencrypted one without retention.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[attachment, log_group]),
    )
    return KitFunction(function=function, role=role, policy=policy, log_group=log_group)
