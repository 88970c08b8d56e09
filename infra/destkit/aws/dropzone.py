"""``S3DropZone``: the hardened bucket where AEP's Amazon S3 destination drops batch files.

Each tenant gets a writer identity limited to ``<tenant>/`` with exactly the S3 actions Adobe
documents for its S3 destination, plus the KMS rights that SSE-KMS uploads need:

- ``access_key`` (default): an IAM user in a per-tenant group with one access key, the
  credential form Destination SDK documents for S3. The secret is a Pulumi secret and is
  also stored in Secrets Manager.
- ``assume_role`` (opt-in): a role that trusts Adobe's documented writer principal and
  requires an ``sts:ExternalId``. Destination SDK does not document this form for partner
  destinations; only Adobe's own Amazon S3 catalog destination does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from destkit import naming, waivers
from destkit.aws import defaults, kms
from destkit.aws.buckets import BucketSettings, HardenedBucket, build_bucket, build_log_bucket, check_bucket_names

WriterMode = Literal["access_key", "assume_role"]
ListScope = Literal["bucket", "tenant_prefix"]

# Tag on every writer identity; the bucket policy's address condition applies to tagged principals.
WRITER_TAG_KEY = "destkit-aep-writer"


@dataclass(frozen=True)
class S3DropZoneArgs:
    """Settings of an :class:`S3DropZone`."""

    tenants: Sequence[str]
    tags: Mapping[str, str] = field(default_factory=dict)
    writer: WriterMode = "access_key"
    external_id: pulumi.Input[str] | None = None
    """sts:ExternalId that Adobe's principal must send; required with writer ``assume_role``."""
    allowed_cidrs: Sequence[str] | None = None
    """Source CIDRs the writers may use. Unset: no address condition."""
    list_scope: ListScope = "bucket"
    """``bucket``: ListBucket on the whole bucket, as Adobe documents; ``tenant_prefix``: narrower."""
    kms_key_arn: pulumi.Input[str] | None = None
    """Existing customer-managed key. A key with rotation is created when unset."""
    kms_key_managed: bool = False
    """True when the key's policy delegates to IAM (keys from ``destkit.aws.kms.create_key``)."""
    log_bucket_name: pulumi.Input[str] | None = None
    """Existing server-access-log bucket. One is created when unset."""
    expire_days: int | None = defaults.EXPIRE_DAYS
    noncurrent_version_days: int = defaults.NONCURRENT_VERSION_DAYS
    abort_multipart_days: int = defaults.ABORT_MULTIPART_DAYS
    protect: bool = True


@dataclass
class S3Writer:
    """The identity one tenant's AEP connection writes with."""

    tenant: str
    prefix: str
    policy: aws.iam.Policy
    principal_arn: pulumi.Output[str]
    user: aws.iam.User | None = None
    group: aws.iam.Group | None = None
    access_key: aws.iam.AccessKey | None = None
    secret: aws.secretsmanager.Secret | None = None
    role: aws.iam.Role | None = None


def writer_policy(
    bucket_arn: str, tenant: str, key_arn: str, region: str, list_scope: ListScope = "bucket"
) -> dict[str, Any]:
    """Build the IAM policy of one tenant's writer.

    The S3 actions are exactly those Adobe documents for its S3 destination. With
    ``list_scope="bucket"`` the policy matches Adobe's minimal example: ``s3:ListBucket`` on the
    bucket, so a writer can list (not read) other tenants' object names. ``tenant_prefix`` adds an
    ``s3:prefix`` condition, which is narrower but not verified against AEP's connection check.
    """
    object_actions = list(defaults.AEP_S3_OBJECT_ACTIONS)
    list_statement: dict[str, Any] = {
        "Sid": "ListBucket",
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": bucket_arn,
    }
    if list_scope == "tenant_prefix":
        list_statement = {
            "Sid": "ListTenantPrefix",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": bucket_arn,
            "Condition": {"StringLike": {"s3:prefix": [f"{tenant}/", f"{tenant}/*"]}},
        }
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "LocateBucket",
                "Effect": "Allow",
                "Action": "s3:GetBucketLocation",
                "Resource": bucket_arn,
            },
            list_statement,
            {
                "Sid": "ReadWriteTenantObjects",
                "Effect": "Allow",
                "Action": object_actions,
                "Resource": f"{bucket_arn}/{tenant}/*",
            },
            kms.writer_kms_statement(key_arn, bucket_arn, region),
        ],
    }


