"""StreamingEndpoint under the mock engine: what it registers, for each auth mode and flavour.

Every assertion reads the inputs the program registered (or the outputs it exported), never a
value inside an ``apply``.
"""

from __future__ import annotations

import datetime
import importlib
import inspect
import json
from pathlib import Path
from typing import Any

import pulumi
import pytest

from destkit.aws import defaults, gateway
from destkit.aws.functions import authorizer_policy, intake_policy, lambda_trust_policy, service_trust_policy
from destkit.aws.packaging import LayerMissingError, build_layer_archive
from destkit.aws.streaming import StreamingEndpoint, StreamingEndpointArgs
from destkit.config import AWS_MAX_BODY_BYTES, AuthMode, StreamingConfig
from destkit.plan.engine import PlanResult, run_program
from destkit.plan.mocks import AWS_ACCOUNT_ID

KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-4333-8444-555555555555"
BUCKET_ARN = "arn:aws:s3:::acme-dev-sink"
TENANTS = ("alpha", "beta")
REGION = "us-east-1"


def _plan(tmp_path: Path, **streaming: Any) -> PlanResult:
    options = ("bearer_tokens", "reserved", "managed", "account")
    extra = {key: streaming.pop(key) for key in options if key in streaming}
    settings = StreamingConfig(**streaming)
    if "reserved" in extra:
        settings = settings.model_copy(update={"reserved_concurrency": extra["reserved"]})

    def program() -> None:
        endpoint = StreamingEndpoint(
            "acme-dev",
            StreamingEndpointArgs(
                name_prefix="acme-dev",
                tenants=TENANTS,
                sink_bucket_name="acme-dev-sink",
                sink_bucket_arn=BUCKET_ARN,
                kms_key_arn=KEY_ARN,
                streaming=settings,
                tags={"team": "data", "destkit:destination": "acme", "destkit:environment": "dev"},
                bearer_tokens=extra.get("bearer_tokens", {}),
                kms_key_managed=extra.get("managed", True),
                manage_apigateway_account=extra.get("account", False),
                build_dir=tmp_path,
            ),
        )
        for name, value in endpoint.stack_outputs().items():
            pulumi.export(name, value)

    return run_program(program)


@pytest.fixture(scope="module")
def rest(tmp_path_factory) -> PlanResult:
    """Default REST API with the managed OAuth 2.0 issuer and two tenants."""
    return _plan(tmp_path_factory.mktemp("rest"))


@pytest.fixture(scope="module")
def bearer(tmp_path_factory) -> PlanResult:
    """REST API with bearer auth, the audience API and one supplied token."""
    return _plan(
        tmp_path_factory.mktemp("bearer"), auth="bearer", audience_api=True, bearer_tokens={"alpha": "s" * 40}
    )


@pytest.fixture(scope="module")
def tuned(tmp_path_factory) -> PlanResult:
    """Bearer auth with the optional settings changed: throttling, concurrency, domain, key, account."""
    return _plan(
        tmp_path_factory.mktemp("tuned"),
        auth="bearer",
        throttle_rate=50,
        throttle_burst=80,
        reserved=7,
        account=True,
        managed=False,
        custom_domain=DOMAIN,
    )


@pytest.fixture(scope="module")
def basic(tmp_path_factory) -> PlanResult:
    return _plan(tmp_path_factory.mktemp("basic"), auth="basic")


@pytest.fixture(scope="module")
def external(tmp_path_factory) -> PlanResult:
    """REST API with an external OAuth 2.0 issuer and a built JWT layer."""
    build_dir = tmp_path_factory.mktemp("external")
    _with_layer(build_dir)
    return _plan(build_dir, oauth2=EXTERNAL)


def _policy_document(result: PlanResult, name: str) -> dict[str, Any]:
    return json.loads(result.one("aws:iam/policy:Policy", name).inputs["policy"])


def _execution_arn(result: PlanResult, type_token: str = "aws:apigateway/restApi:RestApi") -> str:
    return result.find(type_token)[0].outputs["executionArn"]


def _last_arn_segment(resource: Any) -> str:
    """Return the resource id that ends an API Gateway ARN (the plan records no ids)."""
    return resource.outputs["arn"].rsplit("/", 1)[-1]


# -- component shape ----------------------------------------------------------------------------


