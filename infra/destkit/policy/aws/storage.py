"""AWS controls A1-A13: the S3 landing and log buckets."""

from __future__ import annotations

from destkit.plan.model import PlannedResource
from destkit.policy.aws.tokens import (
    ACCOUNT_PUBLIC_ACCESS_BLOCK,
    BUCKET,
    BUCKET_ACL,
    BUCKET_LIFECYCLE,
    BUCKET_LOGGING,
    BUCKET_NOTIFICATION,
    BUCKET_POLICY,
    BUCKET_REPLICATION,
    BUCKET_SSE,
    BUCKET_VERSIONING,
    CLOUD,
    OWNERSHIP_CONTROLS,
    PUBLIC_ACCESS_BLOCK,
    TRAIL,
)
from destkit.policy.core import Stack, as_list, control, get, not_applicable_control, refers_to, require
from destkit.policy.documents import Statement, is_root_principal, statements


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


# --- S3 landing bucket -------------------------------------------------------------------


@control(
    "A1",
    "s3-block-public-access",
    cloud=CLOUD,
    types=[BUCKET, ACCOUNT_PUBLIC_ACCESS_BLOCK],
    cross_resource=True,
    sources="FSBP S3.8; FSBP S3.1; CKV_AWS_53, 54, 55, 56; CKV2_AWS_6; AwsSolutions-S2; "
    "NIST.800.53.R5-S3BucketLevelPublicAccessProhibited; CIS AWS 3.0 2.1.4",
    summary="Every bucket has a public access block with all four flags true. An account-level block, "
    "which the kit does not create because it is account-scoped, must set the same four flags.",
    remediation="Create an aws.s3.BucketPublicAccessBlock for the bucket with block_public_acls, "
    "block_public_policy, ignore_public_acls and restrict_public_buckets set to True.",
)
def s3_block_public_access(resource: PlannedResource, stack: Stack) -> list[str]:
    if resource.type == ACCOUNT_PUBLIC_ACCESS_BLOCK:
        blocks = [resource]
    else:
        blocks = _bucket_children(stack, resource, PUBLIC_ACCESS_BLOCK)
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
