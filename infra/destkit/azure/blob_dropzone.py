"""``BlobDropZone``: landing storage for AEP's Azure Blob destination.

AEP's Blob destination authenticates only with an account-key connection string, and an account
key reaches every container of its account. So the landing storage is an account that contains
nothing but AEP exports, with shared key on as a recorded exception, and these compensating
controls: a 90-day key expiry reminder, a one-hour SAS expiry policy, blob versioning, blob and
container soft delete, a lifecycle rule and diagnostics to Log Analytics.

Isolation: ``account_per_tenant`` (the default) gives each tenant its own account, so one tenant's
connection string cannot read another tenant's exports. ``container_per_tenant`` puts every tenant
in one account with a container each; it costs less, but every tenant's connection string can read
and delete every other tenant's container.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_azure_native as azure_native

from destkit import waivers
from destkit.azure import naming
from destkit.azure.storage import AccountSettings, HardenedAccount, build_account, private_container

LANDING_CONTAINER = "landing"


@dataclass(frozen=True)
class BlobDropZoneArgs:
    """Settings of a :class:`BlobDropZone`."""

    tenants: Sequence[str]
    prefix: str
    resource_group_name: pulumi.Input[str]
    location: str
    workspace_id: pulumi.Input[str]
    isolation: Literal["account_per_tenant", "container_per_tenant"] = "account_per_tenant"
    tags: Mapping[str, str] = field(default_factory=dict)
    expire_days: int | None = 30
    protect: bool = True


def connection_string(account_name: str, key: str) -> str:
    """Build the connection string in the form AEP's Blob destination accepts."""
    return (
        f"DefaultEndpointsProtocol=https;AccountName={account_name};AccountKey={key};"
        "EndpointSuffix=core.windows.net"
    )


def _record_landing_exceptions(logical_name: str) -> None:
    waivers.record(
        "st-no-shared-key",
        logical_name,
        "AEP's Azure Blob destination authenticates only with an account-key connection string; the "
        "account holds only AEP exports, with a 90-day key expiry reminder, a one-hour SAS policy, "
        "versioning, soft delete and diagnostics. Prefer the ADLS Gen2 drop zone, which keeps keys off",
    )
    waivers.record(
        "st-network-deny",
        logical_name,
        "AEP publishes no egress ranges for its Azure Blob destination, so a firewall cannot admit it; "
        "Azure Private Link for destinations needs an Adobe Shield entitlement",
    )


class BlobDropZone(pulumi.ComponentResource):
    """Isolated landing accounts (or containers) for AEP's Blob destination, one per tenant."""

    accounts: dict[str, HardenedAccount]
    """Landing accounts by tenant id; with container_per_tenant every tenant maps to the same one."""
    containers: dict[str, azure_native.storage.BlobContainer]
    container_names: dict[str, str]
    connection_strings: dict[str, pulumi.Output[str]]
    """Connection string per tenant, each a Pulumi secret."""

    def __init__(self, name: str, args: BlobDropZoneArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("destkit:azure:BlobDropZone", name, None, opts)
        if not args.tenants:
            raise ValueError(f"BlobDropZone {name!r}: tenants is empty; give at least one tenant id")
        if args.isolation not in ("account_per_tenant", "container_per_tenant"):
            raise ValueError(
                f"BlobDropZone {name!r}: isolation {args.isolation!r} is invalid; use account_per_tenant "
                "or container_per_tenant"
            )
        seed = f"{pulumi.get_project()}/{pulumi.get_stack()}/{name}"
        self.accounts = {}
        self.containers = {}
        self.container_names = {}
        self.connection_strings = {}

        shared: HardenedAccount | None = None
        if args.isolation == "container_per_tenant":
            shared = self._landing_account(name, args, naming.storage_account_name(args.prefix, "blob", seed))

        for tenant in args.tenants:
            if shared is None:
                logical = f"{name}-{tenant}"
                account_name = naming.storage_account_name(args.prefix, "blob", seed, tenant)
                landing = self._landing_account(logical, args, account_name)
                container = LANDING_CONTAINER
            else:
                logical = name
                landing = shared
                container = naming.container_name(LANDING_CONTAINER, tenant)
            self.accounts[tenant] = landing
            self.container_names[tenant] = container
            self.containers[tenant] = private_container(
                f"{name}-{tenant}-container",
                container_name=container,
                account=landing.account,
                resource_group_name=args.resource_group_name,
                parent=self,
            )
            self.connection_strings[tenant] = self._connection_string(logical, landing, args)

        self.register_outputs({"container_names": self.container_names})

    def _landing_account(self, logical: str, args: BlobDropZoneArgs, account_name: str) -> HardenedAccount:
        landing = build_account(
            logical,
            AccountSettings(
                account_name=account_name,
                resource_group_name=args.resource_group_name,
                location=args.location,
                workspace_id=args.workspace_id,
                tags=args.tags,
                shared_key=True,
                default_action="Allow",
                versioning=True,
                expire_days=args.expire_days,
                protect=args.protect,
            ),
            self,
        )
        _record_landing_exceptions(logical)
        return landing

    def _connection_string(
        self, logical: str, landing: HardenedAccount, args: BlobDropZoneArgs
    ) -> pulumi.Output[str]:
        keys = azure_native.storage.list_storage_account_keys_output(
            account_name=landing.account.name,
            resource_group_name=args.resource_group_name,
            opts=pulumi.InvokeOutputOptions(parent=self, depends_on=[landing.account]),
        )
        # Read the key before Output.all, which would turn the typed key objects into plain dicts.
        primary_key = pulumi.Output.secret(keys.keys.apply(lambda account_keys: account_keys[0].value))
        return pulumi.Output.secret(
            pulumi.Output.all(landing.account.name, primary_key).apply(
                lambda values: connection_string(values[0], values[1])
            )
        )
