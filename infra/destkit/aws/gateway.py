"""API Gateway pieces of the streaming endpoint: REST API (default) and HTTP API (opt-in).

The pure functions at the top (routes, source ARNs, gateway responses, access-log format,
deployment hash) decide what the gateway looks like. Tests compare them with the registered
resources.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from destkit.aws.functions import create_log_group
from destkit.config import AuthMode
from destkit.runtime import routes

STAGE_NAME = "live"
HTTP_STAGE_NAME = "$default"
# REST APIs stop waiting for an integration after 29 seconds unless AWS raises the quota; HTTP
# APIs allow 30. The intake function's timeout stays at or below this.
INTEGRATION_TIMEOUT_MS = 29_000
# Authorizer results are cached for this long per Authorization header value.
AUTHORIZER_CACHE_SECONDS = 300
REALM = "destkit"
RETRY_AFTER_SECONDS = "30"

# Characters of a bearer token (RFC 6750 section 2.1, b64token).
BEARER_TOKEN_PATTERN = r"[-0-9A-Za-z._~+/]+=*"  # noqa: S105 - a character class, not a password

# Shapes the gateway checks before it invokes the Lambda authorizer; anything else is a 401
# without an invocation.
IDENTITY_PATTERNS = {
    AuthMode.BEARER: f"^Bearer {BEARER_TOKEN_PATTERN}$",
    AuthMode.BASIC: r"^Basic [A-Za-z0-9+/]+=*$",
    AuthMode.OAUTH2: f"^Bearer {BEARER_TOKEN_PATTERN}$",
}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    """Path template from ``destkit.runtime.routes``, for example ``/v1/audiences/{id}``."""

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def logical_suffix(self) -> str:
        """Name fragment for the route's resources, for example ``put-v1-audiences-id``."""
        return re.sub(r"[^a-z0-9]+", "-", f"{self.method} {self.path}".lower()).strip("-")


def endpoint_routes(audience_api: bool) -> list[Route]:
    """Return the intake route and, with the audience API, its three routes."""
    pairs = list(routes.INTAKE_ROUTES) + (list(routes.AUDIENCE_ROUTES) if audience_api else [])
    return [Route(method, path) for method, path in pairs]


def resource_paths(route_list: Sequence[Route]) -> list[str]:
    """Return every REST resource path the routes need, parents before children."""
    paths: set[str] = set()
    for route in route_list:
        parts = route.path.strip("/").split("/")
        for depth in range(1, len(parts) + 1):
            paths.add("/" + "/".join(parts[:depth]))
    return sorted(paths, key=lambda path: (path.count("/"), path))


def source_arn(execution_arn: str, stage: str, route: Route) -> str:
    """Build the ARN API Gateway invokes a route's function from; path parameters become ``*``."""
    path = re.sub(r"\{[^}]+\}", "*", route.path)
    return f"{execution_arn}/{stage}/{route.method}{path}"


def authorizer_source_arn(execution_arn: str, authorizer_id: str) -> str:
    return f"{execution_arn}/authorizers/{authorizer_id}"


def www_authenticate(mode: AuthMode) -> str:
    """Return the ``WWW-Authenticate`` challenge of a 401 (RFC 7617 for Basic, RFC 6750 otherwise)."""
    if mode is AuthMode.BASIC:
        return f'Basic realm="{REALM}", charset="UTF-8"'
    return f'Bearer realm="{REALM}"'


def _error_template(error: str) -> dict[str, str]:
    # $context.error.messageString is API Gateway's message already quoted as a JSON string.
    return {"application/json": f'{{"error": "{error}", "message": $context.error.messageString}}'}


