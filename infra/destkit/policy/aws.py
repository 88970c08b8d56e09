"""The AWS controls of the policy pack (ids A1-A42), as checks over pulumi-aws 7 wire inputs."""

from __future__ import annotations

import re

from destkit.plan.model import PlannedResource
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
from destkit.policy.documents import Statement, is_root_principal, statements

CLOUD = "aws"

BUCKET = "aws:s3/bucket:Bucket"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP_CONTROLS = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
BUCKET_ACL = "aws:s3/bucketAcl:BucketAcl"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
BUCKET_VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
BUCKET_LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
BUCKET_NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
BUCKET_REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
TRAIL = "aws:cloudtrail/trail:Trail"
KMS_KEY = "aws:kms/key:Key"
KMS_KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
IAM_POLICY = "aws:iam/policy:Policy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
USER_POLICY = "aws:iam/userPolicy:UserPolicy"
GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"
ROLE = "aws:iam/role:Role"
ROLE_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
USER_ATTACHMENT = "aws:iam/userPolicyAttachment:UserPolicyAttachment"
GROUP_ATTACHMENT = "aws:iam/groupPolicyAttachment:GroupPolicyAttachment"
IAM_USER = "aws:iam/user:User"
LOGIN_PROFILE = "aws:iam/userLoginProfile:UserLoginProfile"
ACCESS_KEY = "aws:iam/accessKey:AccessKey"
REST_METHOD = "aws:apigateway/method:Method"
REST_API = "aws:apigateway/restApi:RestApi"
REST_API_POLICY = "aws:apigateway/restApiPolicy:RestApiPolicy"
REST_STAGE = "aws:apigateway/stage:Stage"
METHOD_SETTINGS = "aws:apigateway/methodSettings:MethodSettings"
REST_DOMAIN = "aws:apigateway/domainName:DomainName"
HTTP_API = "aws:apigatewayv2/api:Api"
HTTP_ROUTE = "aws:apigatewayv2/route:Route"
HTTP_STAGE = "aws:apigatewayv2/stage:Stage"
HTTP_DOMAIN = "aws:apigatewayv2/domainName:DomainName"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WEB_ACL_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
WEB_ACL_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"
FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl"
FUNCTION = "aws:lambda/function:Function"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SECRETSMANAGER_SECRET = "aws:secretsmanager/secret:Secret"  # noqa: S105 (a type token)
SECRETSMANAGER_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
TRANSFER_SERVER = "aws:transfer/server:Server"
TRANSFER_USER = "aws:transfer/user:User"
TRANSFER_SSH_KEY = "aws:transfer/sshKey:SshKey"
FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
KINESIS_STREAM = "aws:kinesis/stream:Stream"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
USER_POOL_CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
IDENTITY_POOL = "aws:cognito/identityPool:IdentityPool"

POLICY_DOCUMENT_TYPES = (IAM_POLICY, ROLE_POLICY, USER_POLICY, GROUP_POLICY, ROLE)


def _bucket_children(stack: Stack, bucket: PlannedResource, child_type: str) -> list[PlannedResource]:
    return stack.referencing(bucket, [child_type], ["bucket"])


def _is_log_bucket(stack: Stack, bucket: PlannedResource) -> bool:
    """Tell whether ``bucket`` receives S3 server access logs of another bucket."""
    loggings = stack.referencing(bucket, [BUCKET_LOGGING], ["targetBucket"])
    return any(not refers_to(logging.inputs.get("bucket"), bucket) for logging in loggings)


def _bucket_statements(stack: Stack, bucket: PlannedResource) -> list[Statement]:
    found: list[Statement] = []
    for bucket_policy in _bucket_children(stack, bucket, BUCKET_POLICY):
        found.extend(statements(bucket_policy.inputs.get("policy")) or [])
    return found


def _document_statements(resource: PlannedResource) -> list[tuple[str, Statement]]:
    """Return ``(where, statement)`` for every permission document of an IAM resource."""
    found: list[tuple[str, Statement]] = []
    if resource.type == ROLE:
        for inline in as_list(resource.inputs.get("inlinePolicies")):
            name = get(inline, "name", "inline")
            for statement in statements(get(inline, "policy")) or []:
                found.append((f"inline policy {name}", statement))
        return found
    for statement in statements(resource.inputs.get("policy")) or []:
        found.append(("policy", statement))
    return found


# --- 1a. S3 landing bucket -------------------------------------------------------------------


@control(
    "A1",
    "s3-block-public-access",
    cloud=CLOUD,
    types=[BUCKET],
    cross_resource=True,
    sources="FSBP S3.8; FSBP S3.1; CKV_AWS_53, 54, 55, 56; CKV2_AWS_6; AwsSolutions-S2; "
    "NIST.800.53.R5-S3BucketLevelPublicAccessProhibited; CIS AWS 3.0 2.1.4",
    summary="Every bucket has a public access block with all four flags true.",
    remediation="Create an aws.s3.BucketPublicAccessBlock for the bucket with block_public_acls, "
    "block_public_policy, ignore_public_acls and restrict_public_buckets set to True.",
)
def s3_block_public_access(bucket: PlannedResource, stack: Stack) -> list[str]:
    blocks = _bucket_children(stack, bucket, PUBLIC_ACCESS_BLOCK)
    if not blocks:
        return ["the bucket has no aws:s3/bucketPublicAccessBlock"]
    problems: list[str] = []
    for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
        require(all(block.inputs.get(flag) is True for block in blocks), f"{flag} is not true", problems)
    return problems


_PUBLIC_ACLS = {"public-read", "public-read-write", "authenticated-read"}
_PUBLIC_GROUPS = (
    "acs.amazonaws.com/groups/global/AllUsers",
    "acs.amazonaws.com/groups/global/AuthenticatedUsers",
)


@control(
    "A2",
    "s3-acls-disabled",
    cloud=CLOUD,
    types=[BUCKET, BUCKET_ACL],
    cross_resource=True,
    sources="FSBP S3.12; FSBP S3.2, S3.3; CKV2_AWS_65; CKV_AWS_20, CKV_AWS_57; CKV2_AWS_43; CKV_AWS_375; "
    "PCR:aws-s3-bucket-disallow-public-read",
    summary="Bucket ownership controls enforce BucketOwnerEnforced, and no ACL is public.",
    remediation="Create an aws.s3.BucketOwnershipControls with rule.object_ownership='BucketOwnerEnforced' "
    "and remove public canned ACLs and AllUsers/AuthenticatedUsers grants.",
)
def s3_acls_disabled(resource: PlannedResource, stack: Stack) -> list[str]:
    problems: list[str] = []
    acl = resource.inputs.get("acl")
    require(acl not in _PUBLIC_ACLS, f"acl is {acl!r}, a public canned ACL", problems)
    if resource.type == BUCKET_ACL:
        for grant in as_list(get(resource.inputs, "accessControlPolicy.grants")):
            uri = str(get(grant, "grantee.uri", ""))
            require(not uri.endswith(_PUBLIC_GROUPS), f"a grant goes to the public group {uri}", problems)
        return problems
    controls = _bucket_children(stack, resource, OWNERSHIP_CONTROLS)
    owners = [get(c.inputs, "rule.objectOwnership") for c in controls]
    if not controls:
        problems.append("the bucket has no aws:s3/bucketOwnershipControls")
    else:
        require(
            all(owner == "BucketOwnerEnforced" for owner in owners),
            f"rule.objectOwnership is {owners[0]!r}, not 'BucketOwnerEnforced'",
            problems,
        )
    return problems


def _is_tls_deny(statement: Statement) -> bool:
    return (
        statement.effect == "Deny"
        and statement.public_principal()
        and statement.grants("s3:*")
        and "s3:*" in statement.actions
        and [v.lower() for v in statement.condition_value("Bool", "aws:SecureTransport")] == ["false"]
    )


