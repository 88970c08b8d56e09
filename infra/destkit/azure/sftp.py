"""``SftpDropZone``: Blob SFTP on a dedicated hierarchical-namespace account for AEP's SFTP destination.

The SFTP endpoint accepts only local users, so each tenant gets one: SSH key only (RSA, the only
key type AEP accepts), no password, no SMB shared key, create/write/list/delete on its own container.
The firewall admits only the configured ranges (by default AEP's published storage egress ranges).
Shared key authorisation stays off on the account.

NOTE: Microsoft's SFTP documentation does not say whether local users keep working when the
account disallows shared key. The kit keeps shared key off, the safe setting (docs/azure.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native as azure_native
import pulumi_tls as tls

from destkit.azure import defaults, naming
from destkit.azure.storage import AccountSettings, HardenedAccount, build_account, private_container
from destkit.outputs import sftp_private_key_outputs

CONTAINER_PURPOSE = "sftp"


@dataclass(frozen=True)
class SftpDropZoneArgs:
    """Settings of an :class:`SftpDropZone`."""

    tenants: Sequence[str]
    prefix: str
    resource_group_name: pulumi.Input[str]
    location: str
    workspace_id: pulumi.Input[str]
    allowed_cidrs: Sequence[str]
    public_keys: Mapping[str, str] = field(default_factory=dict)
    """OpenSSH RSA public key per tenant; a 4096-bit key pair is generated for the others."""
    tags: Mapping[str, str] = field(default_factory=dict)
    expire_days: int | None = 30
    protect: bool = True


@dataclass
class SftpUser:
    local_user: azure_native.storage.LocalUser
    user_name: str
    container_name: str
    private_key: tls.PrivateKey | None


class SftpDropZone(pulumi.ComponentResource):
    """SFTP-enabled storage account with one key-only local user per tenant."""

    parts: HardenedAccount
    account: azure_native.storage.StorageAccount
    containers: dict[str, azure_native.storage.BlobContainer]
    users: dict[str, SftpUser]
    host: pulumi.Output[str]
    port: int

    def __init__(self, name: str, args: SftpDropZoneArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("destkit:azure:SftpDropZone", name, None, opts)
        _check_args(name, args)
        seed = f"{pulumi.get_project()}/{pulumi.get_stack()}/{name}"
        child = pulumi.ResourceOptions(parent=self)

        self.parts = build_account(
            name,
            AccountSettings(
                account_name=naming.storage_account_name(args.prefix, "sftp", seed),
                resource_group_name=args.resource_group_name,
                location=args.location,
                workspace_id=args.workspace_id,
                tags=args.tags,
                hierarchical_namespace=True,
                sftp=True,
                ip_rules=args.allowed_cidrs,
                default_action="Deny",
                expire_days=args.expire_days,
                protect=args.protect,
            ),
            self,
        )
        self.account = self.parts.account
        self.host = self.account.name.apply(lambda account: f"{account}.blob.core.windows.net")
        self.port = defaults.SFTP_PORT

        self.containers = {}
        self.users = {}
        for tenant in args.tenants:
            container = naming.container_name(CONTAINER_PURPOSE, tenant)
            self.containers[tenant] = private_container(
                f"{name}-{tenant}-container",
                container_name=container,
                account=self.account,
                resource_group_name=args.resource_group_name,
                parent=self,
            )
            private_key = None
            public_key: pulumi.Input[str]
            if tenant in args.public_keys:
                public_key = args.public_keys[tenant].strip()
            else:
                private_key = tls.PrivateKey(
                    f"{name}-{tenant}-key", algorithm="RSA", rsa_bits=defaults.SFTP_RSA_BITS, opts=child
                )
                public_key = private_key.public_key_openssh.apply(lambda key: key.strip())
            user_name = naming.local_user_name(tenant)
            local_user = azure_native.storage.LocalUser(
                f"{name}-{tenant}-user",
                username=user_name,
                account_name=self.account.name,
                resource_group_name=args.resource_group_name,
                has_ssh_key=True,
                has_ssh_password=False,
                has_shared_key=False,
                home_directory=container,
                permission_scopes=[
                    {"permissions": defaults.SFTP_PERMISSIONS, "service": "blob", "resource_name": container}
                ],
                ssh_authorized_keys=[{"key": public_key, "description": f"AEP writer for tenant {tenant}"}],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.containers[tenant]]),
            )
            self.users[tenant] = SftpUser(local_user, user_name, container, private_key)

        self.register_outputs({"host": self.host, "port": self.port})

    def user_names(self) -> dict[str, pulumi.Output[str]]:
        """Return each tenant's SFTP login, ``<account>.<local user>``, as Azure requires it."""
        return {tenant: _login(self.account.name, user.user_name) for tenant, user in self.users.items()}

    def root_directories(self) -> dict[str, str]:
        """Return each tenant's root directory as the SFTP client sees it (its home container)."""
        return {tenant: "/" for tenant in self.users}

    def private_keys(self) -> dict[str, pulumi.Output[str]]:
        """Return each generated private key as a base64-encoded PEM Pulumi secret."""
        return sftp_private_key_outputs({tenant: user.private_key for tenant, user in self.users.items()})


def _login(account_name: pulumi.Output[str], user_name: str) -> pulumi.Output[str]:
    return account_name.apply(lambda account: f"{account}.{user_name}")


def _check_args(name: str, args: SftpDropZoneArgs) -> None:
    if not args.tenants:
        raise ValueError(f"SftpDropZone {name!r}: tenants is empty; give at least one tenant id")
    if not args.allowed_cidrs:
        raise ValueError(f"SftpDropZone {name!r}: allowed_cidrs is empty; list the ranges AEP connects from")
    unknown = sorted(set(args.public_keys) - set(args.tenants))
    if unknown:
        raise ValueError(
            f"SftpDropZone {name!r}: public_keys names unknown tenants {unknown}; "
            f"allowed: {sorted(args.tenants)}"
        )
    naming.check_local_users_distinct(list(args.tenants))
