"""``AdlsDropZone``: a hierarchical-namespace account for AEP's ADLS Gen2 destination.

AEP's ADLS Gen2 destination signs in as an Entra ID service principal (tenant, client id, client
secret), so shared key stays off. Each tenant gets its own file system and its own service principal
with Storage Blob Data Contributor on that file system only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native as azure_native

from destkit import waivers
from destkit.azure import defaults, naming
from destkit.azure.foundation import Foundation
from destkit.azure.identity import ServiceClient, create_client
from destkit.azure.storage import (
    AccountSettings,
    HardenedAccount,
    assign_role,
    build_account,
    container_scope,
    private_container,
)

FILE_SYSTEM_PURPOSE = "aep"


@dataclass(frozen=True)
class AdlsDropZoneArgs:
    """Settings of an :class:`AdlsDropZone`."""

    tenants: Sequence[str]
    prefix: str
    foundation: Foundation
    location: str
    tags: Mapping[str, str] = field(default_factory=dict)
    secret_validity_days: int = 365
    expire_days: int | None = 30
    protect: bool = True


def abfss_url(file_system: str, account_name: str) -> str:
    """Return the URL AEP's ADLS Gen2 connection takes: ``abfss://<file system>@<account>.dfs...``."""
    return f"abfss://{file_system}@{account_name}.dfs.core.windows.net/"


def _url(account_name: pulumi.Output[str], file_system: str) -> pulumi.Output[str]:
    return account_name.apply(lambda account: abfss_url(file_system, account))


class AdlsDropZone(pulumi.ComponentResource):
    """ADLS Gen2 account with a file system and a service principal per tenant."""

    parts: HardenedAccount
    account: azure_native.storage.StorageAccount
    file_systems: dict[str, azure_native.storage.BlobContainer]
    file_system_names: dict[str, str]
    clients: dict[str, ServiceClient]
    role_assignments: dict[str, azure_native.authorization.RoleAssignment]
    tenant_id: pulumi.Output[str]
    """Entra ID tenant of the service principals."""

    def __init__(self, name: str, args: AdlsDropZoneArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("destkit:azure:AdlsDropZone", name, None, opts)
        if not args.tenants:
            raise ValueError(f"AdlsDropZone {name!r}: tenants is empty; give at least one tenant id")
        seed = f"{pulumi.get_project()}/{pulumi.get_stack()}/{name}"
        foundation = args.foundation
        self.tenant_id = foundation.context.tenant_id

        self.parts = build_account(
            name,
            AccountSettings(
                account_name=naming.storage_account_name(args.prefix, "adls", seed),
                resource_group_name=foundation.resource_group_name,
                location=args.location,
                workspace_id=foundation.workspace_id,
                tags=args.tags,
                hierarchical_namespace=True,
                default_action="Allow",
                expire_days=args.expire_days,
                protect=args.protect,
            ),
            self,
        )
        self.account = self.parts.account
        waivers.record(
            "st-network-deny",
            name,
            "AEP publishes no egress ranges for its ADLS Gen2 destination, so a firewall cannot admit it; "
            "access needs an Entra ID token of the tenant's service principal (shared key is off)",
        )

        self.file_systems = {}
        self.file_system_names = {}
        self.clients = {}
        self.role_assignments = {}
        for tenant in args.tenants:
            file_system = naming.container_name(FILE_SYSTEM_PURPOSE, tenant)
            self.file_system_names[tenant] = file_system
            self.file_systems[tenant] = private_container(
                f"{name}-{tenant}-fs",
                container_name=file_system,
                account=self.account,
                resource_group_name=foundation.resource_group_name,
                parent=self,
            )
            client = create_client(
                f"{name}-{tenant}",
                display_name=f"{args.prefix}-adls-{tenant}",
                validity_days=args.secret_validity_days,
                foundation=foundation,
                vault_secret_name=f"adls-{tenant}-client-secret",
                tags=args.tags,
                parent=self,
            )
            self.clients[tenant] = client
            self.role_assignments[tenant] = assign_role(
                f"{name}-{tenant}-writer",
                scope=container_scope(self.account.id, file_system),
                principal_id=client.service_principal.object_id,
                role_guid=defaults.ROLE_STORAGE_BLOB_DATA_CONTRIBUTOR,
                subscription_id=foundation.context.subscription_id,
                principal_type="ServicePrincipal",
                parent=self,
            )

        self.register_outputs(
            {"account_name": self.account.name, "file_system_names": self.file_system_names}
        )

    def urls(self) -> dict[str, pulumi.Output[str]]:
        """Return each tenant's ``abfss://`` URL."""
        return {tenant: _url(self.account.name, fs) for tenant, fs in self.file_system_names.items()}

    def client_ids(self) -> dict[str, pulumi.Output[str]]:
        return {tenant: client.client_id for tenant, client in self.clients.items()}

    def client_secrets(self) -> dict[str, pulumi.Output[str]]:
        return {tenant: client.secret for tenant, client in self.clients.items()}
