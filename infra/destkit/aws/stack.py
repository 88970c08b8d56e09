"""The AWS stack: one KMS key and access-log bucket shared by the sink, the drop zones and the
streaming endpoint, and the stack outputs named in ``destkit.outputs``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from destkit.aws import defaults, kms
from destkit.aws.buckets import build_log_bucket
from destkit.aws.dropzone import S3DropZone, S3DropZoneArgs
from destkit.aws.sftp import SftpDropZone, SftpDropZoneArgs
from destkit.aws.sink import Sink, SinkArgs
from destkit.config import KitConfig


@dataclass(frozen=True)
class StackKey:
    """The stack's customer-managed KMS key."""

    arn: pulumi.Output[str]
    managed: bool
    """True when the kit created the key, so its policy delegates to IAM policies."""
    resource: aws.kms.Key | None


def build_stack(config: KitConfig) -> dict[str, Any]:
    """Build every AWS component that ``config`` enables and return the stack outputs by name."""
    prefix = config.prefix
    tags = defaults.tags(config.tags, config.destination.name, config.destination.environment)
    protect = config.destination.protect_data
    context = kms.lookup_account_context()

    key = _build_key(config, tags, context)
    log_bucket_name: pulumi.Input[str]
    if config.aws.log_bucket_name is not None:
        log_bucket_name = config.aws.log_bucket_name
    else:
        log_bucket = build_log_bucket(
            f"{prefix}-access-logs", tags=tags, account_id=context.account_id, protect=protect, parent=None
        )
        log_bucket_name = log_bucket.bucket.bucket

    outputs: dict[str, Any] = {"cloud": "aws", "region": context.region, "tenants": list(config.tenants)}
    batch = config.batch

    if config.streaming.enabled:
        sink = Sink(
            f"{prefix}-sink",
            SinkArgs(
                tenants=config.tenants,
                tags=tags,
                kms_key_arn=key.arn,
                kms_key_managed=key.managed,
                log_bucket_name=log_bucket_name,
                expire_days=batch.expire_days,
                noncurrent_version_days=batch.noncurrent_version_days,
                abort_multipart_days=batch.abort_multipart_days,
                protect=protect,
            ),
        )
        outputs["sink"] = sink.bucket_name
        outputs["sink_prefixes"] = dict(sink.tenant_prefixes)
        outputs.update(_build_streaming(config, key, sink))

    dropzone = None
    if batch.s3.enabled:
        dropzone = S3DropZone(
            f"{prefix}-s3",
            S3DropZoneArgs(
                tenants=config.tenants,
                tags=tags,
                writer=batch.s3.writer,
                external_id=batch.s3.external_id,
                allowed_cidrs=batch.s3.allowed_cidrs,
                list_scope=batch.s3.list_scope,
                kms_key_arn=key.arn,
                kms_key_managed=key.managed,
                log_bucket_name=log_bucket_name,
                expire_days=batch.expire_days,
                noncurrent_version_days=batch.noncurrent_version_days,
                abort_multipart_days=batch.abort_multipart_days,
                protect=protect,
            ),
        )
        outputs.update(_s3_outputs(config, dropzone))

    if batch.sftp.enabled:
        vpc = config.aws.vpc
        sftp = SftpDropZone(
            f"{prefix}-sftp",
            SftpDropZoneArgs(
                tenants=config.tenants,
                tags=tags,
                allowed_cidrs=tuple(batch.sftp.allowed_cidrs),
                public_keys=dict(batch.sftp.public_keys),
                # With an S3 drop zone, SFTP users land in the same bucket under the same prefixes.
                bucket_name=dropzone.bucket_name if dropzone else None,
                bucket_arn=dropzone.bucket_arn if dropzone else None,
                kms_key_arn=key.arn,
                kms_key_managed=key.managed,
                log_bucket_name=log_bucket_name,
                vpc_id=vpc.vpc_id if vpc else None,
                subnet_ids=tuple(vpc.subnet_ids) if vpc else (),
                log_retention_days=config.destination.log_retention_days,
                expire_days=batch.expire_days,
                protect=protect,
            ),
        )
        outputs.update(_sftp_outputs(sftp))

    return outputs


def _build_key(config: KitConfig, tags: dict[str, str], context: kms.AccountContext) -> StackKey:
    if config.aws.kms_key_arn is not None:
        return StackKey(arn=pulumi.Output.from_input(config.aws.kms_key_arn), managed=False, resource=None)
    key = kms.create_key(
        f"{config.prefix}-key",
        description=f"Encrypts the data, logs and secrets of the AEP destination {config.prefix}",
        tags=tags,
        protect=config.destination.protect_data,
        context=context,
    )
    return StackKey(arn=key.arn, managed=True, resource=key)


def _build_streaming(config: KitConfig, key: StackKey, sink: Sink) -> dict[str, Any]:
    """Build the streaming endpoint in front of ``sink`` and return its stack outputs."""
    from destkit.aws.streaming import StreamingEndpoint, StreamingEndpointArgs

    args = StreamingEndpointArgs.from_config(
        config,
        sink_bucket_name=sink.bucket_name,
        sink_bucket_arn=sink.bucket_arn,
        kms_key_arn=key.arn,
        kms_key_managed=key.managed,
    )
    endpoint = StreamingEndpoint(f"{config.prefix}-streaming", args)
    return endpoint.stack_outputs()


def _per_tenant(values: dict[str, pulumi.Output[str]]) -> pulumi.Output[dict[str, str]]:
    return pulumi.Output.all(**values)


def _s3_outputs(config: KitConfig, dropzone: S3DropZone) -> dict[str, Any]:
    outputs: dict[str, Any] = {"s3_bucket": dropzone.bucket_name, "s3_prefixes": dict(dropzone.prefixes)}
    if config.batch.s3.writer == "assume_role":
        outputs["s3_role_arns"] = _per_tenant(dropzone.role_arns())
        outputs["s3_external_id"] = pulumi.Output.secret(config.batch.s3.external_id or "")
    else:
        outputs["s3_access_key_ids"] = _per_tenant(dropzone.access_key_ids())
        outputs["s3_secret_access_keys"] = pulumi.Output.secret(_per_tenant(dropzone.secret_access_keys()))
    return outputs


def _sftp_outputs(sftp: SftpDropZone) -> dict[str, Any]:
    outputs: dict[str, Any] = {
        "sftp_host": sftp.host,
        "sftp_port": sftp.port,
        "sftp_usernames": sftp.user_names(),
        "sftp_root_directories": sftp.root_directories(),
    }
    private_keys = sftp.private_keys()
    if private_keys:
        outputs["sftp_private_keys"] = pulumi.Output.secret(_per_tenant(private_keys))
    return outputs