@control(
    "A3",
    "s3-tls-only",
    cloud=CLOUD,
    types=[BUCKET],
    cross_resource=True,
    sources="FSBP S3.5; AwsSolutions-S10; NIST.800.53.R5-S3BucketSSLRequestsOnly; CIS AWS 3.0 2.1.1; "
    "CKV_AWS_379",
    summary="The bucket policy denies s3:* to everyone on the bucket and its objects when "
    "aws:SecureTransport is false.",
    remediation="Add a bucket policy statement: Effect Deny, Principal '*', Action 's3:*', Resource "
    "[bucket ARN, bucket ARN + '/*'], Condition Bool aws:SecureTransport 'false'.",
)
def s3_tls_only(bucket: PlannedResource, stack: Stack) -> list[str]:
    denies = [s for s in _bucket_statements(stack, bucket) if _is_tls_deny(s)]
    if not denies:
        return ["no bucket policy statement denies s3:* when aws:SecureTransport is false"]
    resources = [r for s in denies for r in s.resources]
    problems: list[str] = []
    require(
        any(r.endswith("/*") for r in resources), "the TLS deny does not cover the objects (ARN/*)", problems
    )
    require(any("/" not in r for r in resources), "the TLS deny does not cover the bucket ARN", problems)
    return problems


@control(
    "A4",
    "s3-tls12-min",
    cloud=CLOUD,
    types=[BUCKET],
    cross_resource=True,
    advisory=True,
    sources="AWS S3 security best practice",
    summary="The bucket policy denies s3:* when s3:TlsVersion is below 1.2.",
    remediation="Add a bucket policy statement: Effect Deny, Principal '*', Action 's3:*', Condition "
    "NumericLessThan s3:TlsVersion '1.2'.",
)
def s3_tls12_min(bucket: PlannedResource, stack: Stack) -> list[str]:
    for statement in _bucket_statements(stack, bucket):
        if statement.effect == "Deny" and statement.condition_value("NumericLessThan", "s3:TlsVersion") == [
            "1.2"
        ]:
            return []
    return ["no bucket policy statement denies requests with s3:TlsVersion below 1.2"]


_PRINCIPAL_NARROWING = {"aws:principalarn", "aws:principalaccount", "aws:principalorgid", "aws:sourcevpce"}
_POLICY_TAKEOVER_ACTIONS = (
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketAcl",
    "s3:PutObjectAcl",
    "s3:PutEncryptionConfiguration",
)


@control(
    "A5",
    "s3-policy-principals",
    cloud=CLOUD,
    types=[BUCKET_POLICY],
    sources="CKV_AWS_70; FSBP S3.6; FSBP S3.2, S3.3; CKV_AWS_93",
    summary="No Allow to '*' unless narrowed by principal or VPC-endpoint conditions, no Allow of "
    "policy, ACL or encryption changes to other principals, no statement that locks out all but root.",
    remediation="Name the writer's role or user ARN as Principal (or add an aws:PrincipalArn, "
    "aws:PrincipalAccount, aws:PrincipalOrgID or aws:SourceVpce condition) and drop bucket-management "
    "actions.",
)
def s3_policy_principals(bucket_policy: PlannedResource, stack: Stack) -> list[str]:
    parsed = statements(bucket_policy.inputs.get("policy"))
    if parsed is None:
        return ["the policy input is missing or is not a JSON policy document"]
    problems: list[str] = []
    for statement in parsed:
        if statement.allows() and statement.public_principal():
            require(
                bool(statement.condition_keys() & _PRINCIPAL_NARROWING),
                "an Allow statement has Principal '*' without a principal or VPC-endpoint condition",
                problems,
            )
        if statement.allows():
            granted = [a for a in _POLICY_TAKEOVER_ACTIONS if statement.grants(a)]
            require(not granted, f"an Allow statement grants {', '.join(granted)}", problems)
        lockout = (
            statement.effect == "Deny"
            and statement.not_principals
            and all(is_root_principal(p) for p in statement.not_principals)
            and statement.grants("s3:*")
            and not statement.condition
        )
        require(not lockout, "a Deny statement locks out every principal except the account root", problems)
    return problems


@control(
    "A6",
    "s3-sse-kms-cmk",
    cloud=CLOUD,
    types=[BUCKET],
    cross_resource=True,
    sources="SH S3.17 (NIST); CKV_AWS_145; CKV_AWS_19; NIST.800.53.R5-S3DefaultEncryptionKMS; "
    "PCR:aws-s3-bucket-configure-server-side-encryption-kms, -customer-managed-key, -bucket-key",
    summary="Default encryption is aws:kms (or aws:kms:dsse) with the kit's customer-managed key and "
    "bucket keys on. A server-access-log bucket may use SSE-S3 (AES256).",
    remediation="Create an aws.s3.BucketServerSideEncryptionConfiguration with sse_algorithm 'aws:kms', "
    "kms_master_key_id = the kit's key ARN, and bucket_key_enabled True.",
)
def s3_sse_kms_cmk(bucket: PlannedResource, stack: Stack) -> list[str]:
    configurations = _bucket_children(stack, bucket, BUCKET_SSE)
    if not configurations:
        return ["the bucket has no aws:s3/bucketServerSideEncryptionConfiguration"]
    rules = [rule for c in configurations for rule in as_list(c.inputs.get("rules"))]
    algorithm = get(rules, "applyServerSideEncryptionByDefault.sseAlgorithm")
    # S3 server access logging to SSE-KMS targets needs a key grant to logging.s3.amazonaws.com,
    # so log buckets keep SSE-S3 (AES256).
    if algorithm == "AES256" and _is_log_bucket(stack, bucket):
        return []
    problems: list[str] = []
    require(
        algorithm in ("aws:kms", "aws:kms:dsse"), f"sseAlgorithm is {algorithm!r}, not 'aws:kms'", problems
    )
    key = get(rules, "applyServerSideEncryptionByDefault.kmsMasterKeyId")
    require(bool(key), "kmsMasterKeyId is not set, so the AWS managed key is used", problems)
    require("alias/aws/" not in str(key), f"kmsMasterKeyId {key!r} is an AWS managed key", problems)
    require(get(rules, "bucketKeyEnabled") is True, "bucketKeyEnabled is not true", problems)
    return problems


def _versioning_enabled(stack: Stack, bucket: PlannedResource) -> bool:
    return any(
        get(v.inputs, "versioningConfiguration.status") == "Enabled"
        for v in _bucket_children(stack, bucket, BUCKET_VERSIONING)
    )


@control(
    "A7",
    "s3-versioning",
    cloud=CLOUD,
    types=[BUCKET],
    cross_resource=True,
    sources="SH S3.14 (NIST); CKV_AWS_21; NIST.800.53.R5-S3BucketVersioningEnabled",
    summary="Bucket versioning is Enabled.",
    remediation="Create an aws.s3.BucketVersioning with versioning_configuration.status 'Enabled'.",
)
def s3_versioning(bucket: PlannedResource, stack: Stack) -> list[str]:
    if _versioning_enabled(stack, bucket):
        return []
    return ["the bucket has no aws:s3/bucketVersioning with status 'Enabled'"]


def _covers_whole_bucket(rule: dict) -> bool:
    rule_filter = rule.get("filter")
    if rule_filter in (None, {}):
        return rule.get("prefix") in (None, "")
    return isinstance(rule_filter, dict) and all(value in (None, "", {}) for value in rule_filter.values())


@control(
    "A8",
    "s3-lifecycle",
    cloud=CLOUD,
    types=[BUCKET],
    cross_resource=True,
    sources="FSBP S3.13; FSBP S3.10; CKV2_AWS_61; CKV_AWS_300",
    summary="An Enabled lifecycle rule covers the whole bucket and aborts incomplete multipart uploads "
    "within 7 days; a versioned bucket also expires noncurrent versions.",
    remediation="Create an aws.s3.BucketLifecycleConfiguration with an Enabled rule, an empty filter, "
    "abort_incomplete_multipart_upload.days_after_initiation <= 7 and noncurrent_version_expiration.",
)
def s3_lifecycle(bucket: PlannedResource, stack: Stack) -> list[str]:
    configurations = _bucket_children(stack, bucket, BUCKET_LIFECYCLE)
    if not configurations:
        return ["the bucket has no aws:s3/bucketLifecycleConfiguration"]
    rules = [r for c in configurations for r in as_list(c.inputs.get("rules")) if isinstance(r, dict)]
    enabled = [r for r in rules if r.get("status") == "Enabled"]
    problems: list[str] = []
    abort_days = [get(r, "abortIncompleteMultipartUpload.daysAfterInitiation") for r in enabled]
    require(
        any(
            _covers_whole_bucket(r) and isinstance(d, int) and d <= 7
            for r, d in zip(enabled, abort_days, strict=True)
        ),
        "no Enabled whole-bucket rule aborts incomplete multipart uploads within 7 days",
        problems,
    )
    if _versioning_enabled(stack, bucket):
        require(
            any(get(r, "noncurrentVersionExpiration") for r in enabled),
            "the bucket is versioned but no Enabled rule sets noncurrentVersionExpiration",
            problems,
        )
    return problems


