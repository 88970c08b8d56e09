"""The GCP controls of the policy pack (ids G1-G24), as checks over pulumi-gcp 10 wire inputs."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

import yaml

from destkit.plan.model import PlannedResource
from destkit.policy.aws import secret_looking
from destkit.policy.core import (
    Stack,
    as_list,
    control,
    get,
    load_json,
    mapping,
    not_applicable_control,
    refers_to,
    require,
)

CLOUD = "gcp"

BUCKET = "gcp:storage/bucket:Bucket"
BUCKET_IAM_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
BUCKET_IAM_BINDING = "gcp:storage/bucketIAMBinding:BucketIAMBinding"
BUCKET_IAM_POLICY = "gcp:storage/bucketIAMPolicy:BucketIAMPolicy"
AUDIT_CONFIG = "gcp:projects/iAMAuditConfig:IAMAuditConfig"
PROJECT_IAM_MEMBER = "gcp:projects/iAMMember:IAMMember"
PROJECT_IAM_BINDING = "gcp:projects/iAMBinding:IAMBinding"
SERVICE_ACCOUNT = "gcp:serviceaccount/account:Account"
SERVICE_ACCOUNT_KEY = "gcp:serviceaccount/key:Key"
HMAC_KEY = "gcp:storage/hmacKey:HmacKey"
SECRET_VERSION = "gcp:secretmanager/secretVersion:SecretVersion"  # noqa: S105 (a type token)
CRYPTO_KEY = "gcp:kms/cryptoKey:CryptoKey"
CRYPTO_KEY_IAM_MEMBER = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
CRYPTO_KEY_IAM_BINDING = "gcp:kms/cryptoKeyIAMBinding:CryptoKeyIAMBinding"
CRYPTO_KEY_IAM_POLICY = "gcp:kms/cryptoKeyIAMPolicy:CryptoKeyIAMPolicy"
KEY_RING_IAM_MEMBER = "gcp:kms/keyRingIAMMember:KeyRingIAMMember"
KEY_RING_IAM_BINDING = "gcp:kms/keyRingIAMBinding:KeyRingIAMBinding"
KEY_RING_IAM_POLICY = "gcp:kms/keyRingIAMPolicy:KeyRingIAMPolicy"
FUNCTION_IAM_MEMBER = "gcp:cloudfunctionsv2/functionIamMember:FunctionIamMember"
FUNCTION_IAM_BINDING = "gcp:cloudfunctionsv2/functionIamBinding:FunctionIamBinding"
RUN_IAM_MEMBER = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember"
RUN_IAM_BINDING = "gcp:cloudrunv2/serviceIamBinding:ServiceIamBinding"
RUN_SERVICE = "gcp:cloudrunv2/service:Service"
FUNCTION_V2 = "gcp:cloudfunctionsv2/function:Function"
FUNCTION_V1 = "gcp:cloudfunctions/function:Function"
API_CONFIG = "gcp:apigateway/apiConfig:ApiConfig"

PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")
SERVERLESS = (FUNCTION_V2, RUN_SERVICE)
KMS_IAM_TYPES = (
    CRYPTO_KEY_IAM_MEMBER,
    CRYPTO_KEY_IAM_BINDING,
    CRYPTO_KEY_IAM_POLICY,
    KEY_RING_IAM_MEMBER,
    KEY_RING_IAM_BINDING,
    KEY_RING_IAM_POLICY,
)


def iam_members(resource: PlannedResource) -> list[tuple[str, str]]:
    """Return ``(role, member)`` pairs of an IAM member, binding or policy resource."""
    inputs = resource.inputs
    if "policyData" in inputs:
        policy = mapping(load_json(inputs.get("policyData")))
        return [
            (str(binding.get("role", "")), str(member))
            for binding in as_list(policy.get("bindings"))
            if isinstance(binding, dict)
            for member in as_list(binding.get("members"))
        ]
    role = str(inputs.get("role", ""))
    members = as_list(inputs.get("members")) or as_list(inputs.get("member"))
    return [(role, str(member)) for member in members]


def _public_grants(resource: PlannedResource) -> list[str]:
    return [
        f"{role} is granted to {member}" for role, member in iam_members(resource) if member in PUBLIC_MEMBERS
    ]


# --- 3a. Cloud Storage ---------------------------------------------------------------------------------


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
    return _public_grants(resource)


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


# --- 3b. Identity and IAM ------------------------------------------------------------------------------

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


# --- 3c. Cloud KMS ------------------------------------------------------------------------------------


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
    problems = _public_grants(resource)
    kms_grants = stack.of_type(*KMS_IAM_TYPES)
    admins = {member for g in kms_grants for role, member in iam_members(g) if role == "roles/cloudkms.admin"}
    for role, member in iam_members(resource):
        require(
            not (role == "roles/cloudkms.cryptoKeyEncrypterDecrypter" and member in admins),
            f"{member} holds both cloudkms.admin and cryptoKeyEncrypterDecrypter",
            problems,
        )
    return problems


# --- 3d. Cloud Functions and Cloud Run ------------------------------------------------------------


@control(
    "G16",
    "run-no-public-invoker",
    cloud=CLOUD,
    types=[FUNCTION_IAM_MEMBER, FUNCTION_IAM_BINDING, RUN_IAM_MEMBER, RUN_IAM_BINDING, RUN_SERVICE],
    sources="CKV_GCP_107; CKV_GCP_102",
    summary="No function or service grant names allUsers or allAuthenticatedUsers, and Cloud Run services "
    "keep IAM invoker checks on.",
    remediation="Grant roles/run.invoker only to the API Gateway's service account and leave "
    "invoker_iam_disabled unset.",
)
def run_no_public_invoker(resource: PlannedResource, stack: Stack) -> list[str]:
    if resource.type == RUN_SERVICE:
        return ["invokerIamDisabled is true"] if resource.inputs.get("invokerIamDisabled") is True else []
    return _public_grants(resource)


def _ingress(resource: PlannedResource) -> str:
    if resource.type == FUNCTION_V2:
        return str(get(resource.inputs, "serviceConfig.ingressSettings", "ALLOW_ALL"))
    return str(resource.inputs.get("ingress", "INGRESS_TRAFFIC_ALL"))


def _has_public_invoker(service: PlannedResource, stack: Stack) -> bool:
    grants = stack.referencing(
        service,
        [FUNCTION_IAM_MEMBER, FUNCTION_IAM_BINDING, RUN_IAM_MEMBER, RUN_IAM_BINDING],
        ["name", "cloudFunction"],
    )
    return any(_public_grants(g) for g in grants)


@control(
    "G17",
    "run-ingress",
    cloud=CLOUD,
    types=SERVERLESS,
    cross_resource=True,
    sources="CKV_GCP_124; OrgPol cloudfunctions.allowedIngressSettings, run.allowedIngress",
    summary="Ingress is internal or internal-and-load-balancer; ALL is accepted only behind API Gateway "
    "when no public invoker is granted.",
    remediation="Set ingress to internal-and-GCLB, or keep ALLOW_ALL only behind API Gateway with the "
    "gateway's service account as the only invoker.",
)
def run_ingress(service: PlannedResource, stack: Stack) -> list[str]:
    ingress = _ingress(service)
    if "INTERNAL" in ingress:
        return []
    if stack.of_type(API_CONFIG) and not _has_public_invoker(service, stack):
        return []
    return [f"ingress is {ingress} without API Gateway in front, or with a public invoker"]


@control(
    "G18",
    "fn-https-only",
    cloud=CLOUD,
    types=[FUNCTION_V1],
    selector=lambda function, stack: function.inputs.get("triggerHttp") is True,
    scope="1st-gen gcp:cloudfunctions/function:Function with an HTTP trigger (2nd gen and Cloud Run are "
    "HTTPS only)",
    sources="CKV2_GCP_10",
    summary="1st-gen HTTP functions accept HTTPS only.",
    remediation="Set https_trigger_security_level='SECURE_ALWAYS'.",
)
def fn_https_only(function: PlannedResource, stack: Stack) -> list[str]:
    level = function.inputs.get("httpsTriggerSecurityLevel")
    return [] if level == "SECURE_ALWAYS" else [f"httpsTriggerSecurityLevel is {level!r}"]


def _runtime_service_account(resource: PlannedResource) -> str:
    if resource.type == FUNCTION_V2:
        return str(get(resource.inputs, "serviceConfig.serviceAccountEmail", ""))
    return str(get(resource.inputs, "template.serviceAccount", ""))


@control(
    "G19",
    "fn-dedicated-sa",
    cloud=CLOUD,
    types=SERVERLESS,
    sources="CKV_GCP_46; Google guidance on serverless identity; CIS GCP 4.0 4.1",
    summary="Functions and services run as a dedicated service account, never the Compute Engine default.",
    remediation="Set service_config.service_account_email (or template.service_account) to the kit's "
    "runtime service account.",
)
def fn_dedicated_sa(resource: PlannedResource, stack: Stack) -> list[str]:
    account = _runtime_service_account(resource)
    if not account:
        return ["no service account is set, so the Compute Engine default account is used"]
    if account.endswith("-compute@developer.gserviceaccount.com"):
        return [f"{account} is the Compute Engine default service account"]
    return []


def _plain_env(resource: PlannedResource) -> dict[str, Any]:
    if resource.type == FUNCTION_V2:
        variables = get(resource.inputs, "serviceConfig.environmentVariables", {})
        return dict(variables) if isinstance(variables, dict) else {}
    found: dict[str, Any] = {}
    for container in as_list(get(resource.inputs, "template.containers", [])):
        for env in as_list(get(container, "envs", [])):
            if isinstance(env, dict) and "value" in env:
                found[str(env.get("name"))] = env.get("value")
    return found


@control(
    "G20",
    "fn-secrets-secret-manager",
    cloud=CLOUD,
    types=SERVERLESS,
    sources="CIS GCP 4.0 1.17",
    summary="No plain environment variable holds a secret; secrets come from Secret Manager references.",
    remediation="Use service_config.secret_environment_variables (or envs.value_source.secret_key_ref).",
)
def fn_secrets_secret_manager(resource: PlannedResource, stack: Stack) -> list[str]:
    leaked = sorted(name for name, value in _plain_env(resource).items() if secret_looking(name, value))
    return [f"environment variables {', '.join(leaked)} hold literal secrets"] if leaked else []


@control(
    "G21",
    "fn-cmek-egress",
    cloud=CLOUD,
    types=SERVERLESS,
    advisory=True,
    sources="OrgPol gcp.restrictNonCmekServices, cloudfunctions.requireVPCConnector",
    summary="Source and images are encrypted with a customer-managed key.",
    remediation="Set kms_key_name on the function or template.encryption_key on the service.",
)
def fn_cmek_egress(resource: PlannedResource, stack: Stack) -> list[str]:
    key = resource.inputs.get("kmsKeyName") or get(resource.inputs, "template.encryptionKey")
    return [] if key else ["no customer-managed key is set"]


# --- 3e. API Gateway -------------------------------------------------------------------------------

_HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def openapi_documents(config: PlannedResource) -> list[dict[str, Any]]:
    """Return the parsed OpenAPI documents of an API config (contents are base64 on the wire)."""
    documents = []
    for entry in as_list(config.inputs.get("openapiDocuments")):
        contents = get(entry, "document.contents")
        if not isinstance(contents, str):
            continue
        try:
            text = base64.b64decode(contents, validate=True).decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            text = contents
        try:
            parsed = yaml.safe_load(text)
        except yaml.YAMLError:
            parsed = None
        if isinstance(parsed, dict):
            documents.append(parsed)
    return documents


def _operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path, item in mapping(document.get("paths")).items():
        if not isinstance(item, dict):
            continue
        for method, operation in item.items():
            if method.lower() in _HTTP_METHODS and isinstance(operation, dict):
                found.append((f"{method.upper()} {path}", operation))
    return found


@control(
    "G22",
    "apigw-jwt-every-path",
    cloud=CLOUD,
    types=[API_CONFIG],
    sources="Kit rule (no scanner covers API Gateway configs); CIS GCP 4.0 1.12-1.15",
    summary="The OpenAPI document declares a JWT scheme (x-google-issuer, x-google-jwks_uri, "
    "x-google-audiences) and every operation requires it; an API key alone never suffices. Bearer and "
    "Basic credentials checked by the backend carry a recorded exception.",
    remediation="Add an oauth2 securityDefinition with x-google-issuer, x-google-jwks_uri and "
    "x-google-audiences, and a top-level security requirement naming it.",
)
def apigw_jwt_every_path(config: PlannedResource, stack: Stack) -> list[str]:
    documents = openapi_documents(config)
    if not documents:
        return ["openapiDocuments holds no readable OpenAPI document"]
    problems: list[str] = []
    for document in documents:
        definitions = mapping(document.get("securityDefinitions"))
        jwt_schemes = {
            name
            for name, scheme in definitions.items()
            if isinstance(scheme, dict)
            and all(scheme.get(k) for k in ("x-google-issuer", "x-google-jwks_uri"))
        }
        require(
            bool(jwt_schemes),
            "no securityDefinition declares x-google-issuer and x-google-jwks_uri",
            problems,
        )
        for name in jwt_schemes:
            require(
                bool(definitions[name].get("x-google-audiences")),
                f"the scheme {name} has no x-google-audiences",
                problems,
            )
        top_level = as_list(document.get("security"))
        for label, operation in _operations(document):
            requirements = as_list(operation.get("security", top_level))
            covered = any(isinstance(r, dict) and set(r) & jwt_schemes for r in requirements)
            require(covered, f"{label} does not require a JWT", problems)
    return problems


@control(
    "G23",
    "apigw-backend-auth",
    cloud=CLOUD,
    types=[API_CONFIG],
    sources="Kit rule; ties into G16 and G19",
    summary="Every operation has an https x-google-backend with a jwt_audience, and the gateway calls the "
    "backend as a dedicated service account.",
    remediation="Set x-google-backend.address (https) and jwt_audience, and "
    "gateway_config.backend_config.google_service_account.",
)
def apigw_backend_auth(config: PlannedResource, stack: Stack) -> list[str]:
    problems: list[str] = []
    account = get(config.inputs, "gatewayConfig.backendConfig.googleServiceAccount")
    require(bool(account), "gatewayConfig.backendConfig.googleServiceAccount is not set", problems)
    for document in openapi_documents(config):
        default_backend = document.get("x-google-backend")
        for label, operation in _operations(document):
            backend = operation.get("x-google-backend", default_backend)
            if not isinstance(backend, dict):
                problems.append(f"{label} has no x-google-backend")
                continue
            require(
                str(backend.get("address", "")).startswith("https://"),
                f"{label} backend is not https",
                problems,
            )
            require(bool(backend.get("jwt_audience")), f"{label} backend has no jwt_audience", problems)
    return problems


not_applicable_control(
    "G24",
    "apigw-edge-protection",
    cloud=CLOUD,
    sources="Analogue of FSBP APIGateway.4",
    summary="Cloud Armor (rate limit, WAF rules, writer IP allowlist) on an external HTTPS load balancer.",
    reason="The kit fronts Cloud Run with API Gateway, which takes no Cloud Armor policy; an external HTTPS "
    "load balancer with a serverless NEG is the alternative.",
)