def gateway_responses(mode: AuthMode) -> dict[str, dict[str, Any]]:
    """Return the gateway responses by type: status code, static headers and JSON body template.

    Authentication failures are 401 with a challenge, because OAuth clients fetch a new token on
    401 and AEP does not retry a 401. Failures that may pass on a retry (authorizer or Lambda
    unavailable, throttling) become 503 or 429, which AEP retries under both aggregation
    policies. AEP does not retry a 500 under configurable aggregation.
    """
    challenge = {"WWW-Authenticate": www_authenticate(mode)}
    retry = {"Retry-After": RETRY_AFTER_SECONDS}
    return {
        "UNAUTHORIZED": {
            "status_code": "401",
            "headers": challenge,
            "templates": _error_template("unauthorized"),
        },
        # A Deny from the authorizer is a credential problem too, not a reason for AEP to retry.
        "ACCESS_DENIED": {
            "status_code": "401",
            "headers": challenge,
            "templates": _error_template("unauthorized"),
        },
        "AUTHORIZER_FAILURE": {
            "status_code": "503",
            "headers": retry,
            "templates": _error_template("authorizer_unavailable"),
        },
        # Lambda throttling (reserved concurrency reached) and invoke errors arrive here.
        # NOTE: a body over Lambda's 6 MB invoke limit is expected here too, so AEP would retry a
        # batch that cannot succeed. This path has not been observed on a deployment.
        "INTEGRATION_FAILURE": {
            "status_code": "503",
            "headers": retry,
            "templates": _error_template("intake_unavailable"),
        },
        "THROTTLED": {"status_code": "429", "headers": retry, "templates": _error_template("throttled")},
        "REQUEST_TOO_LARGE": {
            "status_code": "413",
            "headers": {},
            "templates": _error_template("payload_too_large"),
        },
    }


def access_log_format() -> str:
    """Return the JSON access-log line: request, caller, tenant, status, latency and errors."""
    fields = {
        "requestId": "$context.requestId",
        "requestTime": "$context.requestTimeEpoch",
        "sourceIp": "$context.identity.sourceIp",
        "httpMethod": "$context.httpMethod",
        "path": "$context.path",
        "status": "$context.status",
        "responseLength": "$context.responseLength",
        "responseLatency": "$context.responseLatency",
        "integrationLatency": "$context.integrationLatency",
        "tenant": "$context.authorizer.tenant",
        "errorType": "$context.error.responseType",
        "errorMessage": "$context.error.message",
        "wafStatus": "$context.waf.status",
    }
    return json.dumps(fields, separators=(",", ":"))


def http_access_log_format() -> str:
    """Return the HTTP API's JSON access-log line (its context variables differ from REST's)."""
    fields = {
        "requestId": "$context.requestId",
        "requestTime": "$context.requestTimeEpoch",
        "sourceIp": "$context.identity.sourceIp",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "responseLength": "$context.responseLength",
        "integrationLatency": "$context.integrationLatency",
        "tenant": "$context.authorizer.tenant",
        "authorizerError": "$context.authorizer.error",
        "errorMessage": "$context.error.message",
    }
    return json.dumps(fields, separators=(",", ":"))


def deployment_hash(spec: Mapping[str, Any]) -> str:
    """Hash what a REST deployment snapshots, so any change to it triggers a new deployment."""
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class AuthorizerSpec:
    """Authorizer settings shared by every method or route."""

    kind: str
    """``cognito`` (managed issuer), ``lambda`` (TOKEN authorizer) or ``jwt`` (HTTP API only)."""
    mode: AuthMode
    scopes: tuple[str, ...] = ()
    provider_arn: pulumi.Input[str] | None = None
    function_invoke_arn: pulumi.Input[str] | None = None
    function_arn: pulumi.Input[str] | None = None
    issuer_url: pulumi.Input[str] | None = None
    audiences: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None


@dataclass
class RestGateway:
    api: aws.apigateway.RestApi
    stage: aws.apigateway.Stage
    authorizer: aws.apigateway.Authorizer
    methods: dict[str, aws.apigateway.Method] = field(default_factory=dict)
    permissions: list[aws.lambda_.Permission] = field(default_factory=list)
    access_log_group: aws.cloudwatch.LogGroup | None = None
    execution_log_group: aws.cloudwatch.LogGroup | None = None


@dataclass(frozen=True)
class RestGatewaySettings:
    name_prefix: str
    routes: tuple[Route, ...]
    throttle_rate: int
    throttle_burst: int
    disable_default_endpoint: bool
    kms_key_arn: pulumi.Input[str]
    log_retention_days: int
    tags: Mapping[str, str]