@control(
    "A9",
    "s3-access-logging",
    cloud=CLOUD,
    types=[BUCKET],
    cross_resource=True,
    sources="FSBP S3.9; CKV_AWS_18; AwsSolutions-S1; awsguard:s3-bucket-logging-enabled; "
    "NIST.800.53.R5-S3BucketLoggingEnabled",
    summary="Server access logs go to a dedicated log bucket, never to the bucket itself; the log bucket "
    "itself is exempt.",
    remediation="Create an aws.s3.BucketLogging with target_bucket = the kit's log bucket.",
)
def s3_access_logging(bucket: PlannedResource, stack: Stack) -> list[str]:
    if _is_log_bucket(stack, bucket):
        return []
    loggings = _bucket_children(stack, bucket, BUCKET_LOGGING)
    if not loggings:
        return ["the bucket has no aws:s3/bucketLogging"]
    problems: list[str] = []
    for logging in loggings:
        target = logging.inputs.get("targetBucket")
        require(bool(target), "targetBucket is not set", problems)
        require(not refers_to(target, bucket), "the bucket logs to itself", problems)
    return problems


@control(
    "A10",
    "s3-event-notifications",
    cloud=CLOUD,
    types=[BUCKET],
    cross_resource=True,
    advisory=True,
    sources="FSBP S3.11; CKV2_AWS_62",
    summary="Object-created events are sent (aws:s3/bucketNotification), except from the log bucket.",
    remediation="Create an aws.s3.BucketNotification for the bucket (eventbridge=True or a queue, topic "
    "or function target).",
)
def s3_event_notifications(bucket: PlannedResource, stack: Stack) -> list[str]:
    if _is_log_bucket(stack, bucket) or _bucket_children(stack, bucket, BUCKET_NOTIFICATION):
        return []
    return ["the bucket has no aws:s3/bucketNotification"]


not_applicable_control(
    "A11",
    "s3-object-lock",
    cloud=CLOUD,
    sources="SH S3.15 (NIST); CKV_AWS_143",
    summary="objectLockEnabled with a default retention.",
    reason="Landing buckets cannot use Object Lock: AEP's writer deletes and overwrites objects by name.",
)


@control(
    "A12",
    "s3-replication",
    cloud=CLOUD,
    types=[BUCKET],
    cross_resource=True,
    advisory=True,
    sources="SH S3.7 (NIST); CKV_AWS_144; NIST.800.53.R5-S3BucketReplicationEnabled; "
    "PCR:aws-s3-bucket-enable-replication-configuration",
    summary="The bucket replicates to another region (optional: landing data is transient).",
    remediation="Create an aws.s3.BucketReplicationConfig to a bucket in another region.",
)
def s3_replication(bucket: PlannedResource, stack: Stack) -> list[str]:
    if _bucket_children(stack, bucket, BUCKET_REPLICATION):
        return []
    return ["the bucket has no aws:s3/bucketReplicationConfig"]


@control(
    "A13",
    "s3-object-level-trail",
    cloud=CLOUD,
    types=[BUCKET],
    cross_resource=True,
    advisory=True,
    sources="SH S3.22, S3.23; CIS AWS 3.0 3.8, 3.9",
    summary="A CloudTrail trail records S3 data events (optional: the trail is usually account-owned).",
    remediation="Add an aws.cloudtrail.Trail with an event selector for AWS::S3::Object data events.",
)
def s3_object_level_trail(bucket: PlannedResource, stack: Stack) -> list[str]:
    for trail in stack.of_type(TRAIL):
        selectors = str(trail.inputs.get("eventSelectors", "")) + str(
            trail.inputs.get("advancedEventSelectors", "")
        )
        if "AWS::S3::Object" in selectors:
            return []
    return ["no aws:cloudtrail/trail in this stack records AWS::S3::Object data events"]


# --- 1b. KMS ---------------------------------------------------------------------------------


def _symmetric(key: PlannedResource) -> bool:
    spec = key.inputs.get("customerMasterKeySpec") or key.inputs.get("keySpec") or "SYMMETRIC_DEFAULT"
    return spec == "SYMMETRIC_DEFAULT"


@control(
    "A14",
    "kms-rotation",
    cloud=CLOUD,
    types=[KMS_KEY],
    sources="SH KMS.4 (CIS/NIST); CIS AWS 3.0 3.6; CKV_AWS_7; AwsSolutions-KMS5; "
    "awsguard:cmk-backing-key-rotation-enabled; PCR:aws-kms-key-enable-key-rotation; "
    "NIST.800.53.R5-KMSBackingKeyRotationEnabled",
    summary="Symmetric keys rotate (enableKeyRotation true, rotationPeriodInDays at most 365).",
    remediation="Set enable_key_rotation=True (and rotation_period_in_days <= 365 if you set it).",
)
def kms_rotation(key: PlannedResource, stack: Stack) -> list[str]:
    if not _symmetric(key):
        return []
    problems: list[str] = []
    require(key.inputs.get("enableKeyRotation") is True, "enableKeyRotation is not true", problems)
    period = key.inputs.get("rotationPeriodInDays")
    require(period is None or period <= 365, f"rotationPeriodInDays is {period}, above 365", problems)
    return problems


@control(
    "A15",
    "kms-policy-explicit-not-public",
    cloud=CLOUD,
    types=[KMS_KEY],
    cross_resource=True,
    sources="FSBP KMS.5; CKV_AWS_33; CKV2_AWS_64",
    summary="The key policy is explicit, keeps the account-root statement, allows '*' only under a "
    "condition and gives no other principal kms:*.",
    remediation="Set the key's policy: an account-root kms:* statement, and only kms:GenerateDataKey*, "
    "kms:Decrypt and kms:DescribeKey with kms:ViaService for the writer and service roles.",
)
def kms_policy_explicit_not_public(key: PlannedResource, stack: Stack) -> list[str]:
    documents = [key.inputs.get("policy")] if key.inputs.get("policy") else []
    documents += [p.inputs.get("policy") for p in stack.referencing(key, [KMS_KEY_POLICY], ["keyId"])]
    if not documents:
        return ["the key has no explicit policy (policy input or aws:kms/keyPolicy)"]
    parsed = [s for document in documents for s in (statements(document) or [])]
    problems: list[str] = []
    require(
        any(
            s.allows() and s.grants("kms:*") and any(is_root_principal(p) for p in s.principals)
            for s in parsed
        ),
        "the policy has no account-root statement, so the key can be locked out",
        problems,
    )
    for statement in parsed:
        if not statement.allows():
            continue
        require(
            not (statement.public_principal() and not statement.condition),
            "an Allow statement has Principal '*' without a condition",
            problems,
        )
        others = [p for p in statement.principals if not is_root_principal(p)]
        require(
            not (others and "kms:*" in statement.actions),
            f"{', '.join(others)} is allowed kms:*",
            problems,
        )
    return problems


@control(
    "A16",
    "kms-deletion-guard",
    cloud=CLOUD,
    types=[KMS_KEY],
    sources="FSBP KMS.3; CKV_AWS_227; PCR:aws-kms-key-disallow-bypass-policy-lockout-safety-check",
    summary="deletionWindowInDays is 30 (the AWS default when unset), the key is enabled and the policy "
    "lockout safety check is not bypassed.",
    remediation="Set deletion_window_in_days=30, leave is_enabled and bypass_policy_lockout_safety_check "
    "unset, and create the key with protect=True.",
)
def kms_deletion_guard(key: PlannedResource, stack: Stack) -> list[str]:
    # NOTE: the Pulumi protect option is not part of the resource inputs, so it is not checked here.
    problems: list[str] = []
    window = key.inputs.get("deletionWindowInDays")
    require(window in (None, 30), f"deletionWindowInDays is {window}, not 30", problems)
    require(key.inputs.get("isEnabled") is not False, "isEnabled is false", problems)
    require(
        key.inputs.get("bypassPolicyLockoutSafetyCheck") is not True,
        "bypassPolicyLockoutSafetyCheck is true",
        problems,
    )
    return problems


