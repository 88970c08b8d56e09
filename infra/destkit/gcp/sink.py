"""``Sink``: the hardened bucket where the streaming intake stores each accepted request on GCP.

The intake writes ``<tenant>/payloads/<sha256 of the decoded body>.json`` and
``<tenant>/audiences/<id>.json`` with the create-only precondition ``ifGenerationMatch=0``, so a
retried batch is stored once: Cloud Storage rejects the second write with 412 Precondition Failed.
A Pub/Sub topic receives an OBJECT_FINALIZE notification for every new object.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from destkit.gcp import defaults
from destkit.gcp.storage import BucketSettings, Notifications, add_notifications, build_cmek_bucket


@dataclass(frozen=True)
class SinkArgs:
    """Settings of a :class:`Sink`."""

    tenants: Sequence[str]
    location: str
    project: pulumi.Input[str]
    labels: Mapping[str, str] = field(default_factory=dict)
    kms_key_id: pulumi.Input[str] | None = None
    """Existing Cloud KMS key for CMEK. A rotated key is created when unset and ``cmek`` is true."""
    key_grant: pulumi.Resource | None = None
    """The storage service agent's grant on ``kms_key_id`` when the caller made it already.

    Pass one grant (``destkit.gcp.kms.grant_storage_agent``) to every component that shares a key."""
    cmek: bool = True
    expire_days: int | None = defaults.EXPIRE_DAYS
    protect: bool = True


class Sink(pulumi.ComponentResource):
    """Hardened bucket for the streaming intake, with object-created notifications."""

    bucket: gcp.storage.Bucket
    bucket_name: pulumi.Output[str]
    key: gcp.kms.CryptoKey | None
    """The key the sink created, or None when a key was given or CMEK is off."""
    notifications: Notifications
    tenant_prefixes: dict[str, str]

    def __init__(self, name: str, args: SinkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("destkit:gcp:Sink", name, None, opts)
        if not args.tenants:
            raise ValueError(f"Sink {name!r}: tenants is empty; give at least one tenant id")

        settings = BucketSettings(
            location=args.location,
            project=args.project,
            labels=args.labels,
            kms_key_id=args.kms_key_id,
            key_grant=args.key_grant,
            expire_days=args.expire_days,
            protect=args.protect,
        )
        self.bucket, self.key = build_cmek_bucket(name, settings, args.cmek, self)
        self.bucket_name = self.bucket.name
        self.notifications = add_notifications(name, self.bucket, args.project, args.labels, self)
        self.tenant_prefixes = {tenant: f"{tenant}/" for tenant in args.tenants}

        self.register_outputs({"bucket_name": self.bucket_name, "topic": self.notifications.topic.id})

    def grant_writer(
        self, name: str, member: pulumi.Input[str], audience_api: bool
    ) -> gcp.storage.BucketIAMMember:
        """Let ``member`` create objects; with the audience API also read and delete them.

        A create with ``ifGenerationMatch=0`` needs only ``storage.objects.create``: Cloud Storage
        checks the precondition and returns 412 without the caller reading the object.
        """
        role = "roles/storage.objectUser" if audience_api else "roles/storage.objectCreator"
        return gcp.storage.BucketIAMMember(
            name,
            bucket=self.bucket.name,
            role=role,
            member=member,
            opts=pulumi.ResourceOptions(parent=self),
        )