def test_component_type(rest):
    component = rest.one("destkit:aws:StreamingEndpoint")
    assert component.name == "acme-dev"


def test_children_parented(rest):
    component = rest.one("destkit:aws:StreamingEndpoint")
    orphans = [r.name for r in rest.resources if r.custom and r.parent != component.urn]
    assert orphans == []


def test_children_named_from_component(rest):
    names = [r.name for r in rest.resources if r.custom]
    assert all(name.startswith("acme-dev-") for name in names)


def _accepts_tags(type_token: str) -> bool:
    package, module, name = type_token.split(":")
    module_name = "lambda_" if module.split("/")[0] == "lambda" else module.split("/")[0]
    sdk = importlib.import_module(
        f"pulumi_{package}.{module_name}" if package == "aws" else f"pulumi_{package}"
    )
    return "tags" in inspect.signature(getattr(sdk, name)._internal_init).parameters


@pytest.mark.parametrize("flavour", ["rest", "bearer", "http", "tuned"])
def test_taggable_resources_tagged(flavour, request):
    result: PlanResult = request.getfixturevalue(flavour)
    untagged = [
        r.name
        for r in result.resources
        if r.custom
        and _accepts_tags(r.type)
        and r.inputs.get("tags", {}).get("destkit:destination") != "acme"
    ]
    assert untagged == []


# -- REST API, gateway responses and methods ----------------------------------------------------


def test_rest_api_regional(rest):
    api = rest.one("aws:apigateway/restApi:RestApi")
    assert api.inputs["endpointConfiguration"] == {"types": "REGIONAL"}
    assert api.inputs["binaryMediaTypes"] == ["*/*"]


@pytest.mark.parametrize("response_type", ["UNAUTHORIZED", "ACCESS_DENIED"])
def test_auth_responses_challenge(rest, response_type):
    response = next(
        r for r in rest.find("aws:apigateway/response:Response") if r.inputs["responseType"] == response_type
    )
    assert response.inputs["statusCode"] == "401"
    assert response.inputs["responseParameters"] == {
        "gatewayresponse.header.WWW-Authenticate": "'Bearer realm=\"destkit\"'"
    }
    assert "application/json" in response.inputs["responseTemplates"]


def test_transient_responses_retryable(rest):
    statuses = {
        r.inputs["responseType"]: r.inputs["statusCode"]
        for r in rest.find("aws:apigateway/response:Response")
    }
    assert statuses["AUTHORIZER_FAILURE"] == "503"
    assert statuses["INTEGRATION_FAILURE"] == "503"
    assert statuses["THROTTLED"] == "429"
    assert statuses["REQUEST_TOO_LARGE"] == "413"


def test_methods_cognito_scope(rest):
    authorizer = rest.one("aws:apigateway/authorizer:Authorizer")
    for method in rest.find("aws:apigateway/method:Method"):
        assert method.inputs["authorization"] == "COGNITO_USER_POOLS"
        assert method.inputs["authorizerId"] == _last_arn_segment(authorizer)
        assert method.inputs["authorizationScopes"] == ["destkit/ingest"]


def test_cognito_authorizer_pool(rest):
    authorizer = rest.one("aws:apigateway/authorizer:Authorizer")
    pool = rest.one("aws:cognito/userPool:UserPool")
    assert authorizer.inputs["type"] == "COGNITO_USER_POOLS"
    assert authorizer.inputs["providerArns"] == [pool.outputs["arn"]]


def test_every_method_authorized(bearer):
    methods = bearer.find("aws:apigateway/method:Method")
    assert len(methods) == 4
    assert {m.inputs["authorization"] for m in methods} == {"CUSTOM"}
    assert all(m.inputs.get("authorizerId") for m in methods)


def test_audience_routes(bearer):
    keys = {(m.inputs["httpMethod"]) for m in bearer.find("aws:apigateway/method:Method")}
    parts = sorted(r.inputs["pathPart"] for r in bearer.find("aws:apigateway/resource:Resource"))
    assert keys == {"POST", "PUT", "DELETE"}
    assert parts == ["audiences", "profiles", "v1", "{id}"]


def test_integration_proxy_timeout(rest):
    integration = rest.one("aws:apigateway/integration:Integration")
    function = rest.one("aws:lambda/function:Function", "acme-dev-intake")
    assert integration.inputs["type"] == "AWS_PROXY"
    assert integration.inputs["uri"] == function.outputs["invokeArn"]
    assert integration.inputs["timeoutMilliseconds"] == 29_000