def adobe_trust_policy(external_id: str) -> dict[str, Any]:
    """Build the trust policy of an ``assume_role`` writer: Adobe's writer user, with the external id."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AdobeWriterWithExternalId",
                "Effect": "Allow",
                "Principal": {"AWS": defaults.ADOBE_S3_WRITER_PRINCIPAL},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
            }
        ],
    }


def source_address_statement(bucket_arn: str, cidrs: Sequence[str]) -> dict[str, Any]:
    """Build the bucket-policy statement that denies tagged writers outside ``cidrs``."""
    return {
        "Sid": "DenyWritersOutsideAllowedAddresses",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {
            "NotIpAddress": {"aws:SourceIp": list(cidrs)},
            "StringEquals": {f"aws:PrincipalTag/{WRITER_TAG_KEY}": "true"},
        },
    }


def writer_logical_name(name: str, tenant: str) -> str:
    """Return the logical name of a tenant's IAM user or role (also its auto-name base)."""
    return f"{name}-{tenant}-writer"


class S3DropZone(pulumi.ComponentResource):
    """Hardened S3 drop zone with a least-privilege AEP writer identity per tenant."""

    bucket: aws.s3.Bucket
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    key_arn: pulumi.Output[str]
    key: aws.kms.Key | None
    parts: HardenedBucket
    log_bucket: HardenedBucket | None
    writers: dict[str, S3Writer]
    grants: list[aws.kms.Grant]
    prefixes: dict[str, str]

    def __init__(self, name: str, args: S3DropZoneArgs, opts: pulumi.ResourceOptions | None = None):
        _check_args(name, args)
        super().__init__("destkit:aws:S3DropZone", name, None, opts)
        context = kms.lookup_account_context(parent=self)

        key_managed = args.kms_key_managed
        if args.kms_key_arn is None:
            self.key = kms.create_key(
                f"{name}-key",
                description=f"Encrypts the S3 drop zone {name}",
                tags=args.tags,
                protect=args.protect,
                context=context,
                parent=self,
            )
            self.key_arn = self.key.arn
            key_managed = True
        else:
            self.key = None
            self.key_arn = pulumi.Output.from_input(args.kms_key_arn)

        self.log_bucket = None
        log_bucket_name: pulumi.Input[str]
        if args.log_bucket_name is None:
            self.log_bucket = build_log_bucket(
                f"{name}-logs", tags=args.tags, account_id=context.account_id, protect=args.protect, parent=self
            )
            log_bucket_name = self.log_bucket.bucket.bucket
        else:
            log_bucket_name = args.log_bucket_name

        cidrs = list(args.allowed_cidrs or [])
        settings = BucketSettings(
            tags=args.tags,
            kms_key_arn=self.key_arn,
            log_bucket=log_bucket_name,
            log_prefix=f"{name}/",
            expire_days=args.expire_days,
            noncurrent_version_days=args.noncurrent_version_days,
            abort_multipart_days=args.abort_multipart_days,
            protect=args.protect,
            extra_statements=(lambda arn: [source_address_statement(arn, cidrs)]) if cidrs else None,
        )
        self.parts = build_bucket(name, settings, self)
        self.bucket = self.parts.bucket
        self.bucket_name = self.bucket.bucket
        self.bucket_arn = self.bucket.arn
        self.prefixes = {tenant: f"{tenant}/" for tenant in args.tenants}

        self.writers = {}
        for tenant in args.tenants:
            policy = _create_writer_policy(
                name, tenant, self.bucket_arn, self.key_arn, context.region, args.list_scope, args.tags, self
            )
            if args.writer == "assume_role":
                assert args.external_id is not None  # checked by _check_args
                writer = _create_role_writer(name, tenant, policy, args.external_id, args.tags, self)
            else:
                writer = _create_user_writer(name, tenant, policy, self.key_arn, args.tags, self)
            self.writers[tenant] = writer

        self.grants = []
        if not key_managed:
            self.grants = kms.create_writer_grants(
                name,
                key_arn=self.key_arn,
                grantees=[(tenant, writer.principal_arn) for tenant, writer in self.writers.items()],
                parent=self,
            )

        self.register_outputs(
            {"bucket_name": self.bucket_name, "bucket_arn": self.bucket_arn, "key_arn": self.key_arn}
        )

    def access_key_ids(self) -> dict[str, pulumi.Output[str]]:
        """Return each tenant's access key id (``access_key`` writers only)."""
        return {t: w.access_key.id for t, w in self.writers.items() if w.access_key is not None}

    def secret_access_keys(self) -> dict[str, pulumi.Output[str]]:
        """Return each tenant's secret access key as a Pulumi secret (``access_key`` writers only)."""
        return {
            t: pulumi.Output.secret(w.access_key.secret) for t, w in self.writers.items() if w.access_key is not None
        }

    def role_arns(self) -> dict[str, pulumi.Output[str]]:
        """Return each tenant's writer role ARN (``assume_role`` writers only)."""
        return {t: w.role.arn for t, w in self.writers.items() if w.role is not None}