def create_rest_gateway(
    name: str,
    *,
    settings: RestGatewaySettings,
    intake: aws.lambda_.Function,
    auth: AuthorizerSpec,
    parent: pulumi.Resource,
    stage_depends_on: Sequence[pulumi.Resource] = (),
) -> RestGateway:
    """Create the regional REST API, its routes, authorizer, gateway responses, stage and logs."""
    child = pulumi.ResourceOptions(parent=parent)
    api = aws.apigateway.RestApi(
        f"{name}-api",
        name=f"{settings.name_prefix}-intake",
        description="AEP streaming intake",
        endpoint_configuration={"types": "REGIONAL"},
        # Every body reaches the function base64-encoded, so gzip bodies arrive intact.
        binary_media_types=["*/*"],
        disable_execute_api_endpoint=settings.disable_default_endpoint,
        tags=dict(settings.tags),
        opts=child,
    )

    authorizer = _create_rest_authorizer(name, api, auth, child)

    resources: dict[str, pulumi.Input[str]] = {"/": api.root_resource_id}
    for path in resource_paths(settings.routes):
        parent_path, _, part = path.rpartition("/")
        resource = aws.apigateway.Resource(
            f"{name}-resource-{re.sub(r'[^a-z0-9]+', '-', path.lower()).strip('-')}",
            rest_api=api.id,
            parent_id=resources[parent_path or "/"],
            path_part=part,
            opts=child,
        )
        resources[path] = resource.id

    methods: dict[str, aws.apigateway.Method] = {}
    snapshot: list[pulumi.Resource] = []
    for route in settings.routes:
        method = aws.apigateway.Method(
            f"{name}-method-{route.logical_suffix}",
            rest_api=api.id,
            resource_id=resources[route.path],
            http_method=route.method,
            authorization="COGNITO_USER_POOLS" if auth.kind == "cognito" else "CUSTOM",
            authorizer_id=authorizer.id,
            authorization_scopes=list(auth.scopes) or None,
            request_parameters=_path_parameters(route),
            opts=child,
        )
        integration = aws.apigateway.Integration(
            f"{name}-integration-{route.logical_suffix}",
            rest_api=api.id,
            resource_id=resources[route.path],
            http_method=method.http_method,
            type="AWS_PROXY",
            integration_http_method="POST",
            uri=intake.invoke_arn,
            timeout_milliseconds=INTEGRATION_TIMEOUT_MS,
            opts=child,
        )
        methods[route.key] = method
        snapshot += [method, integration]

    responses = gateway_responses(auth.mode)
    for response_type, response in responses.items():
        snapshot.append(
            aws.apigateway.Response(
                f"{name}-response-{response_type.lower().replace('_', '-')}",
                rest_api_id=api.id,
                response_type=response_type,
                status_code=response["status_code"],
                # Static header values are single-quoted in API Gateway mappings.
                response_parameters={
                    f"gatewayresponse.header.{header}": f"'{value}'"
                    for header, value in response["headers"].items()
                }
                or None,
                response_templates=response["templates"],
                opts=child,
            )
        )

    spec = {
        "routes": [route.key for route in settings.routes],
        "authorizer": auth.kind,
        "scopes": list(auth.scopes),
        "responses": responses,
        "binary_media_types": ["*/*"],
    }
    deployment = aws.apigateway.Deployment(
        f"{name}-deployment",
        rest_api=api.id,
        description="Snapshot of the intake routes",
        triggers={"configuration": deployment_hash(spec)},
        opts=pulumi.ResourceOptions(parent=parent, depends_on=snapshot),
    )
    # NOTE: a route removed from the config stays in the new deployment until the next one,
    # because Pulumi deletes the old method only after it has created the new deployment.

    access_log_group = _create_access_log_group(name, settings, parent)
    # API Gateway writes execution logs to this fixed name. Created here, the group gets retention
    # and encryption; the service would create it unencrypted and never expiring.
    execution_log_group = create_log_group(
        f"{name}-execution-logs",
        log_group_name=pulumi.Output.concat("API-Gateway-Execution-Logs_", api.id, "/", STAGE_NAME),
        retention_days=settings.log_retention_days,
        kms_key_arn=settings.kms_key_arn,
        tags=settings.tags,
        parent=parent,
    )
    stage = aws.apigateway.Stage(
        f"{name}-stage",
        rest_api=api.id,
        deployment=deployment.id,
        stage_name=STAGE_NAME,
        xray_tracing_enabled=True,
        access_log_settings={"destination_arn": access_log_group.arn, "format": access_log_format()},
        tags=dict(settings.tags),
        opts=pulumi.ResourceOptions(
            parent=parent,
            depends_on=[execution_log_group, access_log_group, *stage_depends_on],
        ),
    )
    gateway = RestGateway(
        api=api,
        stage=stage,
        authorizer=authorizer,
        methods=methods,
        access_log_group=access_log_group,
        execution_log_group=execution_log_group,
    )
    aws.apigateway.MethodSettings(
        f"{name}-method-settings",
        rest_api=api.id,
        stage_name=stage.stage_name,
        method_path="*/*",
        settings={
            "metrics_enabled": True,
            "logging_level": "INFO",
            # Data trace would write request bodies (profile data) to the execution log.
            "data_trace_enabled": False,
            "throttling_rate_limit": settings.throttle_rate,
            "throttling_burst_limit": settings.throttle_burst,
            "caching_enabled": False,
        },
        opts=child,
    )

    gateway.permissions = _create_invoke_permissions(
        name,
        intake=intake,
        execution_arn=api.execution_arn,
        stage=STAGE_NAME,
        route_list=settings.routes,
        auth=auth,
        authorizer_id=authorizer.id,
        parent=parent,
    )
    return gateway


