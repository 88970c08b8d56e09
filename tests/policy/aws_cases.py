"""A compliant AWS stack, as the kit's components register it, and one violation per control."""

from __future__ import annotations

import json

from tests.policy.builders import Case, changed, make, plus, without

from destkit.plan.model import PlannedResource

ACCOUNT = "123456789012"
KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/04339b95-b1bb-4202-8ba2-97a58996cd5b"
LANDING = "acme-dev-landing-1a2b3c4"
LOGS = "acme-dev-logs-5d6e7f8"
ACCESS_LOG_GROUP_ARN = f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/apigateway/acme-dev"
STAGE_ARN = "arn:aws:apigateway:eu-west-1::/restapis/abc123/stages/prod"
ACL_ARN = f"arn:aws:wafv2:eu-west-1:{ACCOUNT}:regional/webacl/acme-dev/0f1e"
SECRET_ARN = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:acme-dev-token-AbCdEf"
QUEUE_ARN = f"arn:aws:sqs:eu-west-1:{ACCOUNT}:acme-dev-events"
DLQ_ARN = f"arn:aws:sqs:eu-west-1:{ACCOUNT}:acme-dev-events-dlq"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def tls_policy(bucket: str) -> str:
    resources = [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
    return doc(
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "DenyTlsBelow12",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
        },
    )


def bucket_set(prefix: str, bucket_id: str, *, kms: bool) -> list[PlannedResource]:
    """A bucket and the children the kit's hardened bucket registers for it."""
    sse = {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN} if kms else {"sseAlgorithm": "AES256"}
    return [
        make(
            "aws:s3/bucket:Bucket",
            f"{prefix}-bucket",
            {"forceDestroy": False, "tags": {"owner": "data-platform"}},
            {"id": bucket_id, "arn": f"arn:aws:s3:::{bucket_id}", "bucket": bucket_id},
        ),
        make(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            f"{prefix}-public-access",
            {
                "bucket": bucket_id,
                "blockPublicAcls": True,
                "blockPublicPolicy": True,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            },
        ),
        make(
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
            f"{prefix}-ownership",
            {"bucket": bucket_id, "rule": {"objectOwnership": "BucketOwnerEnforced"}},
        ),
        make(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            f"{prefix}-encryption",
            {
                "bucket": bucket_id,
                "rules": [{"applyServerSideEncryptionByDefault": sse, "bucketKeyEnabled": kms}],
            },
        ),
        make(
            "aws:s3/bucketVersioning:BucketVersioning",
            f"{prefix}-versioning",
            {"bucket": bucket_id, "versioningConfiguration": {"status": "Enabled"}},
        ),
        make(
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            f"{prefix}-lifecycle",
            {
                "bucket": bucket_id,
                "rules": [
                    {
                        "id": "landing-retention",
                        "status": "Enabled",
                        "filter": {},
                        "expiration": {"days": 14},
                        "noncurrentVersionExpiration": {"noncurrentDays": 7},
                        "abortIncompleteMultipartUpload": {"daysAfterInitiation": 1},
                    }
                ],
            },
        ),
        make(
            "aws:s3/bucketPolicy:BucketPolicy",
            f"{prefix}-policy",
            {"bucket": bucket_id, "policy": tls_policy(bucket_id)},
        ),
        make(
            "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
            f"{prefix}-replication",
            {"bucket": bucket_id, "role": f"arn:aws:iam::{ACCOUNT}:role/replication", "rules": []},
        ),
    ]