# -- stage, logs, WAF ---------------------------------------------------------------------------


def test_stage_tracing_access_logs(rest):
    stage = rest.one("aws:apigateway/stage:Stage")
    access = rest.one("aws:cloudwatch/logGroup:LogGroup", "acme-dev-rest-access-logs")
    assert stage.inputs["xrayTracingEnabled"] is True
    assert stage.inputs["accessLogSettings"]["destinationArn"] == access.outputs["arn"]
    assert "requestId" in json.loads(stage.inputs["accessLogSettings"]["format"])


def test_method_settings_no_data_trace(rest):
    settings = rest.one("aws:apigateway/methodSettings:MethodSettings")
    assert settings.inputs["methodPath"] == "*/*"
    assert settings.inputs["settings"]["dataTraceEnabled"] is False
    assert settings.inputs["settings"]["loggingLevel"] == "INFO"
    assert settings.inputs["settings"]["metricsEnabled"] is True


def test_stage_throttling_configurable(tuned):
    settings = tuned.one("aws:apigateway/methodSettings:MethodSettings").inputs["settings"]
    assert settings["throttlingRateLimit"] == 50
    assert settings["throttlingBurstLimit"] == 80


def test_account_role_opt_in(rest):
    assert rest.find("aws:apigateway/account:Account") == []


def test_account_role_managed(tuned):
    account = tuned.one("aws:apigateway/account:Account")
    role = tuned.one("aws:iam/role:Role", "acme-dev-apigateway-logs-role")
    assert account.inputs["cloudwatchRoleArn"] == role.outputs["arn"]
    assert json.loads(role.inputs["assumeRolePolicy"]) == service_trust_policy(
        "apigateway.amazonaws.com", AWS_ACCOUNT_ID
    )


def test_log_groups_retention_kms(rest):
    groups = rest.find("aws:cloudwatch/logGroup:LogGroup")
    assert len(groups) == 4
    assert {g.inputs["retentionInDays"] for g in groups} == {defaults.LOG_RETENTION_DAYS}
    assert {g.inputs["kmsKeyId"] for g in groups} == {KEY_ARN}


def test_execution_log_group_name(rest):
    api = rest.one("aws:apigateway/restApi:RestApi")
    group = rest.one("aws:cloudwatch/logGroup:LogGroup", "acme-dev-rest-execution-logs")
    api_id = api.outputs["executionArn"].rsplit(":", 1)[-1]
    assert group.inputs["name"] == f"API-Gateway-Execution-Logs_{api_id}/live"


def test_waf_rules(rest):
    acl = rest.one("aws:wafv2/webAcl:WebAcl")
    rules = {rule["name"]: rule for rule in acl.inputs["rules"]}
    managed = rules["known-bad-inputs"]["statement"]["managedRuleGroupStatement"]
    rate = rules["rate-per-address"]["statement"]["rateBasedStatement"]
    assert managed == {"name": "AWSManagedRulesKnownBadInputsRuleSet", "vendorName": "AWS"}
    assert rate["limit"] == StreamingConfig().waf_rate_limit
    assert rules["rate-per-address"]["action"]["block"]["customResponse"]["responseCode"] == 429


def test_waf_no_body_size_rule(rest):
    acl = rest.one("aws:wafv2/webAcl:WebAcl")
    text = json.dumps(acl.inputs["rules"])
    assert "sizeConstraintStatement" not in text
    assert "AWSManagedRulesCommonRuleSet" not in text


def test_waf_on_stage(rest):
    association = rest.one("aws:wafv2/webAclAssociation:WebAclAssociation")
    stage = rest.one("aws:apigateway/stage:Stage")
    assert association.inputs["resourceArn"] == stage.outputs["arn"]