@control(
    "A17",
    "kms-no-decrypt-on-star",
    cloud=CLOUD,
    types=POLICY_DOCUMENT_TYPES,
    sources="FSBP KMS.1, KMS.2",
    summary="No IAM policy allows kms:Decrypt or kms:ReEncryptFrom on Resource '*'.",
    remediation="Name the key ARN in Resource for kms:Decrypt and kms:ReEncryptFrom.",
)
def kms_no_decrypt_on_star(resource: PlannedResource, stack: Stack) -> list[str]:
    problems: list[str] = []
    for where, statement in _document_statements(resource):
        if statement.allows() and "*" in statement.resources:
            granted = [a for a in ("kms:Decrypt", "kms:ReEncryptFrom") if statement.grants(a)]
            require(not granted, f"{where} allows {', '.join(granted)} on Resource '*'", problems)
    return problems


_ADMIN_POLICY_ARNS = ("arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::aws:policy/IAMFullAccess")


def _attached_arns(resource: PlannedResource) -> list[str]:
    if resource.type == ROLE:
        return [str(arn) for arn in as_list(resource.inputs.get("managedPolicyArns"))]
    return [str(resource.inputs.get("policyArn", ""))]


@control(
    "A18",
    "iam-no-admin",
    cloud=CLOUD,
    types=[*POLICY_DOCUMENT_TYPES, ROLE_ATTACHMENT, USER_ATTACHMENT, GROUP_ATTACHMENT],
    sources="FSBP IAM.1; CIS AWS 3.0 1.16; CKV_AWS_62; CKV_AWS_274; CKV2_AWS_40; CKV2_AWS_56; "
    "NIST.800.53.R5-IAMPolicyNoStatementsWithAdminAccess, FullAccess",
    summary="No statement allows Action '*' on Resource '*' or iam:*, and nothing attaches "
    "AdministratorAccess or IAMFullAccess.",
    remediation="List the exact actions and resources the principal needs.",
)
def iam_no_admin(resource: PlannedResource, stack: Stack) -> list[str]:
    problems: list[str] = []
    for arn in _attached_arns(resource):
        require(not arn.endswith(_ADMIN_POLICY_ARNS), f"{arn} is attached", problems)
    for where, statement in _document_statements(resource):
        if not statement.allows():
            continue
        require(
            not ("*" in statement.actions and "*" in statement.resources),
            f"{where} allows Action '*' on Resource '*'",
            problems,
        )
        require("iam:*" not in statement.actions, f"{where} allows iam:*", problems)
    return problems


# Actions that support no resource-level permission, so Resource "*" is the only valid value.
# NOTE: a short list covering what serverless workloads use, not AWS's full service authorization table.
_RESOURCELESS_ACTIONS = {
    "xray:puttracesegments",
    "xray:puttelemetryrecords",
    "cloudwatch:putmetricdata",
    "ec2:createnetworkinterface",
    "ec2:describenetworkinterfaces",
    "ec2:deletenetworkinterface",
    "ec2:assignprivateipaddresses",
    "ec2:unassignprivateipaddresses",
    "logs:describeloggroups",
    "kms:listaliases",
    "sts:getcalleridentity",
}


@control(
    "A19",
    "iam-no-wildcards",
    cloud=CLOUD,
    types=POLICY_DOCUMENT_TYPES,
    sources="FSBP IAM.21; CKV_AWS_63; CKV_AWS_355; CKV_AWS_286, 287, 288, 289, 290; AwsSolutions-IAM5; "
    "Serverless-StarPermissions",
    summary="No Allow action is '*' or 'service:*', Resource '*' appears only with actions that take no "
    "resource ARN, and S3 resources name a bucket, never arn:aws:s3:::*.",
    remediation="List exact actions, and scope S3 grants to the bucket ARN and bucket/<prefix>/*.",
)
def iam_no_wildcards(resource: PlannedResource, stack: Stack) -> list[str]:
    problems: list[str] = []
    for where, statement in _document_statements(resource):
        if not statement.allows():
            continue
        wild = [a for a in statement.actions if a == "*" or a.endswith(":*")]
        require(not wild, f"{where} allows the wildcard actions {', '.join(wild)}", problems)
        require(not statement.not_actions, f"{where} uses NotAction with Allow", problems)
        if "*" in statement.resources:
            scoped = [a for a in statement.actions if a.lower() not in _RESOURCELESS_ACTIONS]
            require(not scoped, f"{where} allows {', '.join(scoped)} on Resource '*'", problems)
        wide_s3 = [r for r in statement.resources if r.startswith("arn:aws:s3:::*")]
        require(
            not wide_s3,
            f"{where} grants S3 access to every bucket ({wide_s3[0] if wide_s3 else ''})",
            problems,
        )
    return problems


@control(
    "A20",
    "iam-customer-managed-policies",
    cloud=CLOUD,
    types=[ROLE, ROLE_POLICY, ROLE_ATTACHMENT],
    sources="AwsSolutions-IAM4; NIST.800.53.R5-IAMNoInlinePolicy; "
    "awsguard:iam-role-no-policy-management-conflicts",
    summary="Roles get customer-managed aws:iam/policy resources through rolePolicyAttachment: no inline "
    "policies, no AWS-managed policy ARNs.",
    remediation="Replace inline and AWS-managed policies with an aws.iam.Policy and an "
    "aws.iam.RolePolicyAttachment.",
)
def iam_customer_managed_policies(resource: PlannedResource, stack: Stack) -> list[str]:
    if resource.type == ROLE_POLICY:
        return ["an inline aws:iam/rolePolicy is attached to a role"]
    problems: list[str] = []
    for arn in _attached_arns(resource):
        require(
            not arn.startswith("arn:aws:iam::aws:policy/"),
            f"the AWS-managed policy {arn} is attached",
            problems,
        )
    if resource.type == ROLE:
        require(not resource.inputs.get("inlinePolicies"), "the role declares inlinePolicies", problems)
    return problems


_ALLOWED_SERVICE_PRINCIPALS = (
    "lambda.amazonaws.com",
    "apigateway.amazonaws.com",
    "transfer.amazonaws.com",
    "firehose.amazonaws.com",
    "delivery.logs.amazonaws.com",
    "logging.s3.amazonaws.com",
    "s3.amazonaws.com",
)


@control(
    "A21",
    "iam-trust-scoped",
    cloud=CLOUD,
    types=[ROLE],
    sources="CKV_AWS_60; CKV_AWS_61; AWS confused-deputy guidance",
    summary="No trusted principal is '*'. Service principals are the services the kit uses and carry "
    "aws:SourceAccount or aws:SourceArn. A cross-account principal is a user or role ARN (not :root or an "
    "account id) with an sts:ExternalId condition.",
    remediation="Trust the exact service or role ARN, add aws:SourceAccount/aws:SourceArn for services "
    "and sts:ExternalId for other accounts.",
)
def iam_trust_scoped(role: PlannedResource, stack: Stack) -> list[str]:
    parsed = statements(role.inputs.get("assumeRolePolicy"))
    if parsed is None:
        return ["assumeRolePolicy is missing or is not a JSON policy document"]
    problems: list[str] = []
    for statement in parsed:
        if not statement.allows():
            continue
        require(not statement.public_principal(), "the trust policy allows Principal '*'", problems)
        keys = statement.condition_keys()
        for service in statement.principal_services:
            require(
                service in _ALLOWED_SERVICE_PRINCIPALS,
                f"the service principal {service} is not one the kit uses",
                problems,
            )
            require(
                bool(keys & {"aws:sourceaccount", "aws:sourcearn"}),
                f"the trust for {service} has no aws:SourceAccount or aws:SourceArn condition",
                problems,
            )
        accounts = [p for p in statement.principals if p not in statement.principal_services and p != "*"]
        for principal in accounts:
            require(
                not is_root_principal(principal),
                f"the trust names the whole account {principal}, not a user or role",
                problems,
            )
            require(
                "sts:externalid" in keys,
                f"the trust for {principal} has no sts:ExternalId condition",
                problems,
            )
    return problems


