"""One hardened Cloud Storage bucket builder, reused by the sink, the GCS drop zone and the sources.

Every bucket gets uniform bucket-level access, public access prevention ``enforced``, a 7-day soft
delete policy, versioning with a lifecycle that deletes noncurrent versions, optional expiry of live
objects, CMEK when a key is given (created only after the storage service agent holds the key
grant), no force-destroy and, when requested, Pulumi ``protect``. ``add_notifications`` adds a
Pub/Sub topic that receives OBJECT_FINALIZE events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import pulumi
import pulumi_gcp as gcp

from destkit.gcp import defaults, kms


@dataclass(frozen=True)
class BucketSettings:
    """Per-bucket settings of the builder; everything else is a fixed secure default."""

    location: str
    project: pulumi.Input[str]
    labels: Mapping[str, str]
    kms_key_id: pulumi.Input[str] | None = None
    """CMEK key for the bucket's default encryption; Google-managed encryption when None."""
    key_grant: pulumi.Resource | None = None
    """The storage service agent's grant on ``kms_key_id``; the bucket is created after it."""
    expire_days: int | None = defaults.EXPIRE_DAYS
    noncurrent_version_days: int = defaults.NONCURRENT_VERSION_DAYS
    abort_multipart_days: int = defaults.ABORT_MULTIPART_DAYS
    protect: bool = True


@dataclass
class Notifications:
    topic: gcp.pubsub.Topic
    publisher: gcp.pubsub.TopicIAMMember
    notification: gcp.storage.Notification


def lifecycle_rules(settings: BucketSettings) -> list[gcp.storage.BucketLifecycleRuleArgs]:
    """Build the lifecycle rules: noncurrent-version expiry, aborted uploads, optional expiry."""
    rules = [
        gcp.storage.BucketLifecycleRuleArgs(
            action=gcp.storage.BucketLifecycleRuleActionArgs(type="Delete"),
            condition=gcp.storage.BucketLifecycleRuleConditionArgs(
                days_since_noncurrent_time=settings.noncurrent_version_days, with_state="ARCHIVED"
            ),
        ),
        gcp.storage.BucketLifecycleRuleArgs(
            action=gcp.storage.BucketLifecycleRuleActionArgs(type="AbortIncompleteMultipartUpload"),
            condition=gcp.storage.BucketLifecycleRuleConditionArgs(age=settings.abort_multipart_days),
        ),
    ]
    if settings.expire_days is not None:
        rules.append(
            gcp.storage.BucketLifecycleRuleArgs(
                action=gcp.storage.BucketLifecycleRuleActionArgs(type="Delete"),
                condition=gcp.storage.BucketLifecycleRuleConditionArgs(
                    age=settings.expire_days, with_state="LIVE"
                ),
            )
        )
    return rules


def build_bucket(name: str, settings: BucketSettings, parent: pulumi.Resource) -> gcp.storage.Bucket:
    """Create one hardened bucket named after ``name`` (Pulumi appends a random suffix)."""
    encryption = None
    depends_on: list[pulumi.Resource] = []
    if settings.kms_key_id is not None:
        encryption = gcp.storage.BucketEncryptionArgs(default_kms_key_name=settings.kms_key_id)
        if settings.key_grant is not None:
            depends_on.append(settings.key_grant)
    return gcp.storage.Bucket(
        name,
        location=settings.location.upper(),
        project=settings.project,
        uniform_bucket_level_access=True,
        public_access_prevention="enforced",
        versioning=gcp.storage.BucketVersioningArgs(enabled=True),
        soft_delete_policy=gcp.storage.BucketSoftDeletePolicyArgs(
            retention_duration_seconds=defaults.SOFT_DELETE_SECONDS
        ),
        lifecycle_rules=lifecycle_rules(settings),
        encryption=encryption,
        force_destroy=False,
        labels=dict(settings.labels),
        opts=pulumi.ResourceOptions(parent=parent, protect=settings.protect, depends_on=depends_on),
    )


def build_cmek_bucket(
    name: str, settings: BucketSettings, cmek: bool, parent: pulumi.Resource
) -> tuple[gcp.storage.Bucket, gcp.kms.CryptoKey | None]:
    """Create a hardened bucket with CMEK: the given key, or a new key when ``cmek`` is set.

    Returns the bucket and the key this call created (None when a key was given or CMEK is off).
    """
    created, key_id, grant = kms.resolve_key(
        name,
        cmek=cmek,
        kms_key_id=settings.kms_key_id,
        key_grant=settings.key_grant,
        location=settings.location,
        project=settings.project,
        labels=settings.labels,
        protect=settings.protect,
        parent=parent,
    )
    bucket = build_bucket(name, replace(settings, kms_key_id=key_id, key_grant=grant), parent)
    return bucket, created


def add_notifications(
    name: str,
    bucket: gcp.storage.Bucket,
    project: pulumi.Input[str],
    labels: Mapping[str, str],
    parent: pulumi.Resource,
    prefix: str | None = None,
    event_types: Sequence[str] = ("OBJECT_FINALIZE",),
) -> Notifications:
    """Send ``event_types`` on ``bucket`` to a new Pub/Sub topic, as JSON API payloads.

    The storage service agent publishes the messages, so it gets ``pubsub.publisher`` on the topic
    before the notification is created.
    """
    options = pulumi.ResourceOptions(parent=parent)
    topic = gcp.pubsub.Topic(
        f"{name}-events",
        project=project,
        labels=dict(labels),
        message_retention_duration=defaults.TOPIC_MESSAGE_RETENTION,
        opts=options,
    )
    agent = gcp.storage.get_project_service_account_output(
        project=project, opts=pulumi.InvokeOutputOptions(parent=parent)
    )
    publisher = gcp.pubsub.TopicIAMMember(
        f"{name}-events-publisher",
        project=project,
        topic=topic.name,
        role="roles/pubsub.publisher",
        member=agent.member,
        opts=options,
    )
    notification = gcp.storage.Notification(
        f"{name}-notification",
        bucket=bucket.name,
        topic=topic.id,
        payload_format="JSON_API_V1",
        event_types=list(event_types),
        object_name_prefix=prefix,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[publisher]),
    )
    return Notifications(topic=topic, publisher=publisher, notification=notification)
