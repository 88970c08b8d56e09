"""The Azure stack: every component the configuration enables, wired together, and its outputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from destkit.azure import defaults
from destkit.azure.adls import AdlsDropZone, AdlsDropZoneArgs
from destkit.azure.blob_dropzone import BlobDropZone, BlobDropZoneArgs
from destkit.azure.foundation import Foundation, FoundationArgs
from destkit.azure.sftp import SftpDropZone, SftpDropZoneArgs
from destkit.azure.sink import Sink, SinkArgs
from destkit.azure.streaming import StreamingEndpoint, StreamingEndpointArgs
from destkit.config import ConfigError, KitConfig


def check_azure_config(config: KitConfig) -> None:
    """Raise ConfigError for Azure settings the components cannot build, before any resource exists."""
    problems: list[str] = []
    location = config.azure.location
    if config.streaming.enabled and location not in defaults.FLEX_CONSUMPTION_LOCATIONS:
        problems.append(
            f"destkit:azure.location: {location!r} does not offer the Flex Consumption plan that the "
            "streaming endpoint runs on (kit's list; `az functionapp list-flexconsumption-locations` prints "
            f"the current one); use one of {', '.join(sorted(defaults.FLEX_CONSUMPTION_LOCATIONS))}"
        )
    if problems:
        raise ConfigError(problems)


def build_stack(config: KitConfig) -> Mapping[str, Any]:
    """Build the Azure stack for ``config`` and return the stack outputs by name."""
    check_azure_config(config)
    azure = config.azure
    destination = config.destination
    tags = defaults.tags(config.tags, destination.name, destination.environment)
    tenants = list(config.tenants)
    prefix = config.prefix
    protect = destination.protect_data
    batch = config.batch

    foundation = Foundation(
        prefix,
        FoundationArgs(
            location=azure.location,
            prefix=prefix,
            tags=tags,
            resource_group_name=azure.resource_group_name,
            key_vault_id=azure.key_vault_id,
            log_analytics_workspace_id=azure.log_analytics_workspace_id,
            log_retention_days=destination.log_retention_days,
            protect=protect,
        ),
    )
    outputs: dict[str, Any] = {"cloud": "azure", "region": azure.location, "tenants": tenants}

    if config.streaming.enabled:
        sink = Sink(
            f"{prefix}-sink",
            SinkArgs(
                tenants=tenants,
                prefix=prefix,
                resource_group_name=foundation.resource_group_name,
                location=azure.location,
                workspace_id=foundation.workspace_id,
                tags=tags,
                protect=protect,
            ),
        )
        secrets = config.secrets
        endpoint = StreamingEndpoint(
            f"{prefix}-streaming",
            StreamingEndpointArgs(
                tenants=tenants,
                prefix=prefix,
                location=azure.location,
                foundation=foundation,
                sink=sink,
                streaming=config.streaming,
                max_body_bytes=config.max_body_bytes,
                profile=azure.apim_profile,
                apim_subnet_id=azure.apim_subnet_id,
                private_endpoint_subnet_id=azure.private_endpoint_subnet_id,
                publisher_email=azure.apim_publisher_email,
                publisher_name=azure.apim_publisher_name,
                client_secret_validity_days=azure.client_secret_validity_days,
                bearer_tokens={t: s.get_secret_value() for t, s in secrets.bearer_tokens.items()},
                basic_passwords={t: s.get_secret_value() for t, s in secrets.basic_passwords.items()},
                tags=tags,
                protect=protect,
            ),
        )
        outputs.update(endpoint.stack_outputs())
        outputs["sink"] = pulumi.Output.concat(sink.account_name, "/", sink.container_name)
        outputs["sink_prefixes"] = sink.tenant_prefixes

    if batch.blob.enabled:
        blob = BlobDropZone(
            f"{prefix}-blob",
            BlobDropZoneArgs(
                tenants=tenants,
                prefix=prefix,
                resource_group_name=foundation.resource_group_name,
                location=azure.location,
                workspace_id=foundation.workspace_id,
                isolation=batch.blob.isolation,
                tags=tags,
                expire_days=batch.expire_days,
                protect=protect,
            ),
        )
        outputs["blob_connection_strings"] = pulumi.Output.secret(
            pulumi.Output.from_input(blob.connection_strings)
        )
        outputs["blob_containers"] = dict(blob.container_names)

    if batch.adls.enabled:
        adls = AdlsDropZone(
            f"{prefix}-adls",
            AdlsDropZoneArgs(
                tenants=tenants,
                prefix=prefix,
                foundation=foundation,
                location=azure.location,
                tags=tags,
                secret_validity_days=batch.adls.secret_validity_days,
                expire_days=batch.expire_days,
                protect=protect,
            ),
        )
        outputs["adls_urls"] = pulumi.Output.from_input(adls.urls())
        outputs["adls_tenant_id"] = adls.tenant_id
        outputs["adls_client_ids"] = pulumi.Output.from_input(adls.client_ids())
        outputs["adls_client_secrets"] = pulumi.Output.secret(pulumi.Output.from_input(adls.client_secrets()))

    if batch.sftp.enabled:
        sftp = SftpDropZone(
            f"{prefix}-sftp",
            SftpDropZoneArgs(
                tenants=tenants,
                prefix=prefix,
                resource_group_name=foundation.resource_group_name,
                location=azure.location,
                workspace_id=foundation.workspace_id,
                allowed_cidrs=list(batch.sftp.allowed_cidrs),
                public_keys=dict(batch.sftp.public_keys),
                tags=tags,
                expire_days=batch.expire_days,
                protect=protect,
            ),
        )
        outputs["sftp_host"] = sftp.host
        outputs["sftp_port"] = sftp.port
        outputs["sftp_usernames"] = pulumi.Output.from_input(sftp.user_names())
        outputs["sftp_root_directories"] = sftp.root_directories()
        keys = sftp.private_keys()
        if keys:
            outputs["sftp_private_keys"] = pulumi.Output.secret(pulumi.Output.from_input(keys))

    return outputs