def _user_names(user: PlannedResource) -> set[str]:
    return {value for value in (user.inputs.get("name"), user.outputs.get("name"), user.name) if value}


@control(
    "A22",
    "writer-user-hygiene",
    cloud=CLOUD,
    types=[IAM_USER],
    cross_resource=True,
    advisory=True,
    sources="FSBP IAM.2, IAM.3, IAM.8; CIS AWS 3.0 1.13, 1.14, 1.15; CKV_AWS_273; CKV2_AWS_22; CKV2_AWS_21; "
    "CKV_AWS_40; awsguard:access-keys-rotated; NIST.800.53.R5-IAMUserNoPolicies, IAMUserGroupMembership",
    summary="An IAM user has no console login profile, gets permissions only through a group, and has at "
    "most one active access key.",
    remediation="Remove aws.iam.UserLoginProfile and user policies; attach the policy to a group; keep one "
    "active aws.iam.AccessKey and rotate it within 90 days.",
)
def writer_user_hygiene(user: PlannedResource, stack: Stack) -> list[str]:
    names = _user_names(user)

    def owned(resource_type: str) -> list[PlannedResource]:
        return [r for r in stack.of_type(resource_type) if r.inputs.get("user") in names]

    problems: list[str] = []
    require(not owned(LOGIN_PROFILE), "the user has a console login profile", problems)
    require(
        not owned(USER_POLICY) and not owned(USER_ATTACHMENT),
        "a policy is attached to the user directly",
        problems,
    )
    active = [k for k in owned(ACCESS_KEY) if k.inputs.get("status", "Active") == "Active"]
    require(len(active) <= 1, f"the user has {len(active)} active access keys", problems)
    return problems


# --- 1d. API Gateway, WAF and the authorizer ---------------------------------------------------


def _public_invoke(document: object) -> bool:
    return any(
        s.allows() and s.public_principal() and s.grants("execute-api:Invoke") and not s.condition
        for s in statements(document) or []
    )


@control(
    "A23",
    "apigw-authz-every-route",
    cloud=CLOUD,
    types=[REST_METHOD, HTTP_ROUTE, REST_API, REST_API_POLICY],
    sources="FSBP APIGateway.8; CKV_AWS_59; CKV2_AWS_70; CKV_AWS_309; AwsSolutions-APIG4",
    summary="Every REST method except OPTIONS uses CUSTOM, COGNITO_USER_POOLS or AWS_IAM authorization; "
    "every HTTP API route uses JWT, CUSTOM or AWS_IAM; no resource policy allows execute-api:Invoke to '*' "
    "unconditionally.",
    remediation="Attach the kit's authorizer to the method or route, and add a condition to public "
    "resource-policy statements.",
)
def apigw_authz_every_route(resource: PlannedResource, stack: Stack) -> list[str]:
    inputs = resource.inputs
    if resource.type == REST_METHOD:
        if inputs.get("httpMethod") == "OPTIONS":
            return []
        authorization = inputs.get("authorization")
        if authorization in ("CUSTOM", "COGNITO_USER_POOLS", "AWS_IAM"):
            return []
        return [f"authorization is {authorization!r}; an API key alone does not authenticate"]
    if resource.type == HTTP_ROUTE:
        if str(inputs.get("routeKey", "")).startswith("OPTIONS "):
            return []
        authorization = inputs.get("authorizationType", "NONE")
        if authorization in ("JWT", "CUSTOM", "AWS_IAM"):
            return []
        return [f"authorizationType is {authorization!r}"]
    if _public_invoke(inputs.get("policy")):
        return ["the resource policy allows execute-api:Invoke to '*' without a condition"]
    return []


_ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "sourceIp": "$context.identity.sourceIp",
    "status": "$context.status",
    "authorizer": "$context.authorizer",
}


@control(
    "A24",
    "apigw-access-logs",
    cloud=CLOUD,
    types=[REST_STAGE, HTTP_STAGE],
    cross_resource=True,
    sources="FSBP APIGateway.9; CKV_AWS_76; AwsSolutions-APIG1; "
    "PCR:aws-apigatewayv2-stage-enable-access-logging, configure-access-logging; "
    "Serverless-APIGWAccessLogging, APIGWStructuredLogging",
    summary="The stage writes JSON access logs to a log group of this stack with the request id, source "
    "IP, authorizer context and status.",
    remediation="Set access_log_settings with destination_arn = the kit's log group ARN and a JSON format "
    "with $context.requestId, $context.identity.sourceIp, $context.authorizer.* and $context.status.",
)
def apigw_access_logs(stage: PlannedResource, stack: Stack) -> list[str]:
    destination = get(stage.inputs, "accessLogSettings.destinationArn")
    if not destination:
        return ["accessLogSettings.destinationArn is not set"]
    problems: list[str] = []
    require(
        stack.referenced(destination, [LOG_GROUP]) is not None,
        f"destinationArn {destination!r} is not a log group of this stack",
        problems,
    )
    log_format = str(get(stage.inputs, "accessLogSettings.format", ""))
    require(isinstance(load_json(log_format), dict), "the access log format is not JSON", problems)
    missing = [name for name, variable in _ACCESS_LOG_FIELDS.items() if variable not in log_format]
    require(not missing, f"the access log format lacks {', '.join(missing)}", problems)
    return problems


def _stage_method_settings(stack: Stack, stage: PlannedResource) -> list[PlannedResource]:
    stage_name = stage.inputs.get("stageName")
    return [
        s
        for s in stack.of_type(METHOD_SETTINGS)
        if s.inputs.get("stageName") == stage_name and s.inputs.get("restApi") == stage.inputs.get("restApi")
    ]


@control(
    "A25",
    "apigw-exec-logs-no-datatrace",
    cloud=CLOUD,
    types=[REST_STAGE],
    cross_resource=True,
    sources="FSBP APIGateway.1; CKV2_AWS_4; CKV_AWS_276; AwsSolutions-APIG6; "
    "NIST.800.53.R5-APIGWExecutionLoggingEnabled",
    summary="Method settings for '*/*' log at ERROR or INFO with metrics on and data trace off, because "
    "data trace logs request payloads.",
    remediation="Create an aws.apigateway.MethodSettings with method_path '*/*', settings.logging_level "
    "'ERROR' or 'INFO', metrics_enabled True and data_trace_enabled False.",
)
def apigw_exec_logs_no_datatrace(stage: PlannedResource, stack: Stack) -> list[str]:
    settings = [s for s in _stage_method_settings(stack, stage) if s.inputs.get("methodPath") == "*/*"]
    if not settings:
        return ["the stage has no aws:apigateway/methodSettings for '*/*'"]
    values = mapping(settings[0].inputs.get("settings"))
    problems: list[str] = []
    level = values.get("loggingLevel")
    require(level in ("ERROR", "INFO"), f"settings.loggingLevel is {level!r}", problems)
    require(values.get("metricsEnabled") is True, "settings.metricsEnabled is not true", problems)
    require(values.get("dataTraceEnabled") is not True, "settings.dataTraceEnabled is true", problems)
    return problems


def _stage_is_target(stage: PlannedResource, value: object) -> bool:
    if refers_to(value, stage):
        return True
    stage_name = stage.inputs.get("stageName")
    return isinstance(value, str) and bool(stage_name) and value.endswith(f"/stages/{stage_name}")


