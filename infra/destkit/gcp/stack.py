"""The GCP stack: config in, components wired, outputs (named as in ``destkit.outputs``) out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_gcp as gcp

from destkit.config import AuthMode, ConfigError, IssuerKind, KitConfig, OAuth2Config
from destkit.gcp import defaults, kms
from destkit.gcp.gcs_dropzone import GcsDropZone, GcsDropZoneArgs
from destkit.gcp.sftp import SftpDropZone, SftpDropZoneArgs
from destkit.gcp.sink import Sink, SinkArgs
from destkit.gcp.streaming import StreamingEndpoint, StreamingEndpointArgs


def _secret_map(values: Mapping[str, pulumi.Input[str]]) -> pulumi.Output[dict[str, str]]:
    return pulumi.Output.secret(pulumi.Output.all(**dict(values)))


def _plain_map(values: Mapping[str, pulumi.Input[str]]) -> pulumi.Output[dict[str, str]]:
    return pulumi.Output.all(**dict(values))


def gcp_oauth2(config: KitConfig) -> OAuth2Config:
    """Return the OAuth 2.0 settings for GCP, where signJwt caps a token's lifetime at 12 hours.

    An unset ``token_validity_hours`` becomes 12; an explicit longer value raises ConfigError.
    """
    oauth2 = config.streaming.oauth2
    limit = defaults.SIGN_JWT_MAX_LIFETIME_HOURS
    managed = config.streaming.auth is AuthMode.OAUTH2 and oauth2.issuer is IssuerKind.MANAGED
    if not managed or oauth2.token_validity_hours <= limit:
        return oauth2
    if "token_validity_hours" in oauth2.model_fields_set:
        raise ConfigError(
            [
                f"destkit:streaming.oauth2.token_validity_hours: {oauth2.token_validity_hours} is more "
                f"than {limit}, the longest token lifetime IAM Credentials signJwt signs; set it to "
                f"{limit} or less"
            ]
        )
    return oauth2.model_copy(update={"token_validity_hours": limit})


def build_stack(config: KitConfig) -> Mapping[str, Any]:
    """Build every GCP component that ``config`` enables and return the stack outputs."""
    oauth2 = gcp_oauth2(config)
    destination = config.destination
    region = config.gcp.region
    prefix = config.prefix
    protect = destination.protect_data
    labels = defaults.labels(config.tags, destination.name, destination.environment)
    project: pulumi.Input[str] = config.gcp.project or gcp.organizations.get_client_config_output().project

    key_id: pulumi.Input[str] | None = config.gcp.kms_key_id
    if key_id is None:
        key = kms.create_key(
            f"{prefix}-key", location=region, project=project, labels=labels, protect=protect, parent=None
        )
        key_id = key.id
    key_grant = kms.grant_storage_agent(f"{prefix}-key-storage-agent", key_id, project, parent=None)

    # Data access logs for Cloud Storage: who wrote, read or listed which object.
    gcp.projects.IAMAuditConfig(
        f"{prefix}-storage-audit",
        project=project,
        service="storage.googleapis.com",
        audit_log_configs=[
            gcp.projects.IAMAuditConfigAuditLogConfigArgs(log_type=log_type)
            for log_type in defaults.STORAGE_AUDIT_LOG_TYPES
        ],
    )

    outputs: dict[str, Any] = {
        "cloud": "gcp",
        "region": region,
        "tenants": list(config.tenants),
    }
    streaming = config.streaming
    if streaming.enabled:
        sink = Sink(
            f"{prefix}-sink",
            SinkArgs(
                tenants=config.tenants,
                location=region,
                project=project,
                labels=labels,
                kms_key_id=key_id,
                key_grant=key_grant,
                protect=protect,
            ),
        )
        secrets = config.secrets
        endpoint = StreamingEndpoint(
            f"{prefix}-streaming",
            StreamingEndpointArgs(
                tenants=config.tenants,
                project=project,
                region=region,
                prefix=prefix,
                sink_bucket=sink.bucket_name,
                auth_mode=streaming.auth.value,
                oauth2=oauth2,
                labels=labels,
                bearer_tokens={t: v.get_secret_value() for t, v in secrets.bearer_tokens.items()},
                basic_passwords={t: v.get_secret_value() for t, v in secrets.basic_passwords.items()},
                audience_api=streaming.audience_api,
                payload_mode=streaming.payload_mode.value,
                max_body_bytes=config.max_body_bytes,
                max_decompressed_bytes=streaming.max_decompressed_bytes,
                memory_mb=streaming.memory_mb,
                timeout_seconds=streaming.timeout_seconds,
                service_account_email=config.gcp.service_account_email,
                kms_key_id=key_id,
                key_grant=key_grant,
                protect=protect,
            ),
        )
        outputs.update(
            url=endpoint.url,
            auth_type=streaming.auth.value,
            max_body_bytes=config.max_body_bytes,
            sink=sink.bucket_name,
            sink_prefixes=sink.tenant_prefixes,
        )
        if endpoint.token_url is not None:
            outputs["token_url"] = endpoint.token_url
            outputs["scope"] = endpoint.scope
        if endpoint.client_ids:
            outputs["client_ids"] = _plain_map(endpoint.client_ids)
        if endpoint.client_secrets:
            outputs["client_secrets"] = _secret_map(endpoint.client_secrets)
        if endpoint.tokens:
            outputs["tokens"] = _secret_map(endpoint.tokens)
        if endpoint.passwords:
            outputs["usernames"] = dict(endpoint.usernames)
            outputs["passwords"] = _secret_map(endpoint.passwords)
        if endpoint.audience_api_url is not None:
            outputs["audience_api_url"] = endpoint.audience_api_url

    batch = config.batch
    gcs_bucket: pulumi.Input[str] | None = None
    if batch.gcs.enabled:
        dropzone = GcsDropZone(
            f"{prefix}-gcs",
            GcsDropZoneArgs(
                tenants=config.tenants,
                location=region,
                project=project,
                prefix=prefix,
                labels=labels,
                kms_key_id=key_id,
                key_grant=key_grant,
                expire_days=batch.expire_days,
                noncurrent_version_days=batch.noncurrent_version_days,
                abort_multipart_days=batch.abort_multipart_days,
                protect=protect,
            ),
        )
        gcs_bucket = dropzone.bucket_name
        outputs.update(
            gcs_bucket=dropzone.bucket_name,
            gcs_prefixes=dropzone.prefixes,
            gcs_hmac_access_ids=_plain_map(dropzone.hmac_access_ids),
            gcs_hmac_secrets=_secret_map(dropzone.hmac_secrets),
        )

    if batch.sftp.enabled:
        sftp = SftpDropZone(
            f"{prefix}-sftp",
            SftpDropZoneArgs(
                tenants=config.tenants,
                project=project,
                region=region,
                prefix=prefix,
                bucket_name=gcs_bucket,
                kms_key_id=key_id,
                key_grant=key_grant,
                allowed_cidrs=batch.sftp.allowed_cidrs,
                labels=labels,
                public_keys=batch.sftp.public_keys,
                protect=protect,
            ),
        )
        outputs.update(
            sftp_host=sftp.host,
            sftp_port=sftp.port,
            sftp_usernames=dict(sftp.usernames),
            sftp_root_directories=dict(sftp.root_directories),
        )
        if sftp.private_keys:
            outputs["sftp_private_keys"] = _secret_map(sftp.private_keys)
    return outputs
