"""One hardened storage account builder, reused by the sink, the drop zones and the function host.

Every account gets HTTPS only, TLS 1.2, no anonymous blob access, no cross-tenant replication,
infrastructure encryption, zone-redundant storage, blob and container soft delete, a lifecycle
rule, diagnostics to Log Analytics and an Event Grid system topic for object-created events.
Shared key stays off (Entra ID only) unless the caller turns it on for AEP's Blob destination, in
which case the key expiry reminder and the SAS expiry policy are set as the compensating controls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_azure_native as azure_native

from destkit.azure import defaults

storage = azure_native.storage


# Infrastructure encryption (a second layer) can only be set when an account is created.
_ENCRYPTION: Any = {
    "key_source": "Microsoft.Storage",
    "require_infrastructure_encryption": True,
    "services": {
        "blob": {"enabled": True, "key_type": "Account"},
        "file": {"enabled": True, "key_type": "Account"},
    },
}


@dataclass(frozen=True)
class AccountSettings:
    """Per-account settings of the hardened-account builder. Everything else is a fixed default."""

    account_name: str
    resource_group_name: pulumi.Input[str]
    location: pulumi.Input[str]
    workspace_id: pulumi.Input[str]
    """Log Analytics workspace that receives the blob service's diagnostics."""
    tags: Mapping[str, str] = field(default_factory=dict)
    shared_key: bool = False
    """Allow account-key (and SAS) authorisation; only the AEP Blob landing account needs it."""
    hierarchical_namespace: bool = False
    sftp: bool = False
    ip_rules: Sequence[str] = ()
    default_action: Literal["Allow", "Deny"] = "Deny"
    versioning: bool = True
    """Blob versioning; Azure does not support it on hierarchical-namespace accounts."""
    expire_days: int | None = None
    """Delete blobs this many days after their last change; None keeps them."""
    event_grid: bool = True
    protect: bool = True


@dataclass
class HardenedAccount:
    """The account and its side-car resources."""

    account: storage.StorageAccount
    blob_service: storage.BlobServiceProperties
    diagnostics: azure_native.monitor.DiagnosticSetting
    lifecycle: storage.ManagementPolicy | None
    system_topic: azure_native.eventgrid.SystemTopic | None


def network_rule_set(ip_rules: Sequence[str], default_action: str) -> dict[str, Any]:
    """Build the account firewall: the default action, trusted Azure services, and the given ranges."""
    return {
        "default_action": default_action,
        "bypass": "AzureServices, Logging, Metrics",
        "ip_rules": [{"i_p_address_or_range": _ip_rule_value(cidr), "action": "Allow"} for cidr in ip_rules],
    }


def _ip_rule_value(cidr: str) -> str:
    # Storage firewall rules take single addresses without the /32 suffix.
    return cidr.removesuffix("/32")


def lifecycle_policy(expire_days: int) -> dict[str, Any]:
    """Build a lifecycle policy that deletes block blobs and their versions after ``expire_days``."""
    return {
        "rules": [
            {
                "name": "expire-landed-files",
                "enabled": True,
                "type": "Lifecycle",
                "definition": {
                    "filters": {"blob_types": ["blockBlob"]},
                    "actions": {
                        "base_blob": {"delete": {"days_after_modification_greater_than": expire_days}},
                        "version": {"delete": {"days_after_creation_greater_than": expire_days}},
                    },
                },
            }
        ]
    }