@control(
    "A26",
    "apigw-waf",
    cloud=CLOUD,
    types=[REST_STAGE, HTTP_STAGE],
    cross_resource=True,
    sources="FSBP APIGateway.4; CKV2_AWS_29; AwsSolutions-APIG3; CKV2_AWS_77, CKV_AWS_192; FSBP WAF.10, "
    "CKV_AWS_175; FSBP WAF.11, CKV2_AWS_31; CKV_AWS_342; NIST.800.53.R5-APIGWAssociatedWithWAF, "
    "WAFv2LoggingEnabled",
    summary="A WAF web ACL with the known-bad-inputs managed rule group and a rate-based rule is "
    "associated with the REST stage and has logging. An HTTP API stage cannot take WAF.",
    remediation="Use a REST API; create an aws.wafv2.WebAcl with AWSManagedRulesKnownBadInputsRuleSet and a "
    "rate-based rule, an aws.wafv2.WebAclAssociation to the stage ARN and an "
    "aws.wafv2.WebAclLoggingConfiguration.",
)
def apigw_waf(stage: PlannedResource, stack: Stack) -> list[str]:
    if stage.type == HTTP_STAGE:
        return ["an HTTP API stage cannot be associated with a WAF web ACL"]
    associations = [
        a for a in stack.of_type(WEB_ACL_ASSOCIATION) if _stage_is_target(stage, a.inputs.get("resourceArn"))
    ]
    if not associations:
        return ["no aws:wafv2/webAclAssociation links a web ACL to this stage"]
    acl = stack.referenced(associations[0].inputs.get("webAclArn"), [WEB_ACL])
    if acl is None:
        return ["the associated web ACL is not part of this stack"]
    rules = [r for r in as_list(acl.inputs.get("rules")) if isinstance(r, dict)]
    problems: list[str] = []
    require(
        any(
            get(r, "statement.managedRuleGroupStatement.name") == "AWSManagedRulesKnownBadInputsRuleSet"
            for r in rules
        ),
        "the web ACL lacks the AWSManagedRulesKnownBadInputsRuleSet rule group",
        problems,
    )
    require(
        any(get(r, "statement.rateBasedStatement") for r in rules),
        "the web ACL has no rate-based rule",
        problems,
    )
    require(
        bool(stack.referencing(acl, [WEB_ACL_LOGGING], ["resourceArn"])),
        "the web ACL has no aws:wafv2/webAclLoggingConfiguration",
        problems,
    )
    return problems


@control(
    "A27",
    "apigw-validation-throttling",
    cloud=CLOUD,
    types=[REST_METHOD, REST_STAGE, HTTP_STAGE],
    cross_resource=True,
    sources="AwsSolutions-APIG2; CKV2_AWS_53; Serverless-APIGWDefaultThrottling",
    summary="REST methods other than OPTIONS set a request validator, with a request model where they take "
    "a body; stages set a throttling rate and burst limit.",
    remediation="Set request_validator_id (and request_models for POST/PUT/PATCH) on the method; set "
    "throttling_rate_limit and throttling_burst_limit in method settings or default_route_settings.",
)
def apigw_validation_throttling(resource: PlannedResource, stack: Stack) -> list[str]:
    problems: list[str] = []
    if resource.type == REST_METHOD:
        method = resource.inputs.get("httpMethod")
        if method == "OPTIONS":
            return []
        require(bool(resource.inputs.get("requestValidatorId")), "requestValidatorId is not set", problems)
        if method in ("POST", "PUT", "PATCH"):
            require(bool(resource.inputs.get("requestModels")), "requestModels is not set", problems)
        return problems
    if resource.type == HTTP_STAGE:
        values = mapping(resource.inputs.get("defaultRouteSettings"))
    else:
        settings = _stage_method_settings(stack, resource)
        values = mapping(settings[0].inputs.get("settings")) if settings else {}
    require(bool(values.get("throttlingRateLimit")), "throttlingRateLimit is not set", problems)
    require(bool(values.get("throttlingBurstLimit")), "throttlingBurstLimit is not set", problems)
    return problems


@control(
    "A28",
    "apigw-custom-domain-tls",
    cloud=CLOUD,
    types=[REST_DOMAIN, HTTP_DOMAIN],
    cross_resource=True,
    sources="CKV_AWS_206; PCR:aws-apigateway-domainname-configure-security-policy, "
    "aws-apigatewayv2-domainname-configure-domain-name-security-policy",
    summary="Custom domains require TLS 1.2 or newer, and APIs served on a custom domain turn off the "
    "default execute-api endpoint.",
    remediation="Set security_policy 'TLS_1_2' and disable_execute_api_endpoint=True on the API.",
)
def apigw_custom_domain_tls(domain: PlannedResource, stack: Stack) -> list[str]:
    problems: list[str] = []
    if domain.type == REST_DOMAIN:
        policy = str(domain.inputs.get("securityPolicy", ""))
        apis = stack.of_type(REST_API)
    else:
        policy = str(get(domain.inputs, "domainNameConfiguration.securityPolicy", ""))
        apis = stack.of_type(HTTP_API)
    require(policy == "TLS_1_2" or "TLS13" in policy, f"securityPolicy is {policy!r}", problems)
    for api in apis:
        require(
            api.inputs.get("disableExecuteApiEndpoint") is True,
            f"{api.name} keeps the default execute-api endpoint",
            problems,
        )
    return problems


@control(
    "A29",
    "apigw-xray",
    cloud=CLOUD,
    types=[REST_STAGE],
    advisory=True,
    sources="FSBP APIGateway.3; CKV_AWS_73; Serverless-APIGWXrayEnabled",
    summary="X-Ray tracing is on for the REST stage.",
    remediation="Set xray_tracing_enabled=True on the stage.",
)
def apigw_xray(stage: PlannedResource, stack: Stack) -> list[str]:
    return [] if stage.inputs.get("xrayTracingEnabled") is True else ["xrayTracingEnabled is not true"]


not_applicable_control(
    "A30",
    "apigw-not-applicable",
    cloud=CLOUD,
    sources="CKV_AWS_120; CKV_AWS_225; FSBP APIGateway.5; CKV_AWS_308; FSBP APIGateway.2; CKV2_AWS_51; "
    "CKV_AWS_217; CKV_AWS_237",
    summary="Stage caching, backend client certificates and create_before_destroy checks.",
    reason="Caching is wrong for POST ingest, a client certificate means nothing for a Lambda proxy "
    "integration, and create_before_destroy is a Terraform setting.",
)


# --- 1e. Lambda, logs and secrets ----------------------------------------------------------------


@control(
    "A31",
    "lambda-permission-scoped",
    cloud=CLOUD,
    types=[LAMBDA_PERMISSION, FUNCTION_URL],
    sources="FSBP Lambda.1; CKV_AWS_301; CKV_AWS_364; PCR:aws-lambda-permission-configure-source-arn; "
    "CKV_AWS_258; cdk-nag LambdaFunctionUrlAuth",
    summary="Invoke permissions never go to '*'; API Gateway permissions name "
    "<execution ARN>/<stage>/<METHOD>/<path> as sourceArn; other services set sourceArn or sourceAccount; "
    "no function URL without auth.",
    remediation="Set source_arn to the API's execution ARN with stage, method and path, or source_account; "
    "use authorization_type 'AWS_IAM' on function URLs.",
)
def lambda_permission_scoped(resource: PlannedResource, stack: Stack) -> list[str]:
    inputs = resource.inputs
    if resource.type == FUNCTION_URL:
        auth = inputs.get("authorizationType")
        return [] if auth == "AWS_IAM" else [f"the function URL has authorizationType {auth!r}"]
    principal = inputs.get("principal")
    if principal == "*":
        return ["principal is '*'"]
    source_arn = inputs.get("sourceArn")
    if principal == "apigateway.amazonaws.com":
        if not source_arn:
            return ["sourceArn is not set for apigateway.amazonaws.com"]
        if isinstance(source_arn, str) and ":execute-api:" in source_arn and len(source_arn.split("/")) < 4:
            return [f"sourceArn {source_arn!r} does not name a stage, method and path"]
        return []
    if not source_arn and not inputs.get("sourceAccount"):
        return [f"neither sourceArn nor sourceAccount is set for {principal}"]
    return []


# NOTE: AWS deprecates a Lambda runtime about once a year; update this set when python3.11 is retired.
_SUPPORTED_RUNTIMES = {
    "python3.11",
    "python3.12",
    "python3.13",
    "python3.14",
    "nodejs20.x",
    "nodejs22.x",
    "java21",
    "provided.al2023",
}


@control(
    "A32",
    "lambda-supported-runtime",
    cloud=CLOUD,
    types=[FUNCTION],
    sources="FSBP Lambda.2; CKV_AWS_363; AwsSolutions-L1; Serverless-LambdaLatestVersion",
    summary="The runtime is a supported one (python3.11 or newer for Python).",
    remediation="Set runtime to the newest python3.x the kit supports, for example 'python3.12'.",
)
def lambda_supported_runtime(function: PlannedResource, stack: Stack) -> list[str]:
    runtime = function.inputs.get("runtime")
    if function.inputs.get("packageType") == "Image" and runtime is None:
        return []
    return [] if runtime in _SUPPORTED_RUNTIMES else [f"runtime {runtime!r} is deprecated or unknown"]