def _create_invoke_permissions(
    name: str,
    *,
    intake: aws.lambda_.Function,
    execution_arn: pulumi.Output[str],
    stage: str,
    route_list: Sequence[Route],
    auth: AuthorizerSpec,
    authorizer_id: pulumi.Output[str],
    parent: pulumi.Resource,
) -> list[aws.lambda_.Permission]:
    """Let API Gateway invoke the intake for each route and the authorizer function, and nothing else."""
    child = pulumi.ResourceOptions(parent=parent)
    permissions = [
        aws.lambda_.Permission(
            f"{name}-invoke-{route.logical_suffix}",
            action="lambda:InvokeFunction",
            function=intake.name,
            principal="apigateway.amazonaws.com",
            source_arn=execution_arn.apply(functools.partial(source_arn, stage=stage, route=route)),
            opts=child,
        )
        for route in route_list
    ]
    if auth.kind == "lambda":
        # API Gateway invokes a Lambda authorizer with the source ARN <execution ARN>/authorizers/<id>,
        # the narrowest ARN it offers: a stage, method and path ARN would make every call fail.
        permissions.append(
            aws.lambda_.Permission(
                f"{name}-invoke-authorizer",
                action="lambda:InvokeFunction",
                function=auth.function_arn,
                principal="apigateway.amazonaws.com",
                source_arn=pulumi.Output.all(execution_arn, authorizer_id).apply(
                    lambda values: authorizer_source_arn(values[0], values[1])
                ),
                opts=child,
            )
        )
    return permissions


def _create_access_log_group(
    name: str, settings: RestGatewaySettings, parent: pulumi.Resource
) -> aws.cloudwatch.LogGroup:
    return create_log_group(
        f"{name}-access-logs",
        log_group_name=f"/destkit/{settings.name_prefix}/api-access",
        retention_days=settings.log_retention_days,
        kms_key_arn=settings.kms_key_arn,
        tags=settings.tags,
        parent=parent,
    )


def _path_parameters(route: Route) -> dict[str, bool] | None:
    names = re.findall(r"\{([^}]+)\}", route.path)
    return {f"method.request.path.{name}": True for name in names} or None


def _create_rest_authorizer(
    name: str, api: aws.apigateway.RestApi, auth: AuthorizerSpec, child: pulumi.ResourceOptions
) -> aws.apigateway.Authorizer:
    if auth.kind == "cognito":
        return aws.apigateway.Authorizer(
            f"{name}-authorizer",
            name=f"{name}-cognito",
            rest_api=api.id,
            type="COGNITO_USER_POOLS",
            provider_arns=[auth.provider_arn],  # type: ignore[list-item]
            identity_source="method.request.header.Authorization",
            authorizer_result_ttl_in_seconds=AUTHORIZER_CACHE_SECONDS,
            opts=child,
        )
    if auth.kind != "lambda":
        raise ValueError(f"REST APIs take a cognito or lambda authorizer, not {auth.kind!r}")
    return aws.apigateway.Authorizer(
        f"{name}-authorizer",
        name=f"{name}-lambda",
        rest_api=api.id,
        type="TOKEN",
        authorizer_uri=auth.function_invoke_arn,
        identity_source="method.request.header.Authorization",
        identity_validation_expression=IDENTITY_PATTERNS[auth.mode],
        authorizer_result_ttl_in_seconds=AUTHORIZER_CACHE_SECONDS,
        opts=child,
    )


