"""Cloud KMS for CMEK: a key ring and a rotated key, or an existing key, plus service-agent grants."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_gcp as gcp

from destkit.gcp import defaults

ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"


def create_key(
    name: str,
    *,
    location: str,
    project: pulumi.Input[str],
    labels: Mapping[str, str],
    protect: bool,
    parent: pulumi.Resource | None,
) -> gcp.kms.CryptoKey:
    """Create a key ring and an ENCRYPT_DECRYPT key rotated every 90 days, in ``location``.

    Key rings cannot be deleted in GCP, and destroying a key makes every object it encrypted
    unreadable, so both carry Pulumi ``protect`` when ``protect`` is set.
    """
    ring = gcp.kms.KeyRing(
        f"{name}-ring",
        location=location,
        project=project,
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
    )
    return gcp.kms.CryptoKey(
        name,
        key_ring=ring.id,
        purpose="ENCRYPT_DECRYPT",
        rotation_period=defaults.KMS_ROTATION_PERIOD,
        destroy_scheduled_duration=defaults.KMS_DESTROY_SCHEDULED_DURATION,
        labels=dict(labels),
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
    )


def grant_storage_agent(
    name: str, key_id: pulumi.Input[str], project: pulumi.Input[str], parent: pulumi.Resource | None
) -> gcp.kms.CryptoKeyIAMMember:
    """Grant the project's Cloud Storage service agent encrypt/decrypt on ``key_id``.

    A CMEK bucket cannot be created before this grant exists, so buckets depend on it.
    """
    agent = gcp.storage.get_project_service_account_output(
        project=project, opts=pulumi.InvokeOutputOptions(parent=parent)
    )
    return gcp.kms.CryptoKeyIAMMember(
        name,
        crypto_key_id=key_id,
        role=ENCRYPTER_DECRYPTER,
        member=agent.member,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def resolve_key(
    name: str,
    *,
    cmek: bool,
    kms_key_id: pulumi.Input[str] | None,
    key_grant: pulumi.Resource | None,
    location: str,
    project: pulumi.Input[str],
    labels: Mapping[str, str],
    protect: bool,
    parent: pulumi.Resource | None,
) -> tuple[gcp.kms.CryptoKey | None, pulumi.Input[str] | None, pulumi.Resource | None]:
    """Return (created key, key id, storage agent grant) for a bucket component's CMEK settings.

    A given key is used as is; otherwise a key is created when ``cmek`` is set. The storage service
    agent is granted on the key unless the caller passes the grant it already made. Components that
    share a key should share one grant: separate grants of the same role are one IAM binding, so
    deleting any of them removes the agent's access for all.
    """
    if not cmek and kms_key_id is None:
        return None, None, None
    created = None
    key_id = kms_key_id
    if key_id is None:
        created = create_key(
            f"{name}-key", location=location, project=project, labels=labels, protect=protect, parent=parent
        )
        key_id = created.id
    grant = key_grant or grant_storage_agent(f"{name}-key-agent", key_id, project, parent)
    return created, key_id, grant
