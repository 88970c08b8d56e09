"""GCP controls G1-G10: Cloud Storage landing and log buckets."""

from __future__ import annotations

from typing import Any

from destkit.plan.model import PlannedResource
from destkit.policy.core import Stack, as_list, control, get, refers_to, require
from destkit.policy.gcp.common import iam_members, public_grants
from destkit.policy.gcp.tokens import (
    AUDIT_CONFIG,
    BUCKET,
    BUCKET_IAM_BINDING,
    BUCKET_IAM_MEMBER,
    BUCKET_IAM_POLICY,
    CLOUD,
    CRYPTO_KEY,
    CRYPTO_KEY_IAM_BINDING,
    CRYPTO_KEY_IAM_MEMBER,
)

# --- Cloud Storage ---------------------------------------------------------------------------------


@control(
    "G1",
    "gcs-ubla",
    cloud=CLOUD,
    types=[BUCKET],
    sources="CKV_GCP_29; CIS GCP 4.0 5.2; SHA BUCKET_POLICY_ONLY_DISABLED; OrgPol "
    "storage.uniformBucketLevelAccess",
    summary="Uniform bucket-level access is on.",
    remediation="Set uniform_bucket_level_access=True.",
)
def gcs_ubla(bucket: PlannedResource, stack: Stack) -> list[str]:
    if bucket.inputs.get("uniformBucketLevelAccess") is True:
        return []
    return ["uniformBucketLevelAccess is not true"]


@control(
    "G2",
    "gcs-pap-enforced",
    cloud=CLOUD,
    types=[BUCKET],
    sources="CKV_GCP_114; PCR:gcp-storage-bucket-enforce-public-access-prevention; "
    "OrgPol storage.publicAccessPrevention",
    summary="Public access prevention is enforced.",
    remediation="Set public_access_prevention='enforced'.",
)
def gcs_pap_enforced(bucket: PlannedResource, stack: Stack) -> list[str]:
    value = bucket.inputs.get("publicAccessPrevention")
    return [] if value == "enforced" else [f"publicAccessPrevention is {value!r}, not 'enforced'"]


@control(
    "G3",
    "gcs-no-public-iam",
    cloud=CLOUD,
    types=[BUCKET_IAM_MEMBER, BUCKET_IAM_BINDING, BUCKET_IAM_POLICY],
    absent_passes="no bucket IAM grant in this stack, so none is public",
    sources="CKV_GCP_28; CIS GCP 4.0 5.1; SHA PUBLIC_BUCKET_ACL",
    summary="No bucket IAM member, binding or policy names allUsers or allAuthenticatedUsers.",
    remediation="Grant the role to the writer's service account instead of allUsers/allAuthenticatedUsers.",
)
def gcs_no_public_iam(resource: PlannedResource, stack: Stack) -> list[str]:
    return public_grants(resource)


@control(
    "G4",
    "gcs-cmek",
    cloud=CLOUD,
    types=[BUCKET],
    cross_resource=True,
    sources="SHA BUCKET_CMEK_DISABLED; OrgPol gcp.restrictNonCmekServices",
    summary="The bucket's default key is a Cloud KMS key; when the key is in this stack, the Cloud Storage "
    "service agent holds cryptoKeyEncrypterDecrypter on it.",
    remediation="Set encryption.default_kms_key_name to the kit's CryptoKey and grant "
    "roles/cloudkms.cryptoKeyEncrypterDecrypter on it to "
    "service-<number>@gs-project-accounts.iam.gserviceaccount.com.",
)
def gcs_cmek(bucket: PlannedResource, stack: Stack) -> list[str]:
    key_name = get(bucket.inputs, "encryption.defaultKmsKeyName")
    if not key_name:
        return ["encryption.defaultKmsKeyName is not set"]
    key = stack.referenced(key_name, [CRYPTO_KEY])
    if key is None:
        return []
    grants = stack.referencing(key, [CRYPTO_KEY_IAM_MEMBER, CRYPTO_KEY_IAM_BINDING], ["cryptoKeyId"])
    for grant in grants:
        for role, member in iam_members(grant):
            if role == "roles/cloudkms.cryptoKeyEncrypterDecrypter" and "@gs-project-accounts." in member:
                return []
    return ["the Cloud Storage service agent has no cryptoKeyEncrypterDecrypter grant on the key"]


@control(
    "G5",
    "gcs-soft-delete",
    cloud=CLOUD,
    types=[BUCKET],
    sources="OrgPol storage.softDeletePolicySeconds",
    summary="Soft delete keeps objects at least 7 days (604800 s; the default when unset).",
    remediation="Set soft_delete_policy.retention_duration_seconds >= 604800, never 0.",
)
def gcs_soft_delete(bucket: PlannedResource, stack: Stack) -> list[str]:
    seconds = get(bucket.inputs, "softDeletePolicy.retentionDurationSeconds")
    if seconds is None or int(seconds) >= 604800:
        return []
    return [f"softDeletePolicy.retentionDurationSeconds is {seconds}, below 604800"]


def _lifecycle_rules(bucket: PlannedResource) -> list[dict[str, Any]]:
    return [r for r in as_list(bucket.inputs.get("lifecycleRules")) if isinstance(r, dict)]


