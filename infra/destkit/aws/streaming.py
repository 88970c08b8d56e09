"""``StreamingEndpoint``: the HTTPS intake AEP posts profile batches to, on AWS.

The default is a regional API Gateway REST API, because only REST APIs can return 401 with a
``WWW-Authenticate`` header from the gateway and take a WAF. Around it: a WAFv2 web ACL, an
authorizer (Cognito for the managed OAuth 2.0 issuer, a Lambda TOKEN authorizer otherwise) and
the intake Lambda function that stores each batch in the sink bucket. The HTTP API flavour is an opt-in
with recorded exceptions. ``docs/aws.md`` ("Streaming endpoint") lists the defaults and limits.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from destkit import naming, waivers
from destkit.aws import auth as credentials
from destkit.aws import cognito, defaults, domain, gateway, packaging, waf
from destkit.aws.functions import (
    KitFunction,
    authorizer_policy,
    create_function,
    intake_policy,
    service_trust_policy,
)
from destkit.aws.kms import AccountContext, create_writer_grants, lookup_account_context
from destkit.config import (
    AWS_MAX_BODY_BYTES,
    AuthMode,
    ConfigError,
    IssuerKind,
    KitConfig,
    StreamingConfig,
)
from destkit.outputs import streaming_stack_outputs
from destkit.runtime import routes

INTAKE_HANDLER = "destkit.runtime.aws.intake.handler"
AUTHORIZER_HANDLER = "destkit.runtime.aws.authorizer.handler"
AUTHORIZER_MEMORY_MB = 256
AUTHORIZER_TIMEOUT_SECONDS = 10
# The tenant-id rule of the stack configuration: 1 to 16 characters.
_TENANT_ID = re.compile(r"(?=.{1,16}$)[a-z][a-z0-9]*(-[a-z0-9]+)*")


@dataclass(frozen=True)
class StreamingEndpointArgs:
    """Everything the streaming endpoint needs; ``streaming`` carries the tunable settings."""

    name_prefix: str
    """Prefix of physical names, ``<destination>-<environment>`` in the kit's stacks."""
    tenants: Sequence[str]
    sink_bucket_name: pulumi.Input[str]
    sink_bucket_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    """Customer-managed key for log groups, secrets and environment variables."""
    kms_key_managed: bool = True
    """True when the key's policy delegates to IAM (the kit's own key). Otherwise the functions'
    roles also get ``kms.Grant`` resources, and the key's policy must let CloudWatch Logs use it."""
    streaming: StreamingConfig = field(default_factory=StreamingConfig)
    log_retention_days: int = defaults.LOG_RETENTION_DAYS
    tags: Mapping[str, str] = field(default_factory=dict)
    bearer_tokens: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    basic_passwords: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    manage_apigateway_account: bool = False
    """Set the account-wide API Gateway CloudWatch role (one per account and region)."""
    protect: bool = True
    build_dir: Path = packaging.DEFAULT_BUILD_DIR
    """Build directory: function zips are written here and the JWT layer zip is read from here."""

    @classmethod
    def from_config(
        cls,
        config: KitConfig,
        *,
        sink_bucket_name: pulumi.Input[str],
        sink_bucket_arn: pulumi.Input[str],
        kms_key_arn: pulumi.Input[str],
        kms_key_managed: bool = True,
    ) -> StreamingEndpointArgs:
        """Build the arguments from the parsed stack configuration."""
        return cls(
            name_prefix=config.prefix,
            tenants=tuple(config.tenants),
            sink_bucket_name=sink_bucket_name,
            sink_bucket_arn=sink_bucket_arn,
            kms_key_arn=kms_key_arn,
            kms_key_managed=kms_key_managed,
            streaming=config.streaming,
            log_retention_days=config.destination.log_retention_days,
            tags=defaults.tags(config.tags, config.destination.name, config.destination.environment),
            bearer_tokens={t: v.get_secret_value() for t, v in config.secrets.bearer_tokens.items()},
            basic_passwords={t: v.get_secret_value() for t, v in config.secrets.basic_passwords.items()},
            manage_apigateway_account=config.aws.manage_apigateway_account,
            protect=config.destination.protect_data,
        )

    @property
    def max_body_bytes(self) -> int:
        return self.streaming.max_body_bytes or AWS_MAX_BODY_BYTES

    @property
    def authorizer_kind(self) -> str:
        """``cognito``, ``jwt`` (HTTP API gateway-side validation) or ``lambda``."""
        streaming = self.streaming
        if streaming.auth is AuthMode.OAUTH2:
            if streaming.api_flavor == "http":
                return "jwt"
            if streaming.oauth2.issuer is IssuerKind.MANAGED:
                return "cognito"
        return "lambda"

    @property
    def needs_jwt_layer(self) -> bool:
        """True when the Lambda authorizer validates external JWTs and so needs PyJWT."""
        return self.authorizer_kind == "lambda" and self.streaming.auth is AuthMode.OAUTH2

    def problems(self) -> list[str]:
        """Return one message per invalid value; empty when the arguments are usable."""
        streaming = self.streaming
        found: list[str] = []
        problem = naming.lambda_name_problem(f"{self.name_prefix}-authorizer")
        if problem:
            found.append(f"name_prefix {self.name_prefix!r} is invalid: {problem}")

        if not self.tenants:
            found.append("tenants is empty: list at least one tenant id")
        if len(set(self.tenants)) != len(self.tenants):
            found.append(f"tenants {list(self.tenants)} contains duplicates; tenant ids must be unique")
        for tenant in self.tenants:
            # Tenant ids become S3 prefixes, secret names and IAM resource paths.
            if not _TENANT_ID.fullmatch(tenant):
                found.append(
                    f"tenant id {tenant!r} is invalid: use 1 to 16 lowercase letters, digits and single "
                    "hyphens, starting with a letter"
                )

        if not streaming.enabled:
            found.append("streaming.enabled is false: do not create a StreamingEndpoint")
        if self.max_body_bytes > AWS_MAX_BODY_BYTES:
            found.append(
                f"streaming.max_body_bytes {self.max_body_bytes} exceeds {AWS_MAX_BODY_BYTES}, the largest "
                "body that still fits Lambda's 6 MB synchronous payload after base64"
            )
        if streaming.throttle_burst < streaming.throttle_rate:
            found.append(
                f"streaming.throttle_burst {streaming.throttle_burst} is below throttle_rate "
                f"{streaming.throttle_rate}; the burst must be at least the rate"
            )
        if streaming.audience_api and streaming.auth is AuthMode.BASIC:
            found.append(
                "streaming.audience_api needs auth oauth2 or bearer: Adobe's audience templates do not "
                "support Basic"
            )

        oauth2 = streaming.oauth2
        if (
            streaming.auth is AuthMode.OAUTH2
            and oauth2.issuer is IssuerKind.EXTERNAL
            and oauth2.external is None
        ):
            found.append("streaming.oauth2.external is required when streaming.oauth2.issuer is external")
        for field_name, supplied in (
            ("bearer_tokens", self.bearer_tokens),
            ("basic_passwords", self.basic_passwords),
        ):
            unknown = sorted(set(supplied) - set(self.tenants))
            if unknown:
                found.append(f"{field_name} names unknown tenants {unknown}; allowed: {sorted(self.tenants)}")
        for tenant, token in self.bearer_tokens.items():
            # Values given as Outputs are unknown until deployment, so only plain strings are checked.
            if isinstance(token, str) and not re.fullmatch(gateway.BEARER_TOKEN_PATTERN, token):
                found.append(
                    f"bearer_tokens.{tenant} contains characters a bearer token cannot carry (the value is "
                    "not shown); use letters, digits and -._~+/ with optional trailing '=', or leave it unset "
                    "to generate one"
                )

        if streaming.custom_domain is not None:
            try:
                domain.check_domain(streaming.custom_domain)
            except ValueError as error:
                found.append(f"streaming.custom_domain: {error}")
        return found


