"""``GcsDropZone``: the bucket AEP's Google Cloud Storage destination writes exported files to.

Per tenant, a dedicated service account holds ``roles/storage.objectUser`` on the bucket under an
IAM condition that limits it to objects whose name starts with ``<tenant>/``, and an HMAC key,
because AEP authenticates to GCS only with an HMAC access id and secret.

What isolation holds: a tenant's key can create, read, overwrite and delete objects under its own
prefix only. A list request names the bucket, not an object, so the condition admits it through the
list request's prefix (the ``storage.googleapis.com/objectListPrefix`` attribute): a tenant can list
with a prefix inside its folder, and a list of the whole bucket or of another folder is denied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from destkit import waivers
from destkit.gcp import defaults, naming
from destkit.gcp.storage import BucketSettings, Notifications, add_notifications, build_cmek_bucket

WRITER_ROLE = "roles/storage.objectUser"


@dataclass(frozen=True)
class GcsDropZoneArgs:
    """Settings of a :class:`GcsDropZone`."""

    tenants: Sequence[str]
    location: str
    project: pulumi.Input[str]
    prefix: str
    """Short prefix of service account ids and secret ids, for example ``acme-dev``."""
    labels: Mapping[str, str] = field(default_factory=dict)
    kms_key_id: pulumi.Input[str] | None = None
    key_grant: pulumi.Resource | None = None
    cmek: bool = True
    expire_days: int | None = defaults.EXPIRE_DAYS
    noncurrent_version_days: int = defaults.NONCURRENT_VERSION_DAYS
    abort_multipart_days: int = defaults.ABORT_MULTIPART_DAYS
    protect: bool = True


@dataclass
class TenantWriter:
    service_account: gcp.serviceaccount.Account
    binding: gcp.storage.BucketIAMMember
    hmac_key: gcp.storage.HmacKey
    secret: gcp.secretmanager.Secret
    secret_version: gcp.secretmanager.SecretVersion


def _secret(value: pulumi.Input[str]) -> pulumi.Output[str]:
    secret: pulumi.Output[str] = pulumi.Output.secret(value)
    return secret


def prefix_condition(bucket_name: str, tenant: str) -> str:
    """Return the CEL expression that limits a binding to objects, and listings, under ``<tenant>/``."""
    return (
        f'resource.name.startsWith("projects/_/buckets/{bucket_name}/objects/{tenant}/") || '
        f'api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("{tenant}/")'
    )


class GcsDropZone(pulumi.ComponentResource):
    """Hardened bucket with a prefix-scoped writer and HMAC key per tenant."""

    bucket: gcp.storage.Bucket
    bucket_name: pulumi.Output[str]
    key: gcp.kms.CryptoKey | None
    notifications: Notifications
    writers: dict[str, TenantWriter]
    prefixes: dict[str, str]
    hmac_access_ids: dict[str, pulumi.Output[str]]
    hmac_secrets: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: GcsDropZoneArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("destkit:gcp:GcsDropZone", name, None, opts)
        if not args.tenants:
            raise ValueError(f"GcsDropZone {name!r}: tenants is empty; give at least one tenant id")
        settings = BucketSettings(
            location=args.location,
            project=args.project,
            labels=args.labels,
            kms_key_id=args.kms_key_id,
            key_grant=args.key_grant,
            expire_days=args.expire_days,
            noncurrent_version_days=args.noncurrent_version_days,
            abort_multipart_days=args.abort_multipart_days,
            protect=args.protect,
        )
        self.bucket, self.key = build_cmek_bucket(name, settings, args.cmek, self)
        self.bucket_name = self.bucket.name
        self.notifications = add_notifications(name, self.bucket, args.project, args.labels, self)

        self.writers = {}
        self.prefixes = {}
        self.hmac_access_ids = {}
        self.hmac_secrets = {}
        for tenant in args.tenants:
            writer = self._tenant_writer(name, tenant, args)
            self.writers[tenant] = writer
            self.prefixes[tenant] = f"{tenant}/"
            self.hmac_access_ids[tenant] = writer.hmac_key.access_id
            self.hmac_secrets[tenant] = _secret(writer.hmac_key.secret)

        self.register_outputs({"bucket_name": self.bucket_name, "topic": self.notifications.topic.id})

    def _tenant_writer(self, name: str, tenant: str, args: GcsDropZoneArgs) -> TenantWriter:
        options = pulumi.ResourceOptions(parent=self)
        account = gcp.serviceaccount.Account(
            f"{name}-{tenant}-writer",
            account_id=naming.service_account_id(args.prefix, "gcs", tenant),
            display_name=f"AEP GCS writer for tenant {tenant}",
            description=f"HMAC identity AEP uses to write under {tenant}/ in the GCS drop zone",
            project=args.project,
            opts=options,
        )
        binding = gcp.storage.BucketIAMMember(
            f"{name}-{tenant}-writer-objects",
            bucket=self.bucket.name,
            role=WRITER_ROLE,
            member=account.member,
            condition=gcp.storage.BucketIAMMemberConditionArgs(
                title=f"only-{tenant}-prefix",
                description=f"Objects under {tenant}/ only",
                expression=self.bucket.name.apply(lambda bucket: prefix_condition(bucket, tenant)),
            ),
            opts=options,
        )
        waivers.record(
            "writer-sa-least-privilege",
            f"{name}-{tenant}-writer-objects",
            "AEP overwrites exported files by name, and Cloud Storage requires storage.objects.delete to "
            "replace an object, which objectCreator lacks; objectUser is limited to the tenant's prefix.",
        )
        hmac_key = gcp.storage.HmacKey(
            f"{name}-{tenant}-hmac",
            service_account_email=account.email,
            project=args.project,
            state="ACTIVE",
            opts=options,
        )
        waivers.record(
            "gcs-hmac-key-hygiene",
            f"{name}-{tenant}-hmac",
            "AEP's GCS destination authenticates only with an HMAC access id and secret; the key belongs "
            "to a prefix-scoped writer, its secret is a secret output and in Secret Manager, and it is "
            "rotated by key replacement (docs/gcp.md) because rotating it in place would break AEP's copy.",
        )
        secret = gcp.secretmanager.Secret(
            f"{name}-{tenant}-hmac-secret",
            secret_id=naming.fit(f"{args.prefix}-gcs-hmac-{tenant}", 255),
            project=args.project,
            labels=dict(args.labels),
            replication=gcp.secretmanager.SecretReplicationArgs(
                auto=gcp.secretmanager.SecretReplicationAutoArgs()
            ),
            opts=options,
        )
        version = gcp.secretmanager.SecretVersion(
            f"{name}-{tenant}-hmac-secret-value",
            secret=secret.id,
            secret_data=_secret(hmac_key.secret),
            opts=options,
        )
        return TenantWriter(account, binding, hmac_key, secret, version)