_SECRET_NAME = re.compile(r"(secret|password|passwd|token|api_?key|private_?key|credential)", re.IGNORECASE)
_SECRET_VALUE = re.compile(
    r"(AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY|AccountKey=|SharedAccessSignature="
    r"|sig=[A-Za-z0-9%]{20,})"
)


def secret_looking(name: str, value: object) -> bool:
    """Tell whether an environment variable holds a literal secret instead of a reference to one."""
    if not isinstance(value, str) or not value:
        return False
    if _SECRET_VALUE.search(value):
        return True
    if not _SECRET_NAME.search(name):
        return False
    is_reference = value.startswith(
        ("arn:", "projects/", "@Microsoft.KeyVault(", "https://", "/")
    ) or name.upper().endswith(("_ARN", "_NAME", "_ID", "_URL", "_URI", "_PATH", "_PARAMETER"))
    return not is_reference


@control(
    "A33",
    "lambda-env-no-secrets",
    cloud=CLOUD,
    types=[FUNCTION],
    sources="CKV_AWS_45; CKV_AWS_173",
    summary="No environment variable holds a literal secret, and functions with environment variables "
    "encrypt them with the kit's key.",
    remediation="Store the secret in Secrets Manager, pass its ARN in the environment and set kms_key_arn.",
)
def lambda_env_no_secrets(function: PlannedResource, stack: Stack) -> list[str]:
    variables = get(function.inputs, "environment.variables", {})
    if not isinstance(variables, dict) or not variables:
        return []
    problems: list[str] = []
    leaked = sorted(name for name, value in variables.items() if secret_looking(name, value))
    require(not leaked, f"environment variables {', '.join(leaked)} hold literal secrets", problems)
    require(bool(function.inputs.get("kmsKeyArn")), "kmsKeyArn is not set", problems)
    return problems


@control(
    "A34",
    "lambda-ops-hardening",
    cloud=CLOUD,
    types=[FUNCTION],
    sources="CKV_AWS_50; PCR:aws-lambda-function-enable-tracing-config; CKV_AWS_115; "
    "NIST.800.53.R5-LambdaConcurrency; Serverless-LambdaTracing, LambdaDefaultMemorySize, "
    "LambdaFunctionDefaultTimeout",
    summary="reservedConcurrentExecutions, memorySize and timeout are set explicitly (tracing is optional).",
    remediation="Set reserved_concurrent_executions (not -1), memory_size and timeout.",
)
def lambda_ops_hardening(function: PlannedResource, stack: Stack) -> list[str]:
    problems: list[str] = []
    concurrency = function.inputs.get("reservedConcurrentExecutions")
    require(concurrency not in (None, -1), f"reservedConcurrentExecutions is {concurrency}", problems)
    require(function.inputs.get("memorySize") is not None, "memorySize is not set", problems)
    require(function.inputs.get("timeout") is not None, "timeout is not set", problems)
    return problems


@control(
    "A35",
    "lambda-optional",
    cloud=CLOUD,
    types=[FUNCTION],
    advisory=True,
    sources="SH Lambda.3 (NIST); CKV_AWS_117; NIST.800.53.R5-LambdaInsideVPC; CKV_AWS_272; CKV_AWS_116; "
    "NIST.800.53.R5-LambdaDLQ",
    summary="Functions run in a VPC and with a code-signing configuration (a DLQ does not apply to the "
    "synchronous API path).",
    remediation="Set vpc_config and code_signing_config_arn.",
)
def lambda_optional(function: PlannedResource, stack: Stack) -> list[str]:
    problems: list[str] = []
    require(bool(function.inputs.get("vpcConfig")), "vpcConfig is not set", problems)
    require(bool(function.inputs.get("codeSigningConfigArn")), "codeSigningConfigArn is not set", problems)
    return problems


def _function_log_group(function: PlannedResource, stack: Stack) -> PlannedResource | None:
    configured = get(function.inputs, "loggingConfig.logGroup")
    if configured:
        return stack.referenced(configured, [LOG_GROUP])
    names = {f"/aws/lambda/{n}" for n in (function.inputs.get("name"), function.outputs.get("name")) if n}
    for group in stack.of_type(LOG_GROUP):
        if group.inputs.get("name") in names:
            return group
    return None


@control(
    "A36",
    "logs-retention-kms",
    cloud=CLOUD,
    types=[LOG_GROUP, FUNCTION],
    cross_resource=True,
    sources="CKV_AWS_66; CKV_AWS_338; CKV_AWS_158; SH CloudWatch.16 (NIST); "
    "NIST.800.53.R5-CloudWatchLogGroupRetentionPeriod, CloudWatchLogGroupEncrypted; "
    "Serverless-CloudWatchLogGroupRetentionPeriod",
    summary="Every log group keeps logs at least 365 days (or never expires) and is encrypted with the "
    "kit's key; every function writes to a log group the stack creates.",
    remediation="Set retention_in_days >= 365 and kms_key_id on the log group; create '/aws/lambda/<name>' "
    "up front or set logging_config.log_group on the function.",
)
def logs_retention_kms(resource: PlannedResource, stack: Stack) -> list[str]:
    if resource.type == FUNCTION:
        if _function_log_group(resource, stack) is None:
            return ["the function's log group is not created by this stack, so its retention is unmanaged"]
        return []
    problems: list[str] = []
    retention = resource.inputs.get("retentionInDays")
    require(
        retention == 0 or (isinstance(retention, int) and retention >= 365),
        f"retentionInDays is {retention}, below 365",
        problems,
    )
    require(bool(resource.inputs.get("kmsKeyId")), "kmsKeyId is not set", problems)
    return problems


@control(
    "A37",
    "secret-cmk",
    cloud=CLOUD,
    types=[SECRETSMANAGER_SECRET],
    sources="CKV_AWS_149; PCR:aws-secretsmanager-secret-configure-customer-managed-key; "
    "NIST.800.53.R5-SecretsManagerUsingKMSKey",
    summary="Secrets are encrypted with the kit's customer-managed key, not aws/secretsmanager.",
    remediation="Set kms_key_id to the kit's key ARN.",
)
def secret_cmk(secret: PlannedResource, stack: Stack) -> list[str]:
    key = secret.inputs.get("kmsKeyId")
    if not key:
        return ["kmsKeyId is not set, so aws/secretsmanager is used"]
    return [f"kmsKeyId {key!r} is an AWS managed key"] if "aws/" in str(key) else []


def _rotation_ok(rotation: PlannedResource) -> bool:
    days = get(rotation.inputs, "rotationRules.automaticallyAfterDays")
    if isinstance(days, int) and days <= 90:
        return True
    schedule = str(get(rotation.inputs, "rotationRules.scheduleExpression", ""))
    if schedule.startswith("cron("):
        return True
    match = re.fullmatch(r"rate\((\d+) days?\)", schedule)
    if match:
        return int(match.group(1)) <= 90
    # rate(N hours) and rate(N minutes) are always shorter than 90 days.
    return re.fullmatch(r"rate\(\d+ (hours?|minutes?)\)", schedule) is not None


@control(
    "A38",
    "secret-rotation",
    cloud=CLOUD,
    types=[SECRETSMANAGER_SECRET],
    cross_resource=True,
    sources="FSBP SecretsManager.1, SecretsManager.4; CKV2_AWS_57; CKV_AWS_304; AwsSolutions-SMG4; "
    "NIST.800.53.R5-SecretsManagerRotationEnabled",
    summary="Each secret rotates at least every 90 days. Secrets copied into AEP cannot rotate "
    "automatically and carry a recorded exception.",
    remediation="Create an aws.secretsmanager.SecretRotation with "
    "rotation_rules.automatically_after_days <= 90.",
)
def secret_rotation(secret: PlannedResource, stack: Stack) -> list[str]:
    rotations = stack.referencing(secret, [SECRETSMANAGER_ROTATION], ["secretId"])
    if not rotations:
        return ["the secret has no aws:secretsmanager/secretRotation"]
    return [] if any(_rotation_ok(r) for r in rotations) else ["the rotation interval is longer than 90 days"]