class StreamingEndpoint(pulumi.ComponentResource):
    """The streaming intake: gateway, authentication, WAF, intake function and optional domain."""

    url: pulumi.Output[str]
    audience_api_url: pulumi.Output[str] | None
    auth_type: str
    token_url: pulumi.Output[str] | None
    scope: str | None
    max_body_bytes: int
    client_ids: dict[str, pulumi.Output[str]]
    client_secrets: dict[str, pulumi.Output[str]]
    tokens: dict[str, pulumi.Output[str]]
    usernames: dict[str, str]
    passwords: dict[str, pulumi.Output[str]]
    intake: KitFunction
    authorizer_function: KitFunction | None
    credentials: credentials.TenantCredentials | None
    issuer: cognito.ManagedIssuer | None
    firewall: waf.Firewall | None
    rest: gateway.RestGateway | None
    """The REST API and its stage; None with the HTTP API flavour."""
    http: gateway.HttpGateway | None
    """The HTTP API and its stage; None with the REST flavour (the default)."""

    def __init__(self, name: str, args: StreamingEndpointArgs, opts: pulumi.ResourceOptions | None = None):
        problems = args.problems() + physical_name_problems(name)
        if problems:
            # A ValueError that the destkit command line reports as invalid configuration (exit 2).
            raise ConfigError([f"StreamingEndpoint {name!r}: {problem}" for problem in problems])
        # Checked before anything is registered, so a missing layer stops the program cleanly.
        layer_zip = packaging.require_layer(args.build_dir) if args.needs_jwt_layer else None
        code = packaging.build_runtime_archive(args.build_dir)

        super().__init__("destkit:aws:StreamingEndpoint", name, None, opts)
        streaming = args.streaming
        tags = dict(args.tags)
        context = lookup_account_context(parent=self)
        route_list = gateway.endpoint_routes(streaming.audience_api)

        self.auth_type = streaming.auth.value
        self.max_body_bytes = args.max_body_bytes
        self.client_ids, self.client_secrets, self.tokens, self.passwords = {}, {}, {}, {}
        self.usernames = {}
        self.token_url, self.scope, self.issuer, self.firewall = None, None, None, None
        self.credentials = None
        self.rest, self.http = None, None

        tenant_by_client_id = self._set_up_credentials(name, args, context, tags)

        self.intake = create_function(
            f"{name}-intake",
            handler=INTAKE_HANDLER,
            description=f"AEP streaming intake of {args.name_prefix}",
            code=code,
            environment=self._intake_environment(args, tenant_by_client_id),
            policy_document=self._intake_policy(args, context),
            account_id=context.account_id,
            kms_key_arn=args.kms_key_arn,
            log_group_name=_function_log_group(args.name_prefix, "intake"),
            log_retention_days=args.log_retention_days,
            memory_mb=streaming.memory_mb,
            timeout_seconds=streaming.timeout_seconds,
            reserved_concurrency=streaming.reserved_concurrency,
            tags=tags,
            parent=self,
        )
        if streaming.reserved_concurrency is None:
            for purpose in ("intake", "authorizer"):
                waivers.record(
                    "lambda-ops-hardening",
                    f"{name}-{purpose}",
                    f"reserved concurrency is unset, so the {purpose} shares the account's unreserved "
                    "concurrency and another function can starve it",
                )

        self.authorizer_function = None
        if args.authorizer_kind == "lambda":
            self.authorizer_function = self._create_authorizer_function(
                name, args, context, tags, code, layer_zip
            )

        if not args.kms_key_managed:
            grantees = [("intake", self.intake.role.arn)]
            if self.authorizer_function is not None:
                grantees.append(("authorizer", self.authorizer_function.role.arn))
            create_writer_grants(name, key_arn=args.kms_key_arn, grantees=grantees, parent=self)

        auth_spec = self._authorizer_spec(args)
        settings = gateway.RestGatewaySettings(
            name_prefix=args.name_prefix,
            routes=tuple(route_list),
            throttle_rate=streaming.throttle_rate,
            throttle_burst=streaming.throttle_burst,
            disable_default_endpoint=streaming.custom_domain is not None,
            kms_key_arn=args.kms_key_arn,
            log_retention_days=args.log_retention_days,
            tags=tags,
        )
        if streaming.api_flavor == "rest":
            base_url = self._build_rest(name, args, settings, auth_spec, context, tags, route_list)
        else:
            base_url = self._build_http(name, args, settings, auth_spec, tags, route_list)

        self.url = pulumi.Output.concat(base_url, routes.INTAKE_PATH)
        self.audience_api_url = (
            pulumi.Output.concat(base_url, routes.AUDIENCES_PATH) if streaming.audience_api else None
        )
        self.register_outputs(
            {"url": self.url, "auth_type": self.auth_type, "max_body_bytes": self.max_body_bytes}
        )

    # -- credentials -------------------------------------------------------------------------

    def _set_up_credentials(
        self, name: str, args: StreamingEndpointArgs, context: AccountContext, tags: dict[str, str]
    ) -> pulumi.Input[dict[str, str]]:
        """Create the tenants' credentials; return the client-id-to-tenant map for the intake."""
        streaming = args.streaming
        if streaming.auth is AuthMode.OAUTH2 and streaming.oauth2.issuer is IssuerKind.MANAGED:
            self.issuer = cognito.create_managed_issuer(
                name,
                name_prefix=args.name_prefix,
                tenants=args.tenants,
                scope_name=streaming.oauth2.scope_name,
                token_validity_hours=streaming.oauth2.token_validity_hours,
                region=context.region,
                protect=args.protect,
                tags=tags,
                parent=self,
            )
            self.token_url = self.issuer.token_url
            self.scope = self.issuer.scope
            self.client_ids = self.issuer.client_ids()
            self.client_secrets = self.issuer.client_secrets()
            return self.issuer.tenant_by_client_id()
        if streaming.auth is AuthMode.OAUTH2:
            external = streaming.oauth2.external
            assert external is not None  # checked by StreamingEndpointArgs.problems
            self.token_url = pulumi.Output.from_input(external.token_url)
            self.scope = external.scope
            return dict(external.tenant_by_client_id)

        supplied = args.bearer_tokens if streaming.auth is AuthMode.BEARER else args.basic_passwords
        tenant_credentials = credentials.create_credentials(
            name,
            mode=streaming.auth,
            tenants=args.tenants,
            supplied=supplied,
            kms_key_arn=args.kms_key_arn,
            tags=tags,
            parent=self,
        )
        self.credentials = tenant_credentials
        if streaming.auth is AuthMode.BEARER:
            self.tokens = dict(tenant_credentials.values)
        else:
            self.passwords = dict(tenant_credentials.values)
            self.usernames = dict(tenant_credentials.usernames)
        return {}

    # -- functions ---------------------------------------------------------------------------

    @staticmethod
    def _intake_environment(
        args: StreamingEndpointArgs, tenant_by_client_id: pulumi.Input[dict[str, str]]
    ) -> pulumi.Output[dict[str, Any]]:
        streaming = args.streaming
        return pulumi.Output.all(args.sink_bucket_name, tenant_by_client_id).apply(
            lambda values: {
                "DESTKIT_SINK_BUCKET": values[0],
                "DESTKIT_MAX_BODY_BYTES": str(args.max_body_bytes),
                "DESTKIT_MAX_DECOMPRESSED_BYTES": str(streaming.max_decompressed_bytes),
                "DESTKIT_PAYLOAD_MODE": streaming.payload_mode.value,
                "DESTKIT_AUDIENCE_API": "true" if streaming.audience_api else "false",
                "DESTKIT_TENANT_BY_CLIENT_ID": json.dumps(values[1], sort_keys=True),
            }
        )

    @staticmethod
    def _intake_policy(args: StreamingEndpointArgs, context: AccountContext) -> pulumi.Output[Any]:
        log_group_arn = _log_group_arn(context, _function_log_group(args.name_prefix, "intake"))
        return pulumi.Output.all(log_group_arn, args.sink_bucket_arn, args.kms_key_arn, context.region).apply(
            lambda values: intake_policy(
                log_group_arn=values[0],
                bucket_arn=values[1],
                tenants=list(args.tenants),
                kms_key_arn=values[2],
                region=values[3],
                audience_api=args.streaming.audience_api,
            )
        )

    def _create_authorizer_function(
        self,
        name: str,
        args: StreamingEndpointArgs,
        context: AccountContext,
        tags: dict[str, str],
        code: packaging.BuiltArchive,
        layer_zip: packaging.BuiltArchive | None,
    ) -> KitFunction:
        streaming = args.streaming
        environment: dict[str, pulumi.Input[str]] = {"DESTKIT_AUTH_MODE": streaming.auth.value}
        secret_arns: dict[str, pulumi.Output[str]] = {}
        if streaming.auth is AuthMode.OAUTH2:
            external = streaming.oauth2.external
            assert external is not None  # checked by StreamingEndpointArgs.problems
            environment.update(
                DESTKIT_ISSUER=external.issuer_url,
                DESTKIT_JWKS_URL=external.jwks_url,
                DESTKIT_AUDIENCE=external.audience,
                DESTKIT_REQUIRED_SCOPE=external.scope or "",
                DESTKIT_TENANT_BY_CLIENT_ID=json.dumps(external.tenant_by_client_id, sort_keys=True),
            )
        else:
            assert self.credentials is not None
            secret_arns = {tenant: secret.arn for tenant, secret in self.credentials.secrets.items()}
            # A map of Secrets Manager ARNs, not secret values: the authorizer reads the secrets at run time.
            environment["DESTKIT_CREDENTIAL_SECRET_ARNS"] = pulumi.Output.json_dumps(secret_arns)

        log_group_name = _function_log_group(args.name_prefix, "authorizer")
        log_group_arn = _log_group_arn(context, log_group_name)
        policy = pulumi.Output.all(
            log_group_arn, args.kms_key_arn, context.region, pulumi.Output.all(*secret_arns.values())
        ).apply(
            lambda values: authorizer_policy(
                log_group_arn=values[0], secret_arns=list(values[3]), kms_key_arn=values[1], region=values[2]
            )
        )
        layers: list[pulumi.Input[str]] = []
        if layer_zip is not None:
            layer = aws.lambda_.LayerVersion(
                f"{name}-jwt-layer",
                layer_name=f"{args.name_prefix}-jwt",
                description="PyJWT and cryptography for the authorizer's JWT validation",
                code=pulumi.FileArchive(str(layer_zip.path)),
                source_code_hash=layer_zip.sha256_base64,
                compatible_runtimes=[defaults.LAMBDA_RUNTIME],
                compatible_architectures=[defaults.LAMBDA_ARCHITECTURE],
                opts=pulumi.ResourceOptions(parent=self),
            )
            layers.append(layer.arn)
        return create_function(
            f"{name}-authorizer",
            handler=AUTHORIZER_HANDLER,
            description=f"AEP credential check of {args.name_prefix}",
            code=code,
            environment=environment,
            policy_document=policy,
            account_id=context.account_id,
            kms_key_arn=args.kms_key_arn,
            log_group_name=log_group_name,
            log_retention_days=args.log_retention_days,
            memory_mb=AUTHORIZER_MEMORY_MB,
            timeout_seconds=AUTHORIZER_TIMEOUT_SECONDS,
            # The same cap as the intake: every request that reaches the intake passed the
            # authorizer or its cache, so the authorizer never needs more.
            reserved_concurrency=streaming.reserved_concurrency,
            tags=tags,
            parent=self,
            layers=layers,
        )

    def _authorizer_spec(self, args: StreamingEndpointArgs) -> gateway.AuthorizerSpec:
        kind = args.authorizer_kind
        mode = args.streaming.auth
        if kind == "cognito":
            assert self.issuer is not None
            return gateway.AuthorizerSpec(
                kind=kind, mode=mode, scopes=(self.issuer.scope,), provider_arn=self.issuer.user_pool.arn
            )
        if kind == "jwt":
            if self.issuer is not None:
                return gateway.AuthorizerSpec(
                    kind=kind,
                    mode=mode,
                    scopes=(self.issuer.scope,),
                    issuer_url=self.issuer.issuer_url,
                    audiences=list(self.client_ids.values()),
                )
            external = args.streaming.oauth2.external
            assert external is not None
            return gateway.AuthorizerSpec(
                kind=kind,
                mode=mode,
                scopes=(external.scope,) if external.scope else (),
                issuer_url=external.issuer_url,
                audiences=[external.audience],
            )
        assert self.authorizer_function is not None
        function = self.authorizer_function.function
        return gateway.AuthorizerSpec(
            kind=kind, mode=mode, function_invoke_arn=function.invoke_arn, function_arn=function.arn
        )

    # -- gateways ----------------------------------------------------------------------------

    def _build_rest(
        self,
        name: str,
        args: StreamingEndpointArgs,
        settings: gateway.RestGatewaySettings,
        auth_spec: gateway.AuthorizerSpec,
        context: AccountContext,
        tags: dict[str, str],
        route_list: Sequence[gateway.Route],
    ) -> pulumi.Output[str]:
        streaming = args.streaming
        account_settings: list[pulumi.Resource] = []
        if args.manage_apigateway_account:
            account_settings.append(_create_apigateway_account(name, context, tags, self))
        self.rest = gateway.create_rest_gateway(
            f"{name}-rest",
            settings=settings,
            intake=self.intake.function,
            auth=auth_spec,
            parent=self,
            stage_depends_on=account_settings,
        )
        for route in route_list:
            waivers.record(
                "apigw-validation-throttling",
                f"{name}-rest-method-{route.logical_suffix}",
                "no gateway request model: the intake validates each body and returns a specific 4xx "
                "with a JSON error, which a model (a bare 400) cannot; stage throttling is set",
            )
        self.firewall = waf.create_firewall(
            name,
            name_prefix=args.name_prefix,
            stage_arn=self.rest.stage.arn,
            rate_limit=streaming.waf_rate_limit,
            kms_key_arn=args.kms_key_arn,
            log_retention_days=args.log_retention_days,
            tags=tags,
            parent=self,
        )
        if streaming.custom_domain is not None:
            custom = domain.create_rest_domain(
                name,
                config=streaming.custom_domain,
                rest_api_id=self.rest.api.id,
                stage_name=self.rest.stage.stage_name,
                tags=tags,
                parent=self,
            )
            return pulumi.Output.from_input(custom.url)
        return self.rest.stage.invoke_url

    def _build_http(
        self,
        name: str,
        args: StreamingEndpointArgs,
        settings: gateway.RestGatewaySettings,
        auth_spec: gateway.AuthorizerSpec,
        tags: dict[str, str],
        route_list: Sequence[gateway.Route],
    ) -> pulumi.Output[str]:
        streaming = args.streaming
        self.http = gateway.create_http_gateway(
            f"{name}-http", settings=settings, intake=self.intake.function, auth=auth_spec, parent=self
        )
        stage_name = f"{name}-http-stage"
        waivers.record(
            "apigw-waf",
            stage_name,
            "HTTP APIs cannot take a WAF web ACL; the REST flavour (the default) has one",
        )
        waivers.record(
            "apigw-xray",
            stage_name,
            "HTTP APIs have no X-Ray tracing; the intake function is traced instead",
        )
        waivers.record(
            "apigw-exec-logs-no-datatrace",
            stage_name,
            "HTTP APIs have no execution logs; JSON access logs are on and never contain bodies",
        )
        for route in route_list:
            waivers.record(
                "apigw-validation-throttling",
                f"{name}-http-route-{route.logical_suffix}",
                "HTTP APIs have no request validation: the intake validates each body and returns a "
                "specific 4xx; stage throttling is set",
            )
        pulumi.log.warn(
            "streaming.api_flavor http: the HTTP API returns 403 without a WWW-Authenticate header when "
            "the Lambda authorizer denies a request or a token lacks the scope, and AEP retries 403 under "
            "best-effort aggregation. Use the rest flavour for 401 responses and a WAF.",
            resource=self,
        )
        if streaming.custom_domain is not None:
            custom = domain.create_http_domain(
                name,
                config=streaming.custom_domain,
                api_id=self.http.api.id,
                stage_name=self.http.stage.name,
                tags=tags,
                parent=self,
            )
            return pulumi.Output.from_input(custom.url)
        return self.http.api.api_endpoint

    # -- stack outputs -----------------------------------------------------------------------

    def stack_outputs(self) -> dict[str, Any]:
        """Return the outputs-table values that apply to this endpoint's auth mode."""
        return streaming_stack_outputs(self)