def baseline() -> list[PlannedResource]:
    """Every AWS resource type the controls read, each meeting every control."""
    writer_policy = doc(
        {
            "Sid": "ListTenantPrefix",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": f"arn:aws:s3:::{LANDING}",
            "Condition": {"StringLike": {"s3:prefix": ["retail-eu/*"]}},
        },
        {
            "Sid": "WriteTenantPrefix",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
            "Resource": f"arn:aws:s3:::{LANDING}/retail-eu/*",
        },
        {
            "Sid": "UseTheKey",
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
            "Resource": KEY_ARN,
            "Condition": {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}},
        },
        {"Sid": "Tracing", "Effect": "Allow", "Action": ["xray:PutTraceSegments"], "Resource": "*"},
    )
    key_policy = doc(
        {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"},
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Principal": {"Service": "logs.eu-west-1.amazonaws.com"},
            "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:*"}},
        },
    )
    lambda_trust = doc(
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        }
    )
    adobe_trust = doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::670664943635:user/destinations-adobe-user"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "ims-org@AdobeOrg"}},
        }
    )
    log_format = json.dumps(
        {
            "requestId": "$context.requestId",
            "sourceIp": "$context.identity.sourceIp",
            "principal": "$context.authorizer.principalId",
            "status": "$context.status",
        }
    )
    resources = [
        *bucket_set("landing", LANDING, kms=True),
        *bucket_set("logs", LOGS, kms=False),
        make(
            "aws:s3/bucketLogging:BucketLogging",
            "landing-logging",
            {"bucket": LANDING, "targetBucket": LOGS, "targetPrefix": "landing/"},
        ),
        make(
            "aws:s3/bucketNotification:BucketNotification",
            "landing-notification",
            {"bucket": LANDING, "eventbridge": True},
        ),
        make(
            "aws:cloudtrail/trail:Trail",
            "data-trail",
            {
                "s3BucketName": LOGS,
                "eventSelectors": [
                    {"dataResources": [{"type": "AWS::S3::Object", "values": [f"arn:aws:s3:::{LANDING}/"]}]}
                ],
            },
        ),
        make(
            "aws:kms/key:Key",
            "key",
            {"enableKeyRotation": True, "deletionWindowInDays": 30, "policy": key_policy},
            {"id": "04339b95-b1bb-4202-8ba2-97a58996cd5b", "arn": KEY_ARN},
        ),
        make(
            "aws:iam/policy:Policy",
            "writer-policy",
            {"policy": writer_policy},
            {"id": "writer-policy-id", "arn": f"arn:aws:iam::{ACCOUNT}:policy/writer-policy"},
        ),
        make("aws:iam/role:Role", "intake-role", {"assumeRolePolicy": lambda_trust}),
        make("aws:iam/role:Role", "adobe-writer-role", {"assumeRolePolicy": adobe_trust}),
        make(
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "intake-role-policy",
            {"role": "intake-role-id", "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/writer-policy"},
        ),
        make("aws:iam/user:User", "writer-user", {"name": "acme-dev-writer", "forceDestroy": True}),
        make("aws:iam/accessKey:AccessKey", "writer-key", {"user": "acme-dev-writer"}),
        make(
            "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
            "writer-group-policy",
            {"group": "writers", "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/writer-policy"},
        ),
        make(
            "aws:apigateway/restApi:RestApi",
            "api",
            {
                "disableExecuteApiEndpoint": True,
                "endpointConfiguration": {"types": "REGIONAL"},
                "policy": doc(
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "execute-api:Invoke",
                        "Resource": "execute-api:/*",
                        "Condition": {"IpAddress": {"aws:SourceIp": ["52.247.108.70/32"]}},
                    }
                ),
            },
            {"id": "abc123", "executionArn": f"arn:aws:execute-api:eu-west-1:{ACCOUNT}:abc123"},
        ),
        make(
            "aws:apigateway/method:Method",
            "ingest-post",
            {
                "restApi": "abc123",
                "httpMethod": "POST",
                "authorization": "CUSTOM",
                "authorizerId": "auth1",
                "requestValidatorId": "validator1",
                "requestModels": {"application/json": "Profiles"},
            },
        ),
        make(
            "aws:apigateway/method:Method",
            "ingest-options",
            {"restApi": "abc123", "httpMethod": "OPTIONS", "authorization": "NONE"},
        ),
        make(
            "aws:apigateway/stage:Stage",
            "stage",
            {
                "restApi": "abc123",
                "stageName": "prod",
                "deployment": "dep1",
                "xrayTracingEnabled": True,
                "accessLogSettings": {"destinationArn": ACCESS_LOG_GROUP_ARN, "format": log_format},
            },
            {"id": "ags-abc123-prod", "arn": STAGE_ARN},
        ),
        make(
            "aws:apigateway/methodSettings:MethodSettings",
            "stage-settings",
            {
                "restApi": "abc123",
                "stageName": "prod",
                "methodPath": "*/*",
                "settings": {
                    "loggingLevel": "ERROR",
                    "metricsEnabled": True,
                    "dataTraceEnabled": False,
                    "throttlingRateLimit": 200,
                    "throttlingBurstLimit": 400,
                },
            },
        ),
        make(
            "aws:apigateway/domainName:DomainName",
            "domain",
            {"domainName": "intake.example.com", "securityPolicy": "TLS_1_2"},
        ),
        make(
            "aws:wafv2/webAcl:WebAcl",
            "web-acl",
            {
                "scope": "REGIONAL",
                "defaultAction": {"allow": {}},
                "rules": [
                    {
                        "name": "known-bad-inputs",
                        "priority": 1,
                        "statement": {
                            "managedRuleGroupStatement": {
                                "vendorName": "AWS",
                                "name": "AWSManagedRulesKnownBadInputsRuleSet",
                            }
                        },
                    },
                    {
                        "name": "rate-limit",
                        "priority": 2,
                        "statement": {"rateBasedStatement": {"limit": 100000, "aggregateKeyType": "IP"}},
                    },
                ],
            },
            {"id": "web-acl-id", "arn": ACL_ARN},
        ),
        make(
            "aws:wafv2/webAclAssociation:WebAclAssociation",
            "web-acl-association",
            {"resourceArn": STAGE_ARN, "webAclArn": ACL_ARN},
        ),
        make(
            "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
            "web-acl-logging",
            {
                "resourceArn": ACL_ARN,
                "logDestinationConfigs": [f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:aws-waf-logs-acme"],
            },
        ),
        make(
            "aws:cloudwatch/logGroup:LogGroup",
            "access-logs",
            {"name": "/aws/apigateway/acme-dev", "retentionInDays": 365, "kmsKeyId": KEY_ARN},
            {"id": "/aws/apigateway/acme-dev", "arn": ACCESS_LOG_GROUP_ARN},
        ),
        make(
            "aws:cloudwatch/logGroup:LogGroup",
            "intake-logs",
            {"name": "/aws/lambda/acme-dev-intake", "retentionInDays": 365, "kmsKeyId": KEY_ARN},
        ),
        make(
            "aws:lambda/function:Function",
            "intake",
            {
                "name": "acme-dev-intake",
                "runtime": "python3.12",
                "handler": "destkit.runtime.aws.intake.handler",
                "role": f"arn:aws:iam::{ACCOUNT}:role/intake-role",
                "memorySize": 512,
                "timeout": 29,
                "reservedConcurrentExecutions": 20,
                "kmsKeyArn": KEY_ARN,
                "tracingConfig": {"mode": "Active"},
                "vpcConfig": {"subnetIds": ["subnet-1"], "securityGroupIds": ["sg-1"]},
                "codeSigningConfigArn": f"arn:aws:lambda:eu-west-1:{ACCOUNT}:code-signing-config:csc-1",
                "environment": {
                    "variables": {"SINK_BUCKET": LANDING, "TOKEN_SECRET_ARN": SECRET_ARN, "LOG_LEVEL": "INFO"}
                },
            },
        ),
        make(
            "aws:lambda/permission:Permission",
            "intake-permission",
            {
                "action": "lambda:InvokeFunction",
                "function": "acme-dev-intake",
                "principal": "apigateway.amazonaws.com",
                "sourceArn": f"arn:aws:execute-api:eu-west-1:{ACCOUNT}:abc123/prod/POST/ingest",
            },
        ),
        make(
            "aws:secretsmanager/secret:Secret",
            "token-secret",
            {"kmsKeyId": KEY_ARN},
            {"id": SECRET_ARN, "arn": SECRET_ARN},
        ),
        make(
            "aws:secretsmanager/secretRotation:SecretRotation",
            "token-rotation",
            {"secretId": SECRET_ARN, "rotationRules": {"automaticallyAfterDays": 30}},
        ),
        make(
            "aws:transfer/server:Server",
            "sftp-server",
            {
                "protocols": ["SFTP"],
                "securityPolicyName": "TransferSecurityPolicy-2025-03",
                "endpointType": "VPC",
                "endpointDetails": {
                    "vpcId": "vpc-1",
                    "securityGroupIds": ["sg-1"],
                    "addressAllocationIds": ["eipalloc-1"],
                },
                "structuredLogDestinations": [
                    "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/transfer/acme:*"
                ],
                "identityProviderType": "SERVICE_MANAGED",
            },
        ),
        make(
            "aws:transfer/user:User",
            "sftp-retail-eu",
            {
                "serverId": "s-1",
                "userName": "retail-eu",
                "role": f"arn:aws:iam::{ACCOUNT}:role/sftp-retail-eu",
                "homeDirectoryType": "LOGICAL",
                "homeDirectoryMappings": [{"entry": "/", "target": f"/{LANDING}/retail-eu"}],
            },
        ),
        make(
            "aws:transfer/sshKey:SshKey",
            "sftp-retail-eu-key",
            {"serverId": "s-1", "userName": "retail-eu", "body": "ssh-rsa AAAA"},
        ),
        make(
            "aws:sqs/queue:Queue",
            "events",
            {
                "kmsMasterKeyId": KEY_ARN,
                "redrivePolicy": json.dumps({"deadLetterTargetArn": DLQ_ARN, "maxReceiveCount": 5}),
            },
            {"id": "https://sqs.eu-west-1.amazonaws.com/123456789012/acme-dev-events", "arn": QUEUE_ARN},
        ),
        make(
            "aws:sqs/queue:Queue",
            "events-dlq",
            {"sqsManagedSseEnabled": True},
            {"id": "https://sqs.eu-west-1.amazonaws.com/123456789012/acme-dev-events-dlq", "arn": DLQ_ARN},
        ),
        *[
            make(
                "aws:sqs/queuePolicy:QueuePolicy",
                f"{name}-policy",
                {
                    "queueUrl": f"https://sqs.eu-west-1.amazonaws.com/123456789012/acme-dev-{name}",
                    "policy": doc(
                        {
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "sqs:*",
                            "Resource": arn,
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ),
                },
            )
            for name, arn in (("events", QUEUE_ARN), ("events-dlq", DLQ_ARN))
        ],
        make(
            "aws:kinesis/stream:Stream",
            "stream",
            {"encryptionType": "KMS", "kmsKeyId": KEY_ARN, "shardCount": 1},
        ),
        make(
            "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
            "firehose",
            {
                "destination": "extended_s3",
                "serverSideEncryption": {
                    "enabled": True,
                    "keyType": "CUSTOMER_MANAGED_CMK",
                    "keyArn": KEY_ARN,
                },
            },
        ),
        make(
            "aws:cognito/userPoolClient:UserPoolClient",
            "aep-client",
            {
                "userPoolId": "eu-west-1_abc",
                "allowedOauthFlows": ["client_credentials"],
                "allowedOauthFlowsUserPoolClient": True,
                "allowedOauthScopes": ["https://intake.example.com/ingest"],
                "generateSecret": True,
                "accessTokenValidity": 60,
                "tokenValidityUnits": {"accessToken": "minutes"},
            },
        ),
        make(
            "aws:cognito/identityPool:IdentityPool",
            "identity-pool",
            {"identityPoolName": "acme", "allowUnauthenticatedIdentities": False},
        ),
        make(
            "aws:apigatewayv2/api:Api",
            "http-api",
            {"protocolType": "HTTP", "disableExecuteApiEndpoint": True},
        ),
        make(
            "aws:apigatewayv2/route:Route",
            "http-route",
            {"apiId": "http-api-id", "routeKey": "POST /ingest", "authorizationType": "JWT"},
        ),
        make(
            "aws:apigatewayv2/domainName:DomainName",
            "http-domain",
            {
                "domainName": "intake2.example.com",
                "domainNameConfiguration": {"securityPolicy": "TLS_1_2", "endpointType": "REGIONAL"},
            },
        ),
    ]
    return resources


BASE = baseline()
PUBLIC_READ_GRANT = {
    "grantee": {"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers"},
    "permission": "READ",
}
HTTP_STAGE = make(
    "aws:apigatewayv2/stage:Stage",
    "http-stage",
    {
        "apiId": "http-api-id",
        "name": "$default",
        "accessLogSettings": {"destinationArn": ACCESS_LOG_GROUP_ARN, "format": "{}"},
    },
)


def _policy_with(*statements: dict) -> list[PlannedResource]:
    return changed(BASE, "writer-policy", policy=doc(*statements))


AUTHORIZER_ARN = f"arn:aws:execute-api:eu-west-1:{ACCOUNT}:abc123/authorizers/auth1"
SECRET_ARN_MAP = json.dumps({"retail-eu": SECRET_ARN, "retail-us": SECRET_ARN})

# Passing cases beyond the baseline: shapes the kit registers that a stricter reading would flag.
PASSING = [
    Case(
        "lambda-permission-scoped",
        changed(BASE, "intake-permission", sourceArn=AUTHORIZER_ARN),
        None,
        "authorizer",
    ),
    Case(
        "lambda-env-no-secrets",
        changed(
            BASE, "intake", environment={"variables": {"DESTKIT_CREDENTIAL_SECRET_ARNS": SECRET_ARN_MAP}}
        ),
        None,
        "arn-map",
    ),
]

VIOLATIONS = [
    Case(
        "s3-block-public-access",
        plus(
            BASE,
            make(
                "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock",
                "account-block",
                {"blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": False},
            ),
        ),
        "ignorePublicAcls is not true",
        "account",
    ),
    Case(
        "s3-block-public-access", without(BASE, "landing-public-access"), "no aws:s3/bucketPublicAccessBlock"
    ),
    Case(
        "s3-block-public-access",
        changed(BASE, "landing-public-access", blockPublicPolicy=False),
        "blockPublicPolicy is not true",
        "flag",
    ),
    Case(
        "s3-acls-disabled",
        changed(BASE, "landing-ownership", rule={"objectOwnership": "ObjectWriter"}),
        "not 'BucketOwnerEnforced'",
    ),
    Case(
        "s3-acls-disabled",
        plus(
            BASE,
            make(
                "aws:s3/bucketAcl:BucketAcl",
                "landing-acl",
                {"bucket": LANDING, "accessControlPolicy": {"grants": [PUBLIC_READ_GRANT]}},
            ),
        ),
        "public group",
        "acl-grant",
    ),
    Case("s3-tls-only", changed(BASE, "landing-policy", policy=doc()), "aws:SecureTransport is false"),
    Case("s3-tls12-min", changed(BASE, "landing-policy", policy=doc()), "s3:TlsVersion below 1.2"),
    Case(
        "s3-policy-principals",
        changed(
            BASE,
            "landing-policy",
            policy=doc({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}),
        ),
        "Principal '*' without a principal",
    ),
    Case(
        "s3-policy-principals",
        changed(
            BASE,
            "landing-policy",
            policy=doc(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::999999999999:role/x"},
                    "Action": "s3:PutBucketPolicy",
                    "Resource": "*",
                }
            ),
        ),
        "grants s3:PutBucketPolicy",
        "takeover",
    ),
    Case(
        "s3-sse-kms-cmk",
        changed(
            BASE,
            "landing-encryption",
            rules=[
                {
                    "applyServerSideEncryptionByDefault": {
                        "sseAlgorithm": "aws:kms",
                        "kmsMasterKeyId": "alias/aws/s3",
                    },
                    "bucketKeyEnabled": True,
                }
            ],
        ),
        "is an AWS managed key",
    ),
    Case(
        "s3-versioning",
        changed(BASE, "landing-versioning", versioningConfiguration={"status": "Suspended"}),
        "status 'Enabled'",
    ),
    Case(
        "s3-lifecycle",
        changed(
            BASE, "landing-lifecycle", rules=[{"status": "Enabled", "filter": {}, "expiration": {"days": 14}}]
        ),
        "within 7 days",
    ),
    Case("s3-access-logging", without(BASE, "landing-logging"), "no aws:s3/bucketLogging"),
    Case(
        "s3-access-logging", changed(BASE, "landing-logging", targetBucket=LANDING), "logs to itself", "self"
    ),
    Case("s3-event-notifications", without(BASE, "landing-notification"), "no aws:s3/bucketNotification"),
    Case("s3-replication", without(BASE, "landing-replication"), "no aws:s3/bucketReplicationConfig"),
    Case("s3-object-level-trail", without(BASE, "data-trail"), "AWS::S3::Object"),
    Case("kms-rotation", changed(BASE, "key", enableKeyRotation=False), "enableKeyRotation is not true"),
    Case("kms-rotation", changed(BASE, "key", rotationPeriodInDays=400), "above 365", "period"),
    Case(
        "kms-policy-explicit-not-public",
        changed(
            BASE,
            "key",
            policy=doc({"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}),
        ),
        "Principal '*' without a condition",
    ),
    Case(
        "kms-policy-explicit-not-public", changed(BASE, "key", policy=None), "no explicit policy", "missing"
    ),
    Case("kms-deletion-guard", changed(BASE, "key", deletionWindowInDays=7), "deletionWindowInDays is 7"),
    Case(
        "kms-deletion-guard",
        changed(BASE, "key", bypassPolicyLockoutSafetyCheck=True),
        "bypassPolicyLockoutSafetyCheck",
        "bypass",
    ),
    Case(
        "kms-no-decrypt-on-star",
        _policy_with({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}),
        "kms:Decrypt on Resource '*'",
    ),
    Case(
        "iam-no-admin",
        _policy_with({"Effect": "Allow", "Action": "*", "Resource": "*"}),
        "Action '*' on Resource '*'",
    ),
    Case(
        "iam-no-admin",
        changed(BASE, "intake-role-policy", policyArn="arn:aws:iam::aws:policy/AdministratorAccess"),
        "AdministratorAccess is attached",
        "managed",
    ),
    Case(
        "iam-no-wildcards",
        _policy_with({"Effect": "Allow", "Action": "s3:*", "Resource": f"arn:aws:s3:::{LANDING}"}),
        "wildcard actions s3:*",
    ),
    Case(
        "iam-no-wildcards",
        _policy_with({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}),
        "s3:GetObject on Resource '*'",
        "star",
    ),
    Case(
        "iam-customer-managed-policies",
        changed(
            BASE,
            "intake-role-policy",
            policyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        ),
        "AWS-managed policy",
    ),
    Case(
        "iam-customer-managed-policies",
        plus(
            BASE, make("aws:iam/rolePolicy:RolePolicy", "inline", {"role": "intake-role-id", "policy": doc()})
        ),
        "inline aws:iam/rolePolicy",
        "inline",
    ),
    Case(
        "iam-trust-scoped",
        changed(
            BASE,
            "adobe-writer-role",
            assumeRolePolicy=doc(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::670664943635:root"},
                    "Action": "sts:AssumeRole",
                }
            ),
        ),
        "names the whole account",
    ),
    Case(
        "iam-trust-scoped",
        changed(
            BASE,
            "intake-role",
            assumeRolePolicy=doc(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ),
        ),
        "no aws:SourceAccount or aws:SourceArn",
        "service",
    ),
    Case(
        "writer-user-hygiene",
        plus(
            BASE,
            make("aws:iam/userLoginProfile:UserLoginProfile", "writer-console", {"user": "acme-dev-writer"}),
        ),
        "console login profile",
    ),
    Case(
        "writer-user-hygiene",
        plus(BASE, make("aws:iam/accessKey:AccessKey", "writer-key-2", {"user": "acme-dev-writer"})),
        "2 active access keys",
        "keys",
    ),
    Case(
        "apigw-authz-every-route",
        changed(BASE, "ingest-post", authorization="NONE"),
        "authorization is 'NONE'",
    ),
    Case(
        "apigw-authz-every-route",
        changed(BASE, "http-route", authorizationType="NONE"),
        "authorizationType is 'NONE'",
        "http",
    ),
    Case(
        "apigw-authz-every-route",
        changed(
            BASE,
            "api",
            policy=doc(
                {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*"}
            ),
        ),
        "without a condition",
        "resource-policy",
    ),
    Case("apigw-access-logs", changed(BASE, "stage", accessLogSettings=None), "destinationArn is not set"),
    Case(
        "apigw-access-logs",
        changed(
            BASE,
            "stage",
            accessLogSettings={
                "destinationArn": ACCESS_LOG_GROUP_ARN,
                "format": json.dumps({"requestId": "$context.requestId"}),
            },
        ),
        "lacks sourceIp, status, authorizer",
        "format",
    ),
    Case(
        "apigw-exec-logs-no-datatrace",
        changed(
            BASE,
            "stage-settings",
            settings={"loggingLevel": "INFO", "metricsEnabled": True, "dataTraceEnabled": True},
        ),
        "dataTraceEnabled is true",
    ),
    Case("apigw-waf", without(BASE, "web-acl-association"), "no aws:wafv2/webAclAssociation"),
    Case("apigw-waf", plus(BASE, HTTP_STAGE), "HTTP API stage cannot", "http"),
    Case(
        "apigw-validation-throttling",
        changed(BASE, "ingest-post", requestValidatorId=None),
        "requestValidatorId is not set",
    ),
    Case(
        "apigw-validation-throttling",
        changed(BASE, "stage-settings", settings={"loggingLevel": "ERROR", "metricsEnabled": True}),
        "throttlingRateLimit is not set",
        "throttling",
    ),
    Case(
        "apigw-custom-domain-tls",
        changed(BASE, "domain", securityPolicy="TLS_1_0"),
        "securityPolicy is 'TLS_1_0'",
    ),
    Case(
        "apigw-custom-domain-tls",
        changed(BASE, "api", disableExecuteApiEndpoint=False),
        "keeps the default execute-api",
        "endpoint",
    ),
    Case("apigw-xray", changed(BASE, "stage", xrayTracingEnabled=False), "xrayTracingEnabled is not true"),
    Case(
        "lambda-permission-scoped", changed(BASE, "intake-permission", sourceArn=None), "sourceArn is not set"
    ),
    Case(
        "lambda-permission-scoped",
        changed(BASE, "intake-permission", principal="*"),
        "principal is '*'",
        "star",
    ),
    Case(
        "lambda-permission-scoped",
        plus(
            BASE,
            make(
                "aws:lambda/functionUrl:FunctionUrl",
                "intake-url",
                {"functionName": "acme-dev-intake", "authorizationType": "NONE"},
            ),
        ),
        "authorizationType 'NONE'",
        "url",
    ),
    Case(
        "lambda-supported-runtime", changed(BASE, "intake", runtime="python3.9"), "'python3.9' is deprecated"
    ),
    Case(
        "lambda-env-no-secrets",
        changed(BASE, "intake", environment={"variables": {"CLIENT_SECRET": "s3cr3t-value-1234567890"}}),
        "CLIENT_SECRET hold literal secrets",
    ),
    Case(
        "lambda-env-no-secrets",
        changed(BASE, "intake", environment={"variables": {"UPSTREAM": "AKIAABCDEFGHIJKLMNOP"}}),
        "UPSTREAM hold literal secrets",
        "access-key",
    ),
    Case(
        "lambda-ops-hardening",
        changed(BASE, "intake", reservedConcurrentExecutions=-1),
        "reservedConcurrentExecutions is -1",
    ),
    Case("lambda-optional", changed(BASE, "intake", vpcConfig=None), "vpcConfig is not set"),
    Case("logs-retention-kms", changed(BASE, "access-logs", retentionInDays=30), "retentionInDays is 30"),
    Case("logs-retention-kms", changed(BASE, "access-logs", kmsKeyId=None), "kmsKeyId is not set", "kms"),
    Case(
        "logs-retention-kms",
        without(BASE, "intake-logs"),
        "log group is not created by this stack",
        "function",
    ),
    Case("secret-cmk", changed(BASE, "token-secret", kmsKeyId="alias/aws/secretsmanager"), "AWS managed key"),
    Case("secret-rotation", without(BASE, "token-rotation"), "no aws:secretsmanager/secretRotation"),
    Case(
        "secret-rotation",
        changed(BASE, "token-rotation", rotationRules={"automaticallyAfterDays": 180}),
        "longer than 90 days",
        "long",
    ),
    Case(
        "sftp-server-hardening",
        changed(BASE, "sftp-server", securityPolicyName="TransferSecurityPolicy-2018-11"),
        "older than 2025",
    ),
    Case(
        "sftp-server-hardening",
        changed(BASE, "sftp-server", protocols=["SFTP", "FTP"]),
        "not ['SFTP']",
        "protocols",
    ),
    Case(
        "sftp-user-jail",
        changed(BASE, "sftp-retail-eu", homeDirectoryType="PATH"),
        "homeDirectoryType is not 'LOGICAL'",
    ),
    Case(
        "sftp-user-jail",
        changed(BASE, "sftp-retail-eu", homeDirectoryMappings=[{"entry": "/", "target": f"/{LANDING}"}]),
        "is a bucket root",
        "root",
    ),
    Case("sink-encrypted", changed(BASE, "events", kmsMasterKeyId=None), "the queue is not encrypted"),
    Case(
        "sink-encrypted", changed(BASE, "events", redrivePolicy=None), "redrivePolicy is not set", "redrive"
    ),
    Case(
        "sink-encrypted",
        changed(BASE, "firehose", serverSideEncryption={"enabled": True, "keyType": "AWS_OWNED_CMK"}),
        "keyType is 'AWS_OWNED_CMK'",
        "firehose",
    ),
    Case(
        "token-issuer-m2m",
        changed(BASE, "aep-client", accessTokenValidity=24, tokenValidityUnits={"accessToken": "hours"}),
        "longer than 1 hour",
    ),
    Case(
        "token-issuer-m2m",
        changed(BASE, "aep-client", allowedOauthFlows=["code"]),
        "not ['client_credentials']",
        "flows",
    ),
    Case(
        "token-issuer-m2m",
        changed(BASE, "identity-pool", allowUnauthenticatedIdentities=True),
        "unauthenticated",
        "identity-pool",
    ),
]
