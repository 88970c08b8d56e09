"""AWS controls A14-A22: KMS keys, IAM policies, roles and the writer's IAM user."""

from __future__ import annotations

from destkit.plan.model import PlannedResource
from destkit.policy.aws.tokens import (
    ACCESS_KEY,
    CLOUD,
    GROUP_ATTACHMENT,
    IAM_USER,
    KMS_KEY,
    KMS_KEY_POLICY,
    LOGIN_PROFILE,
    POLICY_DOCUMENT_TYPES,
    ROLE,
    ROLE_ATTACHMENT,
    ROLE_POLICY,
    USER_ATTACHMENT,
    USER_POLICY,
)
from destkit.policy.core import Stack, as_list, control, get, require
from destkit.policy.documents import Statement, is_root_principal, statements


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


# --- KMS and IAM -------------------------------------------------------------------------


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
