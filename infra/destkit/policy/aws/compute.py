"""AWS controls A31-A42: Lambda, log groups, secrets, Transfer Family, the sink and Cognito."""

from __future__ import annotations

import re

from destkit.plan.model import PlannedResource
from destkit.policy.aws.tokens import (
    CLOUD,
    FIREHOSE,
    FUNCTION,
    FUNCTION_URL,
    IDENTITY_POOL,
    KINESIS_STREAM,
    LAMBDA_PERMISSION,
    LOG_GROUP,
    QUEUE,
    QUEUE_POLICY,
    SECRETSMANAGER_ROTATION,
    SECRETSMANAGER_SECRET,
    TRANSFER_SERVER,
    TRANSFER_SSH_KEY,
    TRANSFER_USER,
    USER_POOL_CLIENT,
)
from destkit.policy.core import (
    Stack,
    as_list,
    control,
    get,
    load_json,
    refers_to,
    require,
    secret_looking,
)
from destkit.policy.documents import statements

# --- Lambda, logs and secrets ----------------------------------------------------------------


def _scoped_execute_api_arn(source_arn: str) -> bool:
    """Tell whether an execute-api ARN names a stage, method and path, or one authorizer.

    API Gateway invokes a Lambda authorizer as ``<execution ARN>/authorizers/<id>``, which is the
    narrowest ARN for that call.
    """
    if ":execute-api:" not in source_arn:
        return True
    parts = source_arn.split("/")
    if len(parts) == 3 and parts[1] == "authorizers" and parts[2] not in ("", "*"):
        return True
    return len(parts) >= 4


@control(
    "A31",
    "lambda-permission-scoped",
    cloud=CLOUD,
    types=[LAMBDA_PERMISSION, FUNCTION_URL],
    sources="FSBP Lambda.1; CKV_AWS_301; CKV_AWS_364; PCR:aws-lambda-permission-configure-source-arn; "
    "CKV_AWS_258; cdk-nag LambdaFunctionUrlAuth",
    summary="Invoke permissions never go to '*'; API Gateway permissions name "
    "<execution ARN>/<stage>/<METHOD>/<path> (or <execution ARN>/authorizers/<id>) as sourceArn; other "
    "services set sourceArn or sourceAccount; "
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
        if isinstance(source_arn, str) and not _scoped_execute_api_arn(source_arn):
            return [f"sourceArn {source_arn!r} does not name a stage, method and path (or an authorizer)"]
        return []
    if not source_arn and not inputs.get("sourceAccount"):
        return [f"neither sourceArn nor sourceAccount is set for {principal}"]
    return []


# NOTE: a fixed list; remove a runtime when AWS Lambda deprecates it (python3.11 is next).
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


# --- Transfer Family and the streaming sink -----------------------------------------------------

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