@control(
    "G6",
    "gcs-versioning",
    cloud=CLOUD,
    types=[BUCKET],
    advisory=True,
    sources="CKV_GCP_78; SHA OBJECT_VERSIONING_DISABLED",
    summary="Versioning is on with a rule that deletes noncurrent versions, except on buckets with a "
    "retention policy (optional: soft delete covers accidental deletes).",
    remediation="Set versioning.enabled=True and a Delete lifecycle rule with days_since_noncurrent_time.",
)
def gcs_versioning(bucket: PlannedResource, stack: Stack) -> list[str]:
    # Cloud Storage rejects versioning on a bucket with a retention policy (log and audit buckets).
    if "retentionPolicy" in bucket.inputs:
        return []
    problems: list[str] = []
    require(get(bucket.inputs, "versioning.enabled") is True, "versioning.enabled is not true", problems)
    noncurrent = any(
        get(rule, "condition.daysSinceNoncurrentTime") is not None or get(rule, "condition.numNewerVersions")
        for rule in _lifecycle_rules(bucket)
    )
    require(noncurrent, "no lifecycle rule deletes noncurrent versions", problems)
    return problems


def _is_log_bucket(bucket: PlannedResource, stack: Stack) -> bool:
    return any(refers_to(get(other.inputs, "logging.logBucket"), bucket) for other in stack.of_type(BUCKET))


@control(
    "G7",
    "gcs-retention-lock",
    cloud=CLOUD,
    types=[BUCKET],
    cross_resource=True,
    selector=lambda bucket, stack: _is_log_bucket(bucket, stack) or "retentionPolicy" in bucket.inputs,
    scope="log or audit bucket (landing buckets are exempt: the writer overwrites and deletes)",
    sources="SHA LOCKED_RETENTION_POLICY_NOT_SET; CKV2_GCP_4; CIS GCP 4.0 2.3; OrgPol "
    "storage.retentionPolicySeconds",
    summary="Log and audit buckets have a locked retention policy. Landing buckets are exempt because AEP's "
    "writer overwrites and deletes files.",
    remediation="Set retention_policy with retention_period and is_locked=True on the log bucket.",
)
def gcs_retention_lock(bucket: PlannedResource, stack: Stack) -> list[str]:
    problems: list[str] = []
    require(
        bool(get(bucket.inputs, "retentionPolicy.retentionPeriod")), "retentionPolicy is not set", problems
    )
    require(
        get(bucket.inputs, "retentionPolicy.isLocked") is True,
        "retentionPolicy.isLocked is not true",
        problems,
    )
    return problems


_AUDIT_LOG_TYPES = {"DATA_WRITE", "DATA_READ", "ADMIN_READ"}


@control(
    "G8",
    "gcs-audit-logging",
    cloud=CLOUD,
    types=[BUCKET],
    cross_resource=True,
    sources="CKV2_GCP_5; CKV_GCP_62, CKV_GCP_63; CIS GCP 4.0 2.1; SHA BUCKET_LOGGING_DISABLED",
    summary="A project audit config logs DATA_WRITE, DATA_READ and ADMIN_READ for storage.googleapis.com "
    "(or allServices) with no exempted members; a bucket never logs to itself.",
    remediation="Create a gcp.projects.IAMAuditConfig for 'storage.googleapis.com' with those three log "
    "types.",
)
def gcs_audit_logging(bucket: PlannedResource, stack: Stack) -> list[str]:
    problems: list[str] = []
    logged: set[str] = set()
    for config in stack.of_type(AUDIT_CONFIG):
        if config.inputs.get("service") not in ("storage.googleapis.com", "allServices"):
            continue
        for entry in as_list(config.inputs.get("auditLogConfigs")):
            if isinstance(entry, dict) and not entry.get("exemptedMembers"):
                logged.add(str(entry.get("logType")))
    missing = sorted(_AUDIT_LOG_TYPES - logged)
    require(not missing, f"no audit config logs {', '.join(missing)} for Cloud Storage", problems)
    log_bucket = get(bucket.inputs, "logging.logBucket")
    require(not refers_to(log_bucket, bucket), "the bucket logs to itself", problems)
    return problems


@control(
    "G9",
    "gcs-lifecycle",
    cloud=CLOUD,
    types=[BUCKET],
    sources="Analogue of FSBP S3.13 / CKV_AWS_300",
    summary="Lifecycle rules delete objects after a set age and abort incomplete multipart uploads within 7 "
    "days.",
    remediation="Add lifecycle_rules: action Delete with condition.age, and action "
    "AbortIncompleteMultipartUpload with condition.age <= 7.",
)
def gcs_lifecycle(bucket: PlannedResource, stack: Stack) -> list[str]:
    rules = _lifecycle_rules(bucket)
    problems: list[str] = []
    require(
        any(get(r, "action.type") == "Delete" and get(r, "condition.age") is not None for r in rules),
        "no lifecycle rule deletes objects after an age",
        problems,
    )
    require(
        any(
            get(r, "action.type") == "AbortIncompleteMultipartUpload" and (get(r, "condition.age") or 99) <= 7
            for r in rules
        ),
        "no lifecycle rule aborts incomplete multipart uploads within 7 days",
        problems,
    )
    return problems


@control(
    "G10",
    "gcs-location",
    cloud=CLOUD,
    types=[BUCKET],
    advisory=True,
    sources="OrgPol gcp.resourceLocations; SHA ORG_POLICY_LOCATION_RESTRICTION",
    summary="The bucket's location is set explicitly (the kit uses the stack's region).",
    remediation="Set location to the region allowed for the data, for example 'EUROPE-WEST1'.",
)
def gcs_location(bucket: PlannedResource, stack: Stack) -> list[str]:
    return [] if bucket.inputs.get("location") else ["location is not set"]