def build_account(name: str, settings: AccountSettings, parent: pulumi.Resource) -> HardenedAccount:
    """Create a hardened storage account named ``settings.account_name`` and its side-cars."""
    child = pulumi.ResourceOptions(parent=parent)
    account_options = pulumi.ResourceOptions(parent=parent, protect=settings.protect)
    key_policy: Any = None
    sas_policy: Any = None
    if settings.shared_key:
        key_policy = {"key_expiration_period_in_days": defaults.KEY_EXPIRATION_DAYS}
        sas_policy = {"sas_expiration_period": defaults.SAS_EXPIRATION_PERIOD, "expiration_action": "Block"}

    account = storage.StorageAccount(  # type: ignore[call-overload]
        name,
        account_name=settings.account_name,
        resource_group_name=settings.resource_group_name,
        location=settings.location,
        kind=defaults.STORAGE_KIND,
        sku={"name": defaults.STORAGE_SKU},
        enable_https_traffic_only=True,
        minimum_tls_version=defaults.STORAGE_MIN_TLS,
        allow_blob_public_access=False,
        allow_shared_key_access=settings.shared_key,
        default_to_o_auth_authentication=not settings.shared_key,
        allow_cross_tenant_replication=False,
        public_network_access="Enabled",
        network_rule_set=network_rule_set(settings.ip_rules, settings.default_action),
        encryption=_ENCRYPTION,
        is_hns_enabled=settings.hierarchical_namespace,
        is_sftp_enabled=settings.sftp,
        is_local_user_enabled=settings.sftp,
        key_policy=key_policy,
        sas_policy=sas_policy,
        tags=dict(settings.tags),
        opts=account_options,
    )

    blob_service = storage.BlobServiceProperties(
        f"{name}-blob-service",
        account_name=account.name,
        resource_group_name=settings.resource_group_name,
        blob_services_name="default",
        delete_retention_policy={"enabled": True, "days": defaults.SOFT_DELETE_DAYS},
        container_delete_retention_policy={"enabled": True, "days": defaults.SOFT_DELETE_DAYS},
        is_versioning_enabled=settings.versioning and not settings.hierarchical_namespace,
        opts=child,
    )

    diagnostics = azure_native.monitor.DiagnosticSetting(
        f"{name}-blob-diagnostics",
        name="destkit-blob-audit",
        resource_uri=account.id.apply(lambda account_id: f"{account_id}/blobServices/default"),
        workspace_id=settings.workspace_id,
        logs=[
            {"category": category, "enabled": True}
            for category in ("StorageRead", "StorageWrite", "StorageDelete")
        ],
        metrics=[{"category": "Transaction", "enabled": True}],
        opts=child,
    )

    lifecycle = None
    if settings.expire_days is not None:
        lifecycle = storage.ManagementPolicy(  # type: ignore[call-overload]
            f"{name}-lifecycle",
            account_name=account.name,
            resource_group_name=settings.resource_group_name,
            management_policy_name="default",
            policy=lifecycle_policy(settings.expire_days),
            opts=child,
        )

    system_topic = None
    if settings.event_grid:
        system_topic = azure_native.eventgrid.SystemTopic(
            f"{name}-events",
            resource_group_name=settings.resource_group_name,
            location=settings.location,
            source=account.id,
            topic_type="Microsoft.Storage.StorageAccounts",
            tags=dict(settings.tags),
            opts=child,
        )

    return HardenedAccount(account, blob_service, diagnostics, lifecycle, system_topic)


def private_container(
    name: str,
    *,
    container_name: str,
    account: storage.StorageAccount,
    resource_group_name: pulumi.Input[str],
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
) -> storage.BlobContainer:
    """Create a container with anonymous access off."""
    return storage.BlobContainer(
        name,
        container_name=container_name,
        account_name=account.name,
        resource_group_name=resource_group_name,
        public_access=storage.PublicAccess.NONE,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)),
    )


def assign_role(
    name: str,
    *,
    scope: pulumi.Input[str],
    principal_id: pulumi.Input[str],
    role_guid: str,
    subscription_id: pulumi.Input[str],
    principal_type: str,
    parent: pulumi.Resource,
) -> azure_native.authorization.RoleAssignment:
    """Grant a built-in role on ``scope`` to one principal."""
    role_definition_id = pulumi.Output.from_input(subscription_id).apply(
        lambda subscription: defaults.role_definition_id(subscription, role_guid)
    )
    return azure_native.authorization.RoleAssignment(
        name,
        scope=scope,
        principal_id=principal_id,
        principal_type=principal_type,
        role_definition_id=role_definition_id,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def container_scope(account_id: pulumi.Input[str], container_name: str) -> pulumi.Output[str]:
    """Return the resource id of a container, the narrowest scope of a storage role assignment."""
    return pulumi.Output.from_input(account_id).apply(
        lambda account: f"{account}/blobServices/default/containers/{container_name}"
    )
