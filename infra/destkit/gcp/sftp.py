"""``SftpDropZone`` (experimental, opt-in): a hardened Compute Engine SFTP server over the drop zone.

GCP has no managed SFTP service. The kit runs a Shielded VM with a static address, OS Login for
administrators reachable only through IAP, automatic security updates and one chrooted SFTP-only
user per tenant with an RSA key. Each user's upload directory is a Cloud Storage FUSE mount of the
tenant's prefix in the bucket (see ``sftp_config.render_boot_script``). Firewall rules admit SFTP
from the configured CIDRs and administrative SSH from IAP's range only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp
import pulumi_tls as tls

from destkit import waivers
from destkit.gcp import defaults, naming
from destkit.gcp.sftp_config import SftpTenant, SshdSettings, render_boot_script
from destkit.gcp.storage import BucketSettings, build_bucket
from destkit.outputs import sftp_private_key_outputs


@dataclass(frozen=True)
class SftpDropZoneArgs:
    """Settings of an :class:`SftpDropZone`."""

    tenants: Sequence[str]
    project: pulumi.Input[str]
    region: str
    prefix: str
    bucket_name: pulumi.Input[str] | None
    """Bucket whose ``<tenant>/`` prefixes are the upload directories (the GCS drop zone's).

    A hardened bucket is created when None."""
    allowed_cidrs: Sequence[str]
    kms_key_id: pulumi.Input[str] | None = None
    key_grant: pulumi.Resource | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    public_keys: Mapping[str, str] = field(default_factory=dict)
    """RSA public key (OpenSSH) per tenant; a 4096-bit key pair is generated for the others."""
    network: pulumi.Input[str] = "default"
    zone: str | None = None
    """Zone of the instance; ``<region>-b`` when unset."""
    machine_type: str = defaults.SFTP_MACHINE_TYPE
    protect: bool = True

    def check(self, name: str) -> None:
        if not self.tenants:
            raise ValueError(f"SftpDropZone {name!r}: tenants is empty; give at least one tenant id")
        if not self.allowed_cidrs:
            raise ValueError(
                f"SftpDropZone {name!r}: allowed_cidrs is empty; list the ranges AEP connects from"
            )
        for cidr in self.allowed_cidrs:
            if cidr.endswith("/0"):
                raise ValueError(
                    f"SftpDropZone {name!r}: {cidr!r} opens SFTP to every address; list specific ranges"
                )
        for tenant in self.tenants:
            problem = naming.linux_user_problem(naming.sftp_user(tenant))
            if problem:
                raise ValueError(f"SftpDropZone {name!r}: tenant {tenant!r}: {problem}")


class SftpDropZone(pulumi.ComponentResource):
    """Shielded Compute Engine instance serving SFTP over Cloud Storage FUSE mounts."""

    bucket: gcp.storage.Bucket | None
    """The bucket this component created, or None when ``bucket_name`` was given."""
    address: gcp.compute.Address
    instance: gcp.compute.Instance
    service_account: gcp.serviceaccount.Account
    sftp_firewall: gcp.compute.Firewall
    admin_firewall: gcp.compute.Firewall
    host: pulumi.Output[str]
    port: int
    usernames: dict[str, str]
    private_keys: dict[str, pulumi.Output[str]]
    """Base64 PEM private key per tenant whose key pair the kit generated."""
    root_directories: dict[str, str]

    def __init__(self, name: str, args: SftpDropZoneArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("destkit:gcp:SftpDropZone", name, None, opts)
        args.check(name)
        options = pulumi.ResourceOptions(parent=self)
        zone = args.zone or f"{args.region}-b"
        tag = naming.resource_id(args.prefix, "sftp")
        self.port = defaults.SFTP_PORT
        self.bucket = None
        bucket_name = args.bucket_name
        if bucket_name is None:
            self.bucket = build_bucket(
                f"{name}-files",
                BucketSettings(
                    location=args.region,
                    project=args.project,
                    labels=args.labels,
                    kms_key_id=args.kms_key_id,
                    key_grant=args.key_grant,
                    protect=args.protect,
                ),
                self,
            )
            bucket_name = self.bucket.name

        self.service_account = gcp.serviceaccount.Account(
            f"{name}-vm",
            account_id=naming.service_account_id(args.prefix, "sftp"),
            display_name=f"{args.prefix} SFTP server",
            description="Mounts the drop-zone bucket for the SFTP server",
            project=args.project,
            opts=options,
        )
        waivers.record(
            "writer-sa-least-privilege",
            f"{name}-vm-objects",
            "Cloud Storage FUSE lists, reads, replaces and deletes objects to present the tenants' "
            "prefixes as directories; the instance's account holds objectUser on this bucket only.",
        )
        gcp.storage.BucketIAMMember(
            f"{name}-vm-objects",
            bucket=bucket_name,
            role="roles/storage.objectUser",
            member=self.service_account.member,
            opts=options,
        )

        self.usernames, self.private_keys, self.root_directories = {}, {}, {}
        public_keys: list[pulumi.Output[str]] = []
        for tenant in args.tenants:
            user = naming.sftp_user(tenant)
            self.usernames[tenant] = user
            self.root_directories[tenant] = "/"
            if tenant in args.public_keys:
                public_keys.append(pulumi.Output.from_input(args.public_keys[tenant]))
                continue
            key = tls.PrivateKey(
                f"{name}-{tenant}-key", algorithm="RSA", rsa_bits=defaults.SFTP_RSA_BITS, opts=options
            )
            public_keys.append(key.public_key_openssh)
            self.private_keys.update(sftp_private_key_outputs({tenant: key}))

        self.address = gcp.compute.Address(
            f"{name}-address",
            region=args.region,
            project=args.project,
            address_type="EXTERNAL",
            network_tier="PREMIUM",
            labels=dict(args.labels),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.sftp_firewall = gcp.compute.Firewall(
            f"{name}-sftp",
            network=args.network,
            project=args.project,
            direction="INGRESS",
            allows=[gcp.compute.FirewallAllowArgs(protocol="tcp", ports=[str(self.port)])],
            source_ranges=list(args.allowed_cidrs),
            target_tags=[tag],
            log_config=gcp.compute.FirewallLogConfigArgs(metadata="INCLUDE_ALL_METADATA"),
            description="SFTP from the configured source ranges only",
            opts=options,
        )
        self.admin_firewall = gcp.compute.Firewall(
            f"{name}-iap-admin",
            network=args.network,
            project=args.project,
            direction="INGRESS",
            allows=[gcp.compute.FirewallAllowArgs(protocol="tcp", ports=[str(self.port)])],
            source_ranges=[defaults.IAP_TCP_FORWARDING_RANGE],
            target_tags=[tag],
            log_config=gcp.compute.FirewallLogConfigArgs(metadata="INCLUDE_ALL_METADATA"),
            description="Administrator SSH through IAP TCP forwarding only",
            opts=options,
        )

        tenants = list(args.tenants)
        settings = SshdSettings(users=tuple(self.usernames[t] for t in tenants))
        boot_script = pulumi.Output.all(bucket_name, *public_keys).apply(
            lambda values: render_boot_script(
                values[0],
                [
                    SftpTenant(tenant, self.usernames[tenant], key)
                    for tenant, key in zip(tenants, values[1:], strict=True)
                ],
                settings,
            )
        )
        self.instance = gcp.compute.Instance(
            f"{name}-vm",
            name=naming.resource_id(args.prefix, "sftp"),
            zone=zone,
            project=args.project,
            machine_type=args.machine_type,
            tags=[tag],
            labels=dict(args.labels),
            boot_disk=gcp.compute.InstanceBootDiskArgs(
                initialize_params=gcp.compute.InstanceBootDiskInitializeParamsArgs(
                    image=defaults.SFTP_IMAGE, size=defaults.SFTP_BOOT_DISK_GB, type="pd-balanced"
                )
            ),
            network_interfaces=[
                gcp.compute.InstanceNetworkInterfaceArgs(
                    network=args.network,
                    access_configs=[
                        gcp.compute.InstanceNetworkInterfaceAccessConfigArgs(nat_ip=self.address.address)
                    ],
                )
            ],
            shielded_instance_config=gcp.compute.InstanceShieldedInstanceConfigArgs(
                enable_secure_boot=True, enable_vtpm=True, enable_integrity_monitoring=True
            ),
            service_account=gcp.compute.InstanceServiceAccountArgs(
                email=self.service_account.email, scopes=["cloud-platform"]
            ),
            metadata={
                "enable-oslogin": "TRUE",
                "block-project-ssh-keys": "TRUE",
                "serial-port-enable": "FALSE",
                "startup-script": boot_script,
            },
            deletion_protection=args.protect,
            allow_stopping_for_update=True,
            opts=options,
        )
        self.host = self.address.address
        self.register_outputs({"host": self.host})
