"""GCP controls G11-G15: the writer's service account, HMAC keys, IAM and Cloud KMS."""

from __future__ import annotations

import re

from destkit.plan.model import PlannedResource
from destkit.policy.core import Stack, control, require
from destkit.policy.gcp.common import iam_members, public_grants
from destkit.policy.gcp.tokens import (
    BUCKET_IAM_BINDING,
    BUCKET_IAM_MEMBER,
    CLOUD,
    CRYPTO_KEY,
    HMAC_KEY,
    KMS_IAM_TYPES,
    PROJECT_IAM_BINDING,
    PROJECT_IAM_MEMBER,
    SECRET_VERSION,
    SERVICE_ACCOUNT,
    SERVICE_ACCOUNT_KEY,
)

# --- Identity and IAM ------------------------------------------------------------------------------

_BASIC_ROLES = {"roles/owner", "roles/editor", "roles/viewer"}
_WRITER_BUCKET_ROLES = {
    "roles/storage.objectCreator",
    "roles/storage.objectViewer",
    "roles/storage.legacyBucketReader",
}
_IMPERSONATION_ROLES = {"roles/iam.serviceAccountUser", "roles/iam.serviceAccountTokenCreator"}


@control(
    "G11",
    "writer-sa-least-privilege",
    cloud=CLOUD,
    types=[PROJECT_IAM_MEMBER, PROJECT_IAM_BINDING, BUCKET_IAM_MEMBER, BUCKET_IAM_BINDING],
    sources="CKV_GCP_117; CKV_GCP_41; CKV_GCP_42; CKV_GCP_46; CKV_GCP_49; CIS GCP 4.0 1.5, 1.6",
    summary="No project-level basic or storage roles, no project-level impersonation roles for users, no "
    "admin roles for service accounts, and service accounts get only objectCreator, objectViewer or "
    "legacyBucketReader on buckets.",
    remediation="Grant roles/storage.objectCreator (plus objectViewer if the writer reads back) on the "
    "bucket "
    "only, to the writer's own service account.",
)
def writer_sa_least_privilege(resource: PlannedResource, stack: Stack) -> list[str]:
    problems: list[str] = []
    project_level = resource.type in (PROJECT_IAM_MEMBER, PROJECT_IAM_BINDING)
    for role, member in iam_members(resource):
        service_account = member.startswith("serviceAccount:")
        if project_level:
            require(role not in _BASIC_ROLES, f"the basic role {role} is granted at project level", problems)
            require(not role.startswith("roles/storage."), f"{role} is granted at project level", problems)
            require(
                not (member.startswith("user:") and role in _IMPERSONATION_ROLES),
                f"{member} may impersonate service accounts ({role})",
                problems,
            )
            require(
                not (service_account and ("admin" in role.lower() or role == "roles/owner")),
                f"the service account {member} holds {role}",
                problems,
            )
        elif service_account:
            require(role in _WRITER_BUCKET_ROLES, f"{member} holds {role} on the bucket", problems)
    return problems


def _hmac_owner(key: PlannedResource) -> str:
    return str(key.inputs.get("serviceAccountEmail", ""))


@control(
    "G12",
    "gcs-hmac-key-hygiene",
    cloud=CLOUD,
    types=[HMAC_KEY],
    cross_resource=True,
    sources="CIS GCP 4.0 1.7; OrgPol storage.restrictAuthTypes",
    summary="HMAC keys belong to a service account of this stack, at most 2 are ACTIVE per account, and the "
    "stack stores secrets in Secret Manager.",
    remediation="Create the HmacKey for the writer's service account, keep at most two active, and write the "
    "secret to a gcp.secretmanager.SecretVersion.",
)
def gcs_hmac_key_hygiene(key: PlannedResource, stack: Stack) -> list[str]:
    owner = _hmac_owner(key)
    problems: list[str] = []
    require(
        stack.referenced(owner, [SERVICE_ACCOUNT]) is not None or owner.endswith(".iam.gserviceaccount.com"),
        f"serviceAccountEmail {owner!r} is not a service account",
        problems,
    )
    active = [
        k
        for k in stack.of_type(HMAC_KEY)
        if _hmac_owner(k) == owner and k.inputs.get("state", "ACTIVE") == "ACTIVE"
    ]
    require(len(active) <= 2, f"{len(active)} HMAC keys are ACTIVE for {owner}", problems)
    require(
        bool(stack.of_type(SECRET_VERSION)),
        "no Secret Manager secret version stores the HMAC secret",
        problems,
    )
    return problems


@control(
    "G13",
    "no-sa-json-keys",
    cloud=CLOUD,
    types=[SERVICE_ACCOUNT_KEY],
    absent_passes="no gcp:serviceaccount/key:Key in this stack",
    sources="CKV2_GCP_3; CIS GCP 4.0 1.4, 1.7; SHA USER_MANAGED_SERVICE_ACCOUNT_KEY; "
    "OrgPol iam.disableServiceAccountKeyCreation",
    summary="The kit creates no user-managed service-account keys.",
    remediation="Remove the gcp.serviceaccount.Key and attach the service account to the workload.",
)
def no_sa_json_keys(key: PlannedResource, stack: Stack) -> list[str]:
    return ["a user-managed service-account key is created"]


# --- Cloud KMS ------------------------------------------------------------------------------------


@control(
    "G14",
    "kms-rotation-90d",
    cloud=CLOUD,
    types=[CRYPTO_KEY],
    sources="CKV_GCP_43; CIS GCP 4.0 1.10; SHA KMS_KEY_NOT_ROTATED",
    summary="ENCRYPT_DECRYPT keys rotate every 1 to 90 days.",
    remediation="Set rotation_period between '86400s' and '7776000s'.",
)
def kms_rotation_90d(key: PlannedResource, stack: Stack) -> list[str]:
    if key.inputs.get("purpose", "ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT":
        return []
    period = str(key.inputs.get("rotationPeriod", ""))
    match = re.fullmatch(r"(\d+)(?:\.\d+)?s", period)
    if match and 86400 <= int(match.group(1)) <= 7776000:
        return []
    return [f"rotationPeriod is {period or None!r}, not between 86400s and 7776000s"]


@control(
    "G15",
    "kms-not-public-protected",
    cloud=CLOUD,
    types=KMS_IAM_TYPES,
    cross_resource=True,
    absent_passes="no Cloud KMS IAM grant in this stack, so none is public",
    sources="CKV_GCP_112; CKV2_GCP_6, CKV2_GCP_8; CKV_GCP_82; CIS GCP 4.0 1.9, 1.11",
    summary="No key or key-ring grant names allUsers or allAuthenticatedUsers, and no principal holds both "
    "cloudkms.admin and cryptoKeyEncrypterDecrypter.",
    remediation="Remove public members and split KMS administration from key use.",
)
def kms_not_public_protected(resource: PlannedResource, stack: Stack) -> list[str]:
    # NOTE: Pulumi's protect option is not part of the inputs, so key deletion protection is not checked here.
    problems = public_grants(resource)
    kms_grants = stack.of_type(*KMS_IAM_TYPES)
    admins = {member for g in kms_grants for role, member in iam_members(g) if role == "roles/cloudkms.admin"}
    for role, member in iam_members(resource):
        require(
            not (role == "roles/cloudkms.cryptoKeyEncrypterDecrypter" and member in admins),
            f"{member} holds both cloudkms.admin and cryptoKeyEncrypterDecrypter",
            problems,
        )
    return problems