@dataclass
class HttpGateway:
    api: aws.apigatewayv2.Api
    stage: aws.apigatewayv2.Stage
    authorizer: aws.apigatewayv2.Authorizer
    routes: dict[str, aws.apigatewayv2.Route] = field(default_factory=dict)
    permissions: list[aws.lambda_.Permission] = field(default_factory=list)
    access_log_group: aws.cloudwatch.LogGroup | None = None


def create_http_gateway(
    name: str,
    *,
    settings: RestGatewaySettings,
    intake: aws.lambda_.Function,
    auth: AuthorizerSpec,
    parent: pulumi.Resource,
) -> HttpGateway:
    """Create the HTTP API flavour: JWT or Lambda authorizer, proxy routes, throttled stage."""
    child = pulumi.ResourceOptions(parent=parent)
    api = aws.apigatewayv2.Api(
        f"{name}-api",
        name=f"{settings.name_prefix}-intake",
        description="AEP streaming intake (HTTP API)",
        protocol_type="HTTP",
        disable_execute_api_endpoint=settings.disable_default_endpoint,
        tags=dict(settings.tags),
        opts=child,
    )

    authorizer = _create_http_authorizer(name, api, auth, child)

    # NOTE: HTTP APIs have no binary media types. The intake accepts bodies with and without
    # base64, but no gzip body has been sent through this flavour on a deployment.
    integration = aws.apigatewayv2.Integration(
        f"{name}-integration",
        api_id=api.id,
        integration_type="AWS_PROXY",
        integration_uri=intake.arn,
        payload_format_version="2.0",
        timeout_milliseconds=INTEGRATION_TIMEOUT_MS,
        opts=child,
    )

    access_log_group = _create_access_log_group(name, settings, parent)
    stage = aws.apigatewayv2.Stage(
        f"{name}-stage",
        api_id=api.id,
        name=HTTP_STAGE_NAME,
        auto_deploy=True,
        access_log_settings={"destination_arn": access_log_group.arn, "format": http_access_log_format()},
        default_route_settings={
            "throttling_rate_limit": settings.throttle_rate,
            "throttling_burst_limit": settings.throttle_burst,
            "detailed_metrics_enabled": True,
        },
        tags=dict(settings.tags),
        opts=child,
    )

    gateway = HttpGateway(api=api, stage=stage, authorizer=authorizer, access_log_group=access_log_group)
    for route in settings.routes:
        gateway.routes[route.key] = aws.apigatewayv2.Route(
            f"{name}-route-{route.logical_suffix}",
            api_id=api.id,
            route_key=route.key,
            target=integration.id.apply(lambda integration_id: f"integrations/{integration_id}"),
            authorization_type="JWT" if auth.kind == "jwt" else "CUSTOM",
            authorizer_id=authorizer.id,
            authorization_scopes=list(auth.scopes) or None,
            opts=child,
        )

    # Any stage: the HTTP API's only stage is $default.
    gateway.permissions = _create_invoke_permissions(
        name,
        intake=intake,
        execution_arn=api.execution_arn,
        stage="*",
        route_list=settings.routes,
        auth=auth,
        authorizer_id=authorizer.id,
        parent=parent,
    )
    return gateway


def _create_http_authorizer(
    name: str, api: aws.apigatewayv2.Api, auth: AuthorizerSpec, child: pulumi.ResourceOptions
) -> aws.apigatewayv2.Authorizer:
    if auth.kind == "jwt":
        return aws.apigatewayv2.Authorizer(
            f"{name}-authorizer",
            name=f"{name}-jwt",
            api_id=api.id,
            authorizer_type="JWT",
            identity_sources=["$request.header.Authorization"],
            jwt_configuration={"issuer": auth.issuer_url, "audiences": auth.audiences},
            opts=child,
        )
    return aws.apigatewayv2.Authorizer(
        f"{name}-authorizer",
        name=f"{name}-lambda",
        api_id=api.id,
        authorizer_type="REQUEST",
        authorizer_uri=auth.function_invoke_arn,
        authorizer_payload_format_version="2.0",
        enable_simple_responses=True,
        identity_sources=["$request.header.Authorization"],
        authorizer_result_ttl_in_seconds=AUTHORIZER_CACHE_SECONDS,
        opts=child,
    )