def physical_name_problems(name: str) -> list[str]:
    """Check the auto-generated physical names derived from the component name ``name``.

    Pulumi appends a hyphen and seven random characters to each logical name.
    """
    suffix = "-" + "x" * (naming.AUTONAME_SUFFIX_LENGTH - 1)
    found: list[str] = []
    for purpose in ("intake", "authorizer"):
        function_name = f"{name}-{purpose}{suffix}"
        for problem in (
            naming.lambda_name_problem(function_name),
            naming.iam_name_problem(f"{name}-{purpose}-role{suffix}"),
        ):
            if problem:
                found.append(f"component name {name!r} is too long or invalid: {problem}")
    return sorted(set(found))


def _function_log_group(name_prefix: str, purpose: str) -> str:
    return f"/destkit/{name_prefix}/{purpose}"


def _log_group_arn(context: AccountContext, log_group_name: str) -> pulumi.Output[str]:
    """Build a log group's ARN from its name, so a policy can name the group before it exists."""
    return pulumi.Output.concat(
        "arn:",
        context.partition,
        ":logs:",
        context.region,
        ":",
        context.account_id,
        ":log-group:",
        log_group_name,
    )


def apigateway_logs_policy(partition: str, region: str, account_id: str) -> dict[str, Any]:
    """Build the policy API Gateway uses to write access and execution logs in this region."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteApiGatewayLogs",
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:DescribeLogGroups",
                    "logs:DescribeLogStreams",
                    "logs:FilterLogEvents",
                    "logs:GetLogEvents",
                    "logs:PutLogEvents",
                ],
                "Resource": f"arn:{partition}:logs:{region}:{account_id}:*",
            }
        ],
    }


def _create_apigateway_account(
    name: str, context: AccountContext, tags: dict[str, str], parent: pulumi.Resource
) -> aws.apigateway.Account:
    """Set the account's API Gateway CloudWatch role, without which stage logging cannot be enabled."""
    child = pulumi.ResourceOptions(parent=parent)
    role = aws.iam.Role(
        f"{name}-apigateway-logs-role",
        description="Lets API Gateway write access and execution logs",
        assume_role_policy=pulumi.Output.json_dumps(
            context.account_id.apply(functools.partial(service_trust_policy, "apigateway.amazonaws.com"))
        ),
        tags=tags,
        opts=child,
    )
    policy = aws.iam.Policy(
        f"{name}-apigateway-logs-policy",
        policy=pulumi.Output.json_dumps(
            pulumi.Output.all(context.partition, context.region, context.account_id).apply(
                lambda values: apigateway_logs_policy(values[0], values[1], values[2])
            )
        ),
        tags=tags,
        opts=child,
    )
    attachment = aws.iam.RolePolicyAttachment(
        f"{name}-apigateway-logs-attachment", role=role.name, policy_arn=policy.arn, opts=child
    )
    return aws.apigateway.Account(
        f"{name}-apigateway-account",
        cloudwatch_role_arn=role.arn,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[attachment]),
    )