# --- 1f. Transfer Family and the streaming sink -----------------------------------------------------

_CURRENT_TRANSFER_POLICY = re.compile(r"^TransferSecurityPolicy-(FIPS-)?20(2[5-9]|[3-9]\d)-\d\d$")


@control(
    "A39",
    "sftp-server-hardening",
    cloud=CLOUD,
    types=[TRANSFER_SERVER],
    sources="FSBP Transfer.2; CKV_AWS_357; CKV_AWS_164; CKV_AWS_380; AWS MDAA Transfer construct",
    summary="The Transfer server speaks SFTP only, pins a 2025 or newer security policy, has a VPC endpoint "
    "with Elastic IPs and security groups, and logs.",
    remediation="Set protocols ['SFTP'], security_policy_name 'TransferSecurityPolicy-2025-03', "
    "endpoint_type 'VPC' with endpoint_details.address_allocation_ids and security_group_ids, and "
    "structured_log_destinations.",
)
def sftp_server_hardening(server: PlannedResource, stack: Stack) -> list[str]:
    inputs = server.inputs
    problems: list[str] = []
    protocols = inputs.get("protocols")
    require(protocols in (None, ["SFTP"]), f"protocols is {protocols}, not ['SFTP']", problems)
    policy = str(inputs.get("securityPolicyName", ""))
    require(
        bool(_CURRENT_TRANSFER_POLICY.match(policy)),
        f"securityPolicyName {policy!r} is older than 2025",
        problems,
    )
    require(inputs.get("endpointType") == "VPC", f"endpointType is {inputs.get('endpointType')!r}", problems)
    require(
        bool(get(inputs, "endpointDetails.addressAllocationIds")), "no Elastic IPs are attached", problems
    )
    require(
        bool(get(inputs, "endpointDetails.securityGroupIds")), "no security groups are attached", problems
    )
    require(
        bool(inputs.get("structuredLogDestinations") or inputs.get("loggingRole")),
        "neither structuredLogDestinations nor loggingRole is set",
        problems,
    )
    return problems


@control(
    "A40",
    "sftp-user-jail",
    cloud=CLOUD,
    types=[TRANSFER_USER],
    cross_resource=True,
    sources="AWS Transfer Family docs (least-privilege and logical directories)",
    summary="Transfer users have LOGICAL home directories mapped to their own prefix, a role, and SSH keys "
    "from aws:transfer/sshKey.",
    remediation="Set home_directory_type 'LOGICAL' with home_directory_mappings to '/<bucket>/<prefix>' and "
    "add an aws.transfer.SshKey.",
)
def sftp_user_jail(user: PlannedResource, stack: Stack) -> list[str]:
    inputs = user.inputs
    problems: list[str] = []
    require(inputs.get("homeDirectoryType") == "LOGICAL", "homeDirectoryType is not 'LOGICAL'", problems)
    mappings = [m for m in as_list(inputs.get("homeDirectoryMappings")) if isinstance(m, dict)]
    require(bool(mappings), "homeDirectoryMappings is empty", problems)
    for entry in mappings:
        target = str(entry.get("target", ""))
        require(
            len([p for p in target.split("/") if p]) >= 2,
            f"the mapping target {target!r} is a bucket root",
            problems,
        )
    require(bool(inputs.get("role")), "role is not set", problems)
    user_name = inputs.get("userName")
    keys = [k for k in stack.of_type(TRANSFER_SSH_KEY) if k.inputs.get("userName") == user_name]
    require(bool(keys), "the user has no aws:transfer/sshKey", problems)
    return problems


def _queue_tls_only(queue: PlannedResource, stack: Stack) -> bool:
    for policy in stack.referencing(queue, [QUEUE_POLICY], ["queueUrl"]):
        for statement in statements(policy.inputs.get("policy")) or []:
            if statement.effect == "Deny" and statement.condition_value("Bool", "aws:SecureTransport") == [
                "false"
            ]:
                return True
    return False


def _is_dead_letter_queue(queue: PlannedResource, stack: Stack) -> bool:
    for other in stack.of_type(QUEUE):
        redrive = load_json(other.inputs.get("redrivePolicy"))
        if isinstance(redrive, dict) and refers_to(redrive.get("deadLetterTargetArn"), queue):
            return True
    return False


@control(
    "A41",
    "sink-encrypted",
    cloud=CLOUD,
    types=[FIREHOSE, KINESIS_STREAM, QUEUE],
    cross_resource=True,
    sources="CKV_AWS_240, CKV_AWS_241; AwsSolutions-KDF1; FSBP Kinesis.1; CKV_AWS_43, CKV_AWS_185; "
    "AwsSolutions-KDS1, KDS3; FSBP SQS.1; CKV_AWS_27; CKV2_AWS_73; AwsSolutions-SQS2, SQS3, SQS4; "
    "Serverless-SQSRedrivePolicy",
    summary="Firehose and Kinesis sinks use the customer-managed key; SQS queues are encrypted, deny "
    "non-TLS requests and have a redrive policy (except dead-letter queues).",
    remediation="Firehose: server_side_encryption key_type 'CUSTOMER_MANAGED_CMK'. Kinesis: encryption_type "
    "'KMS' with kms_key_id. SQS: kms_master_key_id or sqs_managed_sse_enabled, a TLS-only queue policy, "
    "and redrive_policy.",
)
def sink_encrypted(sink: PlannedResource, stack: Stack) -> list[str]:
    inputs = sink.inputs
    problems: list[str] = []
    if sink.type == FIREHOSE:
        require(
            get(inputs, "serverSideEncryption.enabled") is True,
            "serverSideEncryption is not enabled",
            problems,
        )
        key_type = get(inputs, "serverSideEncryption.keyType")
        require(key_type == "CUSTOMER_MANAGED_CMK", f"keyType is {key_type!r}", problems)
    elif sink.type == KINESIS_STREAM:
        require(inputs.get("encryptionType") == "KMS", "encryptionType is not 'KMS'", problems)
        require(bool(inputs.get("kmsKeyId")), "kmsKeyId is not set", problems)
    else:
        require(
            bool(inputs.get("kmsMasterKeyId") or inputs.get("sqsManagedSseEnabled")),
            "the queue is not encrypted",
            problems,
        )
        require(_queue_tls_only(sink, stack), "no queue policy denies requests without TLS", problems)
        if not _is_dead_letter_queue(sink, stack):
            require(bool(inputs.get("redrivePolicy")), "redrivePolicy is not set", problems)
    return problems


_TOKEN_UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


@control(
    "A42",
    "token-issuer-m2m",
    cloud=CLOUD,
    types=[USER_POOL_CLIENT, IDENTITY_POOL],
    sources="CKV_AWS_366; AwsSolutions-COG7; FSBP Cognito.1",
    summary="The Cognito client for AEP uses only client_credentials with resource-server scopes and a "
    "generated secret, tokens live at most 1 hour, and no identity pool allows unauthenticated access.",
    remediation="Set allowed_oauth_flows ['client_credentials'], allowed_oauth_scopes, generate_secret=True "
    "and access_token_validity <= 1 hour; set allow_unauthenticated_identities=False.",
)
def token_issuer_m2m(resource: PlannedResource, stack: Stack) -> list[str]:
    inputs = resource.inputs
    if resource.type == IDENTITY_POOL:
        allowed = inputs.get("allowUnauthenticatedIdentities")
        return ["the identity pool allows unauthenticated identities"] if allowed is True else []
    problems: list[str] = []
    flows = inputs.get("allowedOauthFlows")
    require(
        flows == ["client_credentials"], f"allowedOauthFlows is {flows}, not ['client_credentials']", problems
    )
    require(bool(inputs.get("allowedOauthScopes")), "allowedOauthScopes is empty", problems)
    require(inputs.get("generateSecret") is True, "generateSecret is not true", problems)
    validity = inputs.get("accessTokenValidity")
    if validity is not None:
        unit = get(inputs, "tokenValidityUnits.accessToken", "hours")
        seconds = int(validity) * _TOKEN_UNIT_SECONDS.get(str(unit), 3600)
        require(seconds <= 3600, f"access tokens live {validity} {unit}, longer than 1 hour", problems)
    return problems