def test_waf_logs_redact_authorization(rest):
    logging = rest.one("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
    group = rest.one("aws:cloudwatch/logGroup:LogGroup", "acme-dev-waf-logs")
    assert logging.inputs["logDestinationConfigs"] == [group.outputs["arn"]]
    assert logging.inputs["redactedFields"] == [{"singleHeader": {"name": "authorization"}}]
    assert group.inputs["name"].startswith("aws-waf-logs-")


# -- Cognito --------------------------------------------------------------------------------------


def test_client_per_tenant(rest):
    clients = {c.name: c.inputs for c in rest.find("aws:cognito/userPoolClient:UserPoolClient")}
    assert sorted(clients) == ["acme-dev-alpha-client", "acme-dev-beta-client"]
    for inputs in clients.values():
        assert inputs["allowedOauthFlows"] == ["client_credentials"]
        assert inputs["allowedOauthScopes"] == ["destkit/ingest"]
        assert inputs["generateSecret"] is True


def test_token_validity_default(rest):
    client = rest.one("aws:cognito/userPoolClient:UserPoolClient", "acme-dev-alpha-client")
    assert client.inputs["accessTokenValidity"] == 24
    assert client.inputs["tokenValidityUnits"] == {"accessToken": "hours"}


def test_token_validity_waiver(rest):
    recorded = {(w.control, w.resource) for w in rest.waivers}
    assert ("token-issuer-m2m", "acme-dev-alpha-client") in recorded
    assert ("token-issuer-m2m", "acme-dev-beta-client") in recorded


def test_token_validity_one_hour_no_waiver(tmp_path):
    result = _plan(tmp_path, oauth2={"token_validity_hours": 1})
    recorded = {(w.control, w.resource) for w in result.waivers}
    assert ("token-issuer-m2m", "acme-dev-alpha-client") not in recorded


def test_pool_threat_protection_waiver(rest):
    assert ("token-issuer-m2m", "acme-dev-issuer") in {(w.control, w.resource) for w in rest.waivers}


def test_pool_no_self_signup(rest):
    pool = rest.one("aws:cognito/userPool:UserPool")
    assert pool.inputs["adminCreateUserConfig"] == {"allowAdminCreateUserOnly": True}


def test_resource_server_scope(rest):
    server = rest.one("aws:cognito/resourceServer:ResourceServer")
    assert server.inputs["identifier"] == "destkit"
    assert [s["scopeName"] for s in server.inputs["scopes"]] == ["ingest"]


def test_oauth_outputs(rest):
    domain = rest.one("aws:cognito/userPoolDomain:UserPoolDomain").inputs["domain"]
    assert rest.outputs["token_url"] == f"https://{domain}.auth.{REGION}.amazoncognito.com/oauth2/token"
    assert rest.outputs["scope"] == "destkit/ingest"
    assert sorted(rest.outputs["client_ids"]) == list(TENANTS)


def test_client_secrets_secret(rest):
    assert "client_secrets" in rest.secret_outputs
    assert "client_ids" not in rest.secret_outputs


def test_intake_tenant_map(rest):
    function = rest.one("aws:lambda/function:Function", "acme-dev-intake")
    mapping = json.loads(function.inputs["environment"]["variables"]["DESTKIT_TENANT_BY_CLIENT_ID"])
    assert sorted(mapping.values()) == list(TENANTS)
    assert sorted(mapping) == sorted(rest.outputs["client_ids"].values())


# -- intake function ------------------------------------------------------------------------------


def test_intake_runtime_arm64(rest):
    function = rest.one("aws:lambda/function:Function", "acme-dev-intake")
    assert function.inputs["runtime"] == defaults.LAMBDA_RUNTIME
    assert function.inputs["architectures"] == ["arm64"]
    assert function.inputs["handler"] == "destkit.runtime.aws.intake.handler"


def test_intake_hardening(rest):
    function = rest.one("aws:lambda/function:Function", "acme-dev-intake")
    assert function.inputs["reservedConcurrentExecutions"] == 100
    assert function.inputs["tracingConfig"] == {"mode": "Active"}
    assert function.inputs["kmsKeyArn"] == KEY_ARN
    assert function.inputs["timeout"] == 29


def test_intake_environment(rest):
    variables = rest.one("aws:lambda/function:Function", "acme-dev-intake").inputs["environment"]["variables"]
    assert variables["DESTKIT_SINK_BUCKET"] == "acme-dev-sink"
    assert variables["DESTKIT_MAX_BODY_BYTES"] == str(AWS_MAX_BODY_BYTES)
    assert variables["DESTKIT_PAYLOAD_MODE"] == "validate"
    assert variables["DESTKIT_AUDIENCE_API"] == "false"
    assert variables["DESTKIT_MAX_DECOMPRESSED_BYTES"] == str(64 * 1024 * 1024)


def test_reserved_concurrency_configurable(tuned):
    function = tuned.one("aws:lambda/function:Function", "acme-dev-intake")
    assert function.inputs["reservedConcurrentExecutions"] == 7


def test_authorizer_concurrency_matches_intake(tuned):
    function = tuned.one("aws:lambda/function:Function", "acme-dev-authorizer")
    assert function.inputs["reservedConcurrentExecutions"] == 7


def test_authorizer_passes_without_waivers(bearer):
    from destkit.policy import evaluate

    results = evaluate("aws", bearer.resources, bearer.waivers, datetime.date(2026, 1, 1))
    for control in ("lambda-permission-scoped", "lambda-env-no-secrets"):
        statuses = {item.status for item in results if item.control == control}
        assert statuses == {"passed"}, (control, statuses)


def test_reserved_concurrency_off_waived(tmp_path):
    result = _plan(tmp_path, reserved=None)
    function = result.one("aws:lambda/function:Function")
    assert function.inputs["reservedConcurrentExecutions"] == -1
    assert ("lambda-ops-hardening", "acme-dev-intake") in {(w.control, w.resource) for w in result.waivers}


def test_intake_policy_exact(rest):
    group = rest.one("aws:cloudwatch/logGroup:LogGroup", "acme-dev-intake-logs")
    expected = intake_policy(
        log_group_arn=f"arn:aws:logs:{REGION}:{AWS_ACCOUNT_ID}:log-group:{group.inputs['name']}",
        bucket_arn=BUCKET_ARN,
        tenants=TENANTS,
        kms_key_arn=KEY_ARN,
        region=REGION,
        audience_api=False,
    )
    assert _policy_document(rest, "acme-dev-intake-policy") == expected


def test_intake_policy_prefixes(rest):
    statements = {s["Sid"]: s for s in _policy_document(rest, "acme-dev-intake-policy")["Statement"]}
    assert statements["StorePayloads"]["Action"] == ["s3:PutObject"]
    assert statements["StorePayloads"]["Resource"] == [
        f"{BUCKET_ARN}/alpha/payloads/*",
        f"{BUCKET_ARN}/beta/payloads/*",
    ]
    assert "ManageAudiences" not in statements


def test_intake_kms_via_sink_only(rest):
    statements = {s["Sid"]: s for s in _policy_document(rest, "acme-dev-intake-policy")["Statement"]}
    condition = statements["EncryptThroughS3"]["Condition"]
    assert statements["EncryptThroughS3"]["Action"] == ["kms:GenerateDataKey"]
    assert condition["StringEquals"] == {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}
    assert condition["StringLike"] == {"kms:EncryptionContext:aws:s3:arn": [BUCKET_ARN, f"{BUCKET_ARN}/*"]}


def test_intake_log_arn_matches_group(rest):
    group = rest.one("aws:cloudwatch/logGroup:LogGroup", "acme-dev-intake-logs")
    statements = {s["Sid"]: s for s in _policy_document(rest, "acme-dev-intake-policy")["Statement"]}
    assert statements["WriteOwnLogGroup"]["Resource"] == f"{group.outputs['arn']}:*"


def test_intake_trust_exact(rest):
    role = rest.one("aws:iam/role:Role", "acme-dev-intake-role")
    assert json.loads(role.inputs["assumeRolePolicy"]) == lambda_trust_policy(AWS_ACCOUNT_ID)


def test_kit_key_no_grants(rest):
    assert rest.find("aws:kms/grant:Grant") == []


def test_existing_key_grants(tuned):
    grants = {g.name: g.inputs for g in tuned.find("aws:kms/grant:Grant")}
    roles = {r.name: r.outputs["arn"] for r in tuned.find("aws:iam/role:Role")}
    assert sorted(grants) == ["acme-dev-authorizer-grant", "acme-dev-intake-grant"]
    assert grants["acme-dev-intake-grant"]["granteePrincipal"] == roles["acme-dev-intake-role"]
    assert grants["acme-dev-intake-grant"]["keyId"] == KEY_ARN


def test_policy_attached_not_inline(rest):
    role = rest.one("aws:iam/role:Role", "acme-dev-intake-role")
    attachment = rest.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    policy = rest.one("aws:iam/policy:Policy", "acme-dev-intake-policy")
    assert "inlinePolicies" not in role.inputs
    assert attachment.inputs["policyArn"] == policy.outputs["arn"]


def test_intake_permission_scoped(rest):
    permission = rest.one("aws:lambda/permission:Permission")
    assert permission.inputs["principal"] == "apigateway.amazonaws.com"
    assert permission.inputs["sourceArn"] == f"{_execution_arn(rest)}/live/POST/v1/profiles"


def test_max_body_exported(rest):
    assert rest.outputs["max_body_bytes"] == AWS_MAX_BODY_BYTES


def test_url_exported(rest):
    stage = rest.one("aws:apigateway/stage:Stage")
    assert rest.outputs["url"] == f"{stage.outputs['invokeUrl']}/v1/profiles"


def test_deployment_triggers_hash(rest):
    deployment = rest.one("aws:apigateway/deployment:Deployment")
    assert len(deployment.inputs["triggers"]["configuration"]) == 64


# -- bearer and Basic -----------------------------------------------------------------------------


def test_lambda_authorizer_token(bearer):
    authorizer = bearer.one("aws:apigateway/authorizer:Authorizer")
    assert authorizer.inputs["type"] == "TOKEN"
    assert authorizer.inputs["identitySource"] == "method.request.header.Authorization"
    assert authorizer.inputs["authorizerResultTtlInSeconds"] == gateway.AUTHORIZER_CACHE_SECONDS


def test_authorizer_permission_separate(bearer):
    authorizer = bearer.one("aws:apigateway/authorizer:Authorizer")
    function = bearer.one("aws:lambda/function:Function", "acme-dev-authorizer")
    permission = bearer.one("aws:lambda/permission:Permission", "acme-dev-rest-invoke-authorizer")
    assert permission.inputs["function"] == function.outputs["arn"]
    expected = f"{_execution_arn(bearer)}/authorizers/{_last_arn_segment(authorizer)}"
    assert permission.inputs["sourceArn"] == expected


def test_audience_permissions_scoped(bearer):
    permissions = bearer.find("aws:lambda/permission:Permission")
    arns = sorted(p.inputs["sourceArn"] for p in permissions if "invoke-authorizer" not in p.name)
    base = _execution_arn(bearer)
    assert arns == sorted(
        [
            f"{base}/live/POST/v1/profiles",
            f"{base}/live/POST/v1/audiences",
            f"{base}/live/PUT/v1/audiences/*",
            f"{base}/live/DELETE/v1/audiences/*",
        ]
    )


def test_bearer_secrets_cmk(bearer):
    secrets = bearer.find("aws:secretsmanager/secret:Secret")
    assert len(secrets) == 2
    assert {s.inputs["kmsKeyId"] for s in secrets} == {KEY_ARN}


def test_bearer_secret_version_secret(bearer):
    versions = bearer.find("aws:secretsmanager/secretVersion:SecretVersion")
    assert all("secretString" in v.secret_paths for v in versions)


def test_supplied_token_used(bearer):
    passwords = [r.name for r in bearer.find("random:index/randomPassword:RandomPassword")]
    version = bearer.one("aws:secretsmanager/secretVersion:SecretVersion", "acme-dev-alpha-bearer-version")
    assert passwords == ["acme-dev-beta-bearer"]
    assert version.inputs["secretString"] == "s" * 40


def test_bearer_rotation_waiver(bearer):
    recorded = {(w.control, w.resource) for w in bearer.waivers}
    assert ("secret-rotation", "acme-dev-alpha-bearer") in recorded
    assert ("secret-rotation", "acme-dev-beta-bearer") in recorded


def test_tokens_secret_output(bearer):
    assert "tokens" in bearer.secret_outputs
    assert bearer.outputs["tokens"]["alpha"] == "s" * 40


def test_authorizer_env_no_secret(bearer):
    variables = bearer.one("aws:lambda/function:Function", "acme-dev-authorizer").inputs["environment"][
        "variables"
    ]
    arns = json.loads(variables["DESTKIT_CREDENTIAL_SECRET_ARNS"])
    assert variables["DESTKIT_AUTH_MODE"] == "bearer"
    assert sorted(arns) == list(TENANTS)
    assert "s" * 40 not in json.dumps(variables)


def test_authorizer_policy_exact(bearer):
    secrets = {s.name: s.outputs["arn"] for s in bearer.find("aws:secretsmanager/secret:Secret")}
    group = bearer.one("aws:cloudwatch/logGroup:LogGroup", "acme-dev-authorizer-logs")
    expected = authorizer_policy(
        log_group_arn=group.outputs["arn"],
        secret_arns=list(secrets.values()),
        kms_key_arn=KEY_ARN,
        region=REGION,
    )
    assert _policy_document(bearer, "acme-dev-authorizer-policy") == expected


def test_audience_policy_statements(bearer):
    statements = {s["Sid"]: s for s in _policy_document(bearer, "acme-dev-intake-policy")["Statement"]}
    assert statements["ManageAudiences"]["Resource"] == [
        f"{BUCKET_ARN}/alpha/audiences/*",
        f"{BUCKET_ARN}/beta/audiences/*",
    ]
    assert statements["ListAudiences"]["Condition"] == {
        "StringLike": {"s3:prefix": ["alpha/audiences/*", "beta/audiences/*"]}
    }


def test_audience_url_exported(bearer):
    assert bearer.outputs["audience_api_url"].endswith("/live/v1/audiences")


def test_basic_challenge(basic):
    response = next(
        r
        for r in basic.find("aws:apigateway/response:Response")
        if r.inputs["responseType"] == "UNAUTHORIZED"
    )
    header = response.inputs["responseParameters"]["gatewayresponse.header.WWW-Authenticate"]
    assert header == '\'Basic realm="destkit", charset="UTF-8"\''


def test_basic_outputs(basic):
    assert basic.outputs["usernames"] == {"alpha": "aep-alpha", "beta": "aep-beta"}
    assert "passwords" in basic.secret_outputs
    assert "usernames" not in basic.secret_outputs


def test_basic_secret_json(basic):
    version = basic.one("aws:secretsmanager/secretVersion:SecretVersion", "acme-dev-alpha-basic-version")
    assert json.loads(version.inputs["secretString"]) == {
        "username": "aep-alpha",
        "password": basic.outputs["passwords"]["alpha"],
    }


def test_outputs_only_for_mode(bearer):
    assert set(bearer.outputs) == {"url", "auth_type", "max_body_bytes", "tokens", "audience_api_url"}


# -- external issuer ------------------------------------------------------------------------------

EXTERNAL = {
    "issuer": "external",
    "external": {
        "issuer_url": "https://idp.example.test/",
        "jwks_url": "https://idp.example.test/jwks.json",
        "token_url": "https://idp.example.test/token",
        "audience": "aep-intake",
        "scope": "intake.write",
        "tenant_by_client_id": {"client-a": "alpha", "client-b": "beta"},
    },
}


def _with_layer(tmp_path: Path) -> None:
    wheel = tmp_path / "fakejwt-1.0-py3-none-any.whl"
    import zipfile

    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("fakejwt/__init__.py", "")
    build_layer_archive([wheel], tmp_path)


def test_external_layer_attached(external):
    layer = external.one("aws:lambda/layerVersion:LayerVersion")
    function = external.one("aws:lambda/function:Function", "acme-dev-authorizer")
    assert layer.inputs["compatibleArchitectures"] == ["arm64"]
    assert function.inputs["layers"] == [layer.outputs["arn"]]


def test_external_authorizer_env(external):
    variables = external.one("aws:lambda/function:Function", "acme-dev-authorizer").inputs["environment"][
        "variables"
    ]
    assert variables["DESTKIT_ISSUER"] == "https://idp.example.test/"
    assert variables["DESTKIT_AUDIENCE"] == "aep-intake"
    assert variables["DESTKIT_REQUIRED_SCOPE"] == "intake.write"
    assert json.loads(variables["DESTKIT_TENANT_BY_CLIENT_ID"]) == {"client-a": "alpha", "client-b": "beta"}


def test_external_outputs(external):
    assert external.outputs["token_url"] == "https://idp.example.test/token"
    assert external.outputs["scope"] == "intake.write"
    assert "client_secrets" not in external.outputs


def test_external_layer_missing(tmp_path):
    with pytest.raises(LayerMissingError, match="destkit aws build-layer"):
        _plan(tmp_path, oauth2=EXTERNAL)


def test_bearer_needs_no_layer(bearer):
    assert bearer.find("aws:lambda/layerVersion:LayerVersion") == []


# -- custom domain --------------------------------------------------------------------------------

DOMAIN = {"domain_name": "intake.example.com", "hosted_zone_id": "Z0123456789ABC"}


def test_domain_tls12_regional(tuned):
    domain = tuned.one("aws:apigateway/domainName:DomainName")
    certificate = tuned.one("aws:acm/certificate:Certificate")
    assert domain.inputs["securityPolicy"] == "TLS_1_2"
    assert domain.inputs["endpointConfiguration"] == {"types": "REGIONAL"}
    assert domain.inputs["regionalCertificateArn"] == certificate.outputs["arn"]


def test_domain_disables_default_endpoint(tuned):
    assert tuned.one("aws:apigateway/restApi:RestApi").inputs["disableExecuteApiEndpoint"] is True
    assert tuned.outputs["url"] == "https://intake.example.com/v1/profiles"


def test_domain_existing_certificate(tmp_path):
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-4333-8444-555555555555"
    result = _plan(tmp_path, custom_domain={"domain_name": "intake.example.com", "certificate_arn": arn})
    assert result.find("aws:acm/certificate:Certificate") == []
    assert result.one("aws:apigateway/domainName:DomainName").inputs["regionalCertificateArn"] == arn


# -- HTTP API flavour -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def http(tmp_path_factory) -> PlanResult:
    return _plan(tmp_path_factory.mktemp("http"), auth="bearer", api_flavor="http")


def test_http_waivers(http):
    recorded = {(w.control, w.resource) for w in http.waivers}
    assert ("apigw-waf", "acme-dev-http-stage") in recorded
    assert ("apigw-xray", "acme-dev-http-stage") in recorded
    assert ("apigw-exec-logs-no-datatrace", "acme-dev-http-stage") in recorded


def test_http_no_waf(http):
    assert http.find("aws:wafv2/webAcl:WebAcl") == []


def test_http_routes_authorized(http):
    routes = http.find("aws:apigatewayv2/route:Route")
    authorizer = http.one("aws:apigatewayv2/authorizer:Authorizer")
    assert [r.inputs["routeKey"] for r in routes] == ["POST /v1/profiles"]
    assert {r.inputs["authorizationType"] for r in routes} == {"CUSTOM"}
    assert authorizer.inputs["enableSimpleResponses"] is True


def test_http_stage_throttled(http):
    stage = http.one("aws:apigatewayv2/stage:Stage")
    assert stage.inputs["defaultRouteSettings"]["throttlingRateLimit"] == StreamingConfig().throttle_rate
    assert "destinationArn" in stage.inputs["accessLogSettings"]


def test_http_domain_tls12(tmp_path):
    result = _plan(tmp_path, auth="bearer", api_flavor="http", custom_domain=DOMAIN)
    domain = result.one("aws:apigatewayv2/domainName:DomainName")
    alias = result.one("aws:route53/record:Record", "acme-dev-domain-alias")
    assert domain.inputs["domainNameConfiguration"]["securityPolicy"] == "TLS_1_2"
    assert domain.inputs["domainNameConfiguration"]["endpointType"] == "REGIONAL"
    assert alias.inputs["aliases"][0]["name"].endswith(".amazonaws.com")
    assert result.one("aws:apigatewayv2/api:Api").inputs["disableExecuteApiEndpoint"] is True


def test_http_managed_jwt(tmp_path):
    result = _plan(tmp_path, api_flavor="http")
    authorizer = result.one("aws:apigatewayv2/authorizer:Authorizer")
    pool = result.one("aws:cognito/userPool:UserPool")
    assert authorizer.inputs["authorizerType"] == "JWT"
    assert authorizer.inputs["jwtConfiguration"]["issuer"] == f"https://{pool.outputs['endpoint']}"
    assert sorted(authorizer.inputs["jwtConfiguration"]["audiences"]) == sorted(
        result.outputs["client_ids"].values()
    )


def test_http_external_no_layer(tmp_path):
    result = _plan(tmp_path, api_flavor="http", oauth2=EXTERNAL)
    assert result.find("aws:lambda/layerVersion:LayerVersion") == []
    assert result.one("aws:apigatewayv2/authorizer:Authorizer").inputs["authorizerType"] == "JWT"


def test_rest_has_no_http_waivers(rest):
    assert "apigw-waf" not in {w.control for w in rest.waivers}


def test_auth_modes_cover_enum():
    assert set(gateway.IDENTITY_PATTERNS) == set(AuthMode)
