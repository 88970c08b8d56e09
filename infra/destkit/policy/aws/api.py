"""AWS controls A23-A30: API Gateway, WAF and the authorizer in front of the intake."""

from __future__ import annotations

from destkit.plan.model import PlannedResource
from destkit.policy.aws.tokens import (
    CLOUD,
    HTTP_API,
    HTTP_DOMAIN,
    HTTP_ROUTE,
    HTTP_STAGE,
    LOG_GROUP,
    METHOD_SETTINGS,
    REST_API,
    REST_API_POLICY,
    REST_DOMAIN,
    REST_METHOD,
    REST_STAGE,
    WEB_ACL,
    WEB_ACL_ASSOCIATION,
    WEB_ACL_LOGGING,
)
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
from destkit.policy.documents import statements

# --- API Gateway, WAF and the authorizer ---------------------------------------------------


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