def _check_args(name: str, args: S3DropZoneArgs) -> None:
    if not args.tenants:
        raise ValueError(f"S3DropZone {name!r}: tenants is empty; give at least one tenant id")
    if args.writer not in ("access_key", "assume_role"):
        raise ValueError(f"S3DropZone {name!r}: writer {args.writer!r} is invalid; use access_key or assume_role")
    if args.writer == "assume_role" and not args.external_id:
        raise ValueError(f"S3DropZone {name!r}: writer assume_role requires external_id (sts:ExternalId)")
    check_bucket_names("S3DropZone", name, with_log_bucket=args.log_bucket_name is None)
    for tenant in args.tenants:
        writer = naming.autonamed(writer_logical_name(name, tenant))
        naming.check_name_fits("S3DropZone", name, writer, naming.iam_name_problem(writer))


def _create_writer_policy(
    name: str,
    tenant: str,
    bucket_arn: pulumi.Output[str],
    key_arn: pulumi.Output[str],
    region: pulumi.Output[str],
    list_scope: ListScope,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> aws.iam.Policy:
    document = pulumi.Output.all(bucket_arn, key_arn, region).apply(
        lambda values: writer_policy(values[0], tenant, values[1], values[2], list_scope)
    )
    return aws.iam.Policy(
        f"{name}-{tenant}-writer-policy",
        description=f"AEP writer for tenant {tenant}: the documented S3 actions on {tenant}/ only",
        policy=pulumi.Output.json_dumps(document),
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _create_user_writer(
    name: str,
    tenant: str,
    policy: aws.iam.Policy,
    key_arn: pulumi.Output[str],
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> S3Writer:
    child = pulumi.ResourceOptions(parent=parent)
    logical = writer_logical_name(name, tenant)
    group = aws.iam.Group(f"{name}-{tenant}-writers", opts=child)
    aws.iam.GroupPolicyAttachment(
        f"{name}-{tenant}-writers-policy", group=group.name, policy_arn=policy.arn, opts=child
    )
    # No login profile: the user has no console password, only the access key below.
    user = aws.iam.User(logical, tags={**tags, WRITER_TAG_KEY: "true"}, opts=child)
    aws.iam.UserGroupMembership(f"{logical}-membership", user=user.name, groups=[group.name], opts=child)
    access_key = aws.iam.AccessKey(f"{logical}-key", user=user.name, opts=child)

    secret = aws.secretsmanager.Secret(
        f"{logical}-secret",
        description=f"Access key of the AEP S3 writer for tenant {tenant}",
        kms_key_id=key_arn,
        tags=dict(tags),
        opts=child,
    )
    secret_string = pulumi.Output.all(access_key.id, access_key.secret).apply(
        lambda values: json.dumps({"access_key_id": values[0], "secret_access_key": values[1]})
    )
    secret_value: pulumi.Output[str] = pulumi.Output.secret(secret_string)
    aws.secretsmanager.SecretVersion(
        f"{logical}-secret-version",
        secret_id=secret.id,
        secret_string=secret_value,
        opts=child,
    )

    waivers.record(
        "writer-user-hygiene",
        f"{logical}-key",
        "Destination SDK documents only an access key and secret for S3 destinations, so the writer "
        "is an IAM user. AEP keeps its own copy of the key, so automatic rotation would break the "
        "connection: rotate with a second key and update the AEP connection (runbook in docs/aws.md).",
    )
    waivers.record(
        "secret-rotation",
        f"{logical}-secret",
        "The secret is a copy of the writer's access key, which AEP also holds. Rotating only this "
        "copy would desynchronise it from AEP, so it is rotated with the key by the runbook.",
    )
    return S3Writer(
        tenant=tenant,
        prefix=f"{tenant}/",
        policy=policy,
        principal_arn=user.arn,
        user=user,
        group=group,
        access_key=access_key,
        secret=secret,
    )


def _create_role_writer(
    name: str,
    tenant: str,
    policy: aws.iam.Policy,
    external_id: pulumi.Input[str],
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> S3Writer:
    child = pulumi.ResourceOptions(parent=parent)
    logical = writer_logical_name(name, tenant)
    pulumi.log.warn(
        f"S3 drop zone {name}: tenant {tenant} uses writer assume_role, which Destination SDK does not "
        "document for partner destinations; verify it with Adobe before relying on it",
        resource=parent,
    )
    trust = pulumi.Output.from_input(external_id).apply(adobe_trust_policy)
    role = aws.iam.Role(
        logical,
        # The description is what `destkit plan` and the IAM console show for this choice.
        description=(
            f"AEP writer for tenant {tenant}, assumed by Adobe's destinations user. Assumed-role "
            "access is not documented for Destination SDK destinations: verify it with Adobe."
        ),
        assume_role_policy=pulumi.Output.json_dumps(trust),
        tags={**tags, WRITER_TAG_KEY: "true"},
        opts=child,
    )
    aws.iam.RolePolicyAttachment(f"{logical}-policy", role=role.name, policy_arn=policy.arn, opts=child)
    return S3Writer(tenant=tenant, prefix=f"{tenant}/", policy=policy, principal_arn=role.arn, role=role)
