"""``Sink``: the data account where the streaming intake stores each accepted request.

The intake writes ``<tenant>/payloads/<sha256 of the decoded body>.json`` and
``<tenant>/audiences/<id>.json`` with create-only writes (``If-None-Match: *``), so a retried batch
is stored once. The function reaches the account with its managed identity; shared key stays off.
An Event Grid system topic publishes a BlobCreated event for every new object.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native as azure_native

from destkit.azure import defaults, naming
from destkit.azure.storage import AccountSettings, HardenedAccount, build_account, private_container

SINK_CONTAINER = "intake"


@dataclass(frozen=True)
class SinkArgs:
    """Settings of a :class:`Sink`."""

    tenants: Sequence[str]
    prefix: str
    resource_group_name: pulumi.Input[str]
    location: str
    workspace_id: pulumi.Input[str]
    tags: Mapping[str, str] = field(default_factory=dict)
    expire_days: int | None = None
    """Delete stored payloads after this many days; None keeps them."""
    protect: bool = True


class Sink(pulumi.ComponentResource):
    """Hardened data account and container for the streaming intake, reached by managed identity."""

    parts: HardenedAccount
    account: azure_native.storage.StorageAccount
    container: azure_native.storage.BlobContainer
    account_name: pulumi.Output[str]
    container_name: str
    blob_endpoint: pulumi.Output[str]
    tenant_prefixes: dict[str, str]

    def __init__(self, name: str, args: SinkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("destkit:azure:Sink", name, None, opts)
        if not args.tenants:
            raise ValueError(f"Sink {name!r}: tenants is empty; give at least one tenant id")
        seed = f"{pulumi.get_project()}/{pulumi.get_stack()}/{name}"
        account_name = naming.storage_account_name(args.prefix, "sink", seed)

        self.parts = build_account(
            name,
            AccountSettings(
                account_name=account_name,
                resource_group_name=args.resource_group_name,
                location=args.location,
                workspace_id=args.workspace_id,
                tags=args.tags,
                expire_days=args.expire_days,
                protect=args.protect,
            ),
            self,
        )
        self.account = self.parts.account
        self.account_name = self.account.name
        self.container_name = SINK_CONTAINER
        self.container = private_container(
            f"{name}-container",
            container_name=SINK_CONTAINER,
            account=self.account,
            resource_group_name=args.resource_group_name,
            parent=self,
        )
        self.blob_endpoint = self.account.primary_endpoints.apply(lambda endpoints: endpoints.blob)
        self.tenant_prefixes = {tenant: f"{tenant}/" for tenant in args.tenants}

        self.register_outputs(
            {
                "account_name": self.account_name,
                "container_name": SINK_CONTAINER,
                "blob_endpoint": self.blob_endpoint,
            }
        )

    @property
    def writer_role(self) -> str:
        """Built-in role the intake's identity needs on the container: read, write, delete blobs."""
        return defaults.ROLE_STORAGE_BLOB_DATA_CONTRIBUTOR
