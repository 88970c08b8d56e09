"""``Foundation``: the resource group, Log Analytics workspace and Key Vault the other components share.

Each of the three is created only when the caller does not pass an existing one. The Key Vault
uses RBAC authorisation, purge protection and soft delete, denies network access except from
trusted Azure services (API Management reads its named values that way) and sends its audit log
to the workspace.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native as azure_native

from destkit.azure import defaults, naming


@dataclass(frozen=True)
class FoundationArgs:
    """Settings of a :class:`Foundation`."""

    location: str
    prefix: str
    """``<destination>-<environment>``: the start of every physical name."""
    tags: Mapping[str, str] = field(default_factory=dict)
    resource_group_name: str | None = None
    """Existing resource group. One is created when unset."""
    key_vault_id: str | None = None
    """Existing Key Vault resource id (RBAC mode expected). One is created when unset."""
    log_analytics_workspace_id: str | None = None
    """Existing workspace resource id. One is created when unset."""
    log_retention_days: int = defaults.LOG_RETENTION_DAYS
    protect: bool = True


@dataclass(frozen=True)
class ClientContext:
    """Subscription and Entra ID tenant of the deploying identity."""

    subscription_id: pulumi.Output[str]
    tenant_id: pulumi.Output[str]


def lookup_client_context(parent: pulumi.Resource) -> ClientContext:
    config = azure_native.authorization.get_client_config_output(
        opts=pulumi.InvokeOutputOptions(parent=parent)
    )
    return ClientContext(subscription_id=config.subscription_id, tenant_id=config.tenant_id)


def key_vault_secret_uri(vault_uri: pulumi.Input[str], secret_name: str) -> pulumi.Output[str]:
    """Return the versionless URI of a secret, which follows its latest version."""
    return pulumi.Output.from_input(vault_uri).apply(lambda uri: f"{uri.rstrip('/')}/secrets/{secret_name}")


def name_from_id(resource_id: str) -> str:
    """Return the last segment of an Azure resource id."""
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def resource_group_from_id(resource_id: str) -> str:
    """Return the resource group segment of an Azure resource id, or raise ValueError."""
    parts = resource_id.split("/")
    lowered = [part.lower() for part in parts]
    if "resourcegroups" not in lowered:
        raise ValueError(
            f"{resource_id!r} is not an Azure resource id; expected "
            "/subscriptions/<id>/resourceGroups/<group>/providers/<type>/<name>"
        )
    return parts[lowered.index("resourcegroups") + 1]


def expiry_timestamp(days: int, today: dt.date | None = None) -> int:
    """Return the Unix time ``days`` after the start of ``today`` (UTC), for Key Vault ``expires``."""
    start = dt.datetime.combine(today or dt.date.today(), dt.time(), tzinfo=dt.UTC)
    return int((start + dt.timedelta(days=days)).timestamp())


class Foundation(pulumi.ComponentResource):
    """Resource group, Log Analytics workspace and Key Vault, created or adopted."""

    resource_group_name: pulumi.Output[str]
    workspace_id: pulumi.Output[str]
    key_vault_id: pulumi.Output[str]
    key_vault_name: pulumi.Output[str]
    key_vault_uri: pulumi.Output[str]
    resource_group: azure_native.resources.ResourceGroup | None
    workspace: azure_native.operationalinsights.Workspace | None
    key_vault: azure_native.keyvault.Vault | None
    context: ClientContext

    def __init__(self, name: str, args: FoundationArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("destkit:azure:Foundation", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        protected = pulumi.ResourceOptions(parent=self, protect=args.protect)
        self.context = lookup_client_context(self)
        seed = f"{pulumi.get_project()}/{pulumi.get_stack()}/{name}"

        self.resource_group = None
        if args.resource_group_name is None:
            self.resource_group = azure_native.resources.ResourceGroup(
                f"{name}-rg",
                resource_group_name=f"{args.prefix}-rg",
                location=args.location,
                tags=dict(args.tags),
                opts=child,
            )
            self.resource_group_name = self.resource_group.name
        else:
            self.resource_group_name = pulumi.Output.from_input(args.resource_group_name)

        self.workspace = None
        if args.log_analytics_workspace_id is None:
            self.workspace = azure_native.operationalinsights.Workspace(
                f"{name}-logs",
                workspace_name=f"{args.prefix}-logs",
                resource_group_name=self.resource_group_name,
                location=args.location,
                sku={"name": defaults.LOG_ANALYTICS_SKU},
                retention_in_days=args.log_retention_days,
                tags=dict(args.tags),
                opts=child,
            )
            self.workspace_id = self.workspace.id
        else:
            self.workspace_id = pulumi.Output.from_input(args.log_analytics_workspace_id)

        self.key_vault = None
        if args.key_vault_id is None:
            vault_name = naming.key_vault_name(args.prefix, seed)
            self.key_vault = azure_native.keyvault.Vault(  # type: ignore[call-overload]
                f"{name}-vault",
                vault_name=vault_name,
                resource_group_name=self.resource_group_name,
                location=args.location,
                properties={
                    "tenant_id": self.context.tenant_id,
                    "sku": {"family": "A", "name": defaults.KEY_VAULT_SKU},
                    "enable_rbac_authorization": True,
                    "enable_purge_protection": True,
                    "enable_soft_delete": True,
                    "soft_delete_retention_in_days": defaults.KEY_VAULT_SOFT_DELETE_DAYS,
                    "public_network_access": "Enabled",
                    "network_acls": {"default_action": "Deny", "bypass": "AzureServices"},
                },
                tags=dict(args.tags),
                opts=protected,
            )
            self.key_vault_id = self.key_vault.id
            self.key_vault_name = self.key_vault.name
            self.key_vault_uri = self.key_vault.properties.apply(lambda props: props.vault_uri or "")
            azure_native.monitor.DiagnosticSetting(
                f"{name}-vault-diagnostics",
                name="destkit-vault-audit",
                resource_uri=self.key_vault.id,
                workspace_id=self.workspace_id,
                logs=[{"category": "AuditEvent", "enabled": True}],
                metrics=[{"category": "AllMetrics", "enabled": True}],
                opts=child,
            )
        else:
            vault_name = name_from_id(args.key_vault_id)
            self.key_vault_id = pulumi.Output.from_input(args.key_vault_id)
            self.key_vault_name = pulumi.Output.from_input(vault_name)
            # Vault URIs follow the name in Azure's public cloud.
            self.key_vault_uri = pulumi.Output.from_input(f"https://{vault_name}.vault.azure.net/")

        self.register_outputs(
            {
                "resource_group_name": self.resource_group_name,
                "workspace_id": self.workspace_id,
                "key_vault_id": self.key_vault_id,
            }
        )


def store_secret(
    name: str,
    *,
    foundation: Foundation,
    secret_name: str,
    value: pulumi.Input[str],
    content_type: str,
    expires: pulumi.Input[int],
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> azure_native.keyvault.Secret:
    """Copy ``value`` into the foundation's Key Vault as a secret with an expiry and a content type."""
    return azure_native.keyvault.Secret(
        name,
        secret_name=secret_name,
        vault_name=foundation.key_vault_name,
        resource_group_name=_vault_resource_group(foundation),
        properties={
            "value": pulumi.Output.secret(value),
            "content_type": content_type,
            "attributes": {"enabled": True, "expires": expires},
        },
        tags=dict(tags),
        # The expiry is fixed when the secret is created; a recomputed date on later runs would
        # write a new secret version every day.
        opts=pulumi.ResourceOptions(parent=parent, ignore_changes=["properties.attributes.expires"]),
    )


def _vault_resource_group(foundation: Foundation) -> pulumi.Output[str]:
    return pulumi.Output.all(foundation.key_vault_id, foundation.resource_group_name).apply(
        lambda values: resource_group_from_id(values[0]) if "/resourceGroups/" in values[0] else values[1]
    )
