"""``StreamingEndpoint``: API Gateway in front of Cloud Functions (2nd gen) running the runtime core.

The gateway's own service account is the only principal with ``roles/run.invoker`` on the
functions' Cloud Run services (a 2nd-gen function is invoked through its Cloud Run service, where
the binding must go). Authentication:

- ``oauth2``: API Gateway validates the JWT (issuer, JWKS, audience) on every path but the token
  path. With the managed issuer, a token function checks the tenant's client secret from Secret
  Manager and signs through IAM Credentials ``signJwt`` as a dedicated signing service account.
  No private key exists in the function or in state, and Google publishes the JWKS.
- ``bearer`` and ``basic``: the intake function compares the forwarded ``Authorization`` header in
  constant time with per-tenant Secret Manager values, injected as secret environment variables.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp
import pulumi_random as random

from destkit import waivers
from destkit.config import IssuerKind, OAuth2Config
from destkit.gcp import defaults, naming, openapi
from destkit.gcp.packaging import build_source
from destkit.gcp.storage import BucketSettings, build_cmek_bucket
from destkit.runtime import routes
from destkit.runtime.gcp.settings import secret_env_name

AUTH_MODES = ("oauth2", "bearer", "basic")
SECRET_ACCESSOR = "roles/secretmanager.secretAccessor"  # noqa: S105 - a role name


def token_audience(prefix: str) -> str:
    """Return the ``aud`` claim of the managed issuer's tokens, which the gateway requires."""
    return f"{prefix}-intake"


@dataclass(frozen=True)
class StreamingEndpointArgs:
    """Settings of a :class:`StreamingEndpoint`."""

    tenants: Sequence[str]
    project: pulumi.Input[str]
    region: str
    prefix: str
    """Short prefix of ids (service accounts, secrets, API Gateway), for example ``acme-dev``."""
    sink_bucket: pulumi.Input[str]
    auth_mode: str = "oauth2"
    oauth2: OAuth2Config = field(default_factory=OAuth2Config)
    labels: Mapping[str, str] = field(default_factory=dict)
    bearer_tokens: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Bearer token per tenant; generated for tenants without one."""
    basic_passwords: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Basic-auth password per tenant; generated for tenants without one."""
    audience_api: bool = False
    payload_mode: str = "validate"
    max_body_bytes: int = 30_000_000
    max_decompressed_bytes: int = 64 * 1024 * 1024
    memory_mb: int = 512
    timeout_seconds: int = 29
    max_instances: int = defaults.FUNCTION_MAX_INSTANCES
    kms_key_id: pulumi.Input[str] | None = None
    """Cloud KMS key for the function-source bucket; Google-managed encryption when None."""
    key_grant: pulumi.Resource | None = None
    """The storage service agent's grant on ``kms_key_id``; the source bucket is created after it."""
    service_account_email: pulumi.Input[str] | None = None
    """Existing service account for the intake function. A dedicated one is created when unset."""
    protect: bool = True

    def check(self, name: str) -> None:
        """Raise ValueError naming the setting when the arguments cannot form an endpoint."""
        if not self.tenants:
            raise ValueError(f"StreamingEndpoint {name!r}: tenants is empty; give at least one tenant id")
        if self.auth_mode not in AUTH_MODES:
            raise ValueError(
                f"StreamingEndpoint {name!r}: auth_mode {self.auth_mode!r} is invalid; "
                f"use one of {AUTH_MODES}"
            )
        managed = self.auth_mode == "oauth2" and self.oauth2.issuer is IssuerKind.MANAGED
        if managed and self.oauth2.token_validity_hours > defaults.SIGN_JWT_MAX_LIFETIME_HOURS:
            raise ValueError(
                f"streaming.oauth2.token_validity_hours: {self.oauth2.token_validity_hours} is more than "
                f"{defaults.SIGN_JWT_MAX_LIFETIME_HOURS}, the longest lifetime IAM Credentials signJwt "
                f"signs on GCP; set it to {defaults.SIGN_JWT_MAX_LIFETIME_HOURS} or less"
            )
        if (
            self.auth_mode == "oauth2"
            and self.oauth2.issuer is IssuerKind.EXTERNAL
            and self.oauth2.external is None
        ):
            raise ValueError(f"StreamingEndpoint {name!r}: an external issuer needs oauth2.external")
        for tenant in [*self.bearer_tokens, *self.basic_passwords]:
            if tenant not in self.tenants:
                raise ValueError(
                    f"StreamingEndpoint {name!r}: {tenant!r} is not a tenant; allowed: {sorted(self.tenants)}"
                )
        for tenant in self.tenants:
            for problem in (
                naming.service_account_id_problem(naming.service_account_id(self.prefix, "intake")),
                naming.secret_id_problem(naming.fit(f"{self.prefix}-{tenant}", 255)),
            ):
                if problem:
                    raise ValueError(f"StreamingEndpoint {name!r}: {problem}")


class StreamingEndpoint(pulumi.ComponentResource):
    """API Gateway, the intake function and, for the managed issuer, the token function."""

    url: pulumi.Output[str]
    token_url: pulumi.Output[str] | None
    audience_api_url: pulumi.Output[str] | None
    scope: str | None
    client_ids: dict[str, pulumi.Output[str]]
    client_secrets: dict[str, pulumi.Output[str]]
    tokens: dict[str, pulumi.Output[str]]
    usernames: dict[str, str]
    passwords: dict[str, pulumi.Output[str]]
    source_bucket: gcp.storage.Bucket
    source_object: gcp.storage.BucketObject
    intake_account_email: pulumi.Output[str]
    intake_function: gcp.cloudfunctionsv2.Function
    token_function: gcp.cloudfunctionsv2.Function | None
    signing_account: gcp.serviceaccount.Account | None
    gateway_account: gcp.serviceaccount.Account
    api: gcp.apigateway.Api
    api_config: gcp.apigateway.ApiConfig
    gateway: gcp.apigateway.Gateway
    secrets: dict[str, gcp.secretmanager.Secret]

    def __init__(self, name: str, args: StreamingEndpointArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("destkit:gcp:StreamingEndpoint", name, None, opts)
        args.check(name)
        self._args = args
        self._options = pulumi.ResourceOptions(parent=self)
        self.client_ids, self.client_secrets, self.tokens, self.passwords = {}, {}, {}, {}
        self.usernames = {}
        self.secrets = {}
        self.token_url = None
        self.audience_api_url = None
        self.token_function = None
        self.signing_account = None
        self.scope = args.oauth2.scope_name if args.auth_mode == "oauth2" else None
        managed = args.auth_mode == "oauth2" and args.oauth2.issuer is IssuerKind.MANAGED

        self.gateway_account = self._account(name, "gateway", "API Gateway backend caller")
        self.intake_account_email = self._intake_account(name)
        if args.audience_api:
            waivers.record(
                "writer-sa-least-privilege",
                f"{name}-intake-sink-writer",
                "The audience metadata API reads, replaces and deletes audience records in the sink, "
                "which needs objectUser; payloads themselves are written create-only.",
            )
        gcp.storage.BucketIAMMember(
            f"{name}-intake-sink-writer",
            bucket=args.sink_bucket,
            role="roles/storage.objectUser" if args.audience_api else "roles/storage.objectCreator",
            member=self.intake_account_email.apply(lambda email: f"serviceAccount:{email}"),
            opts=self._options,
        )

        self.source_bucket, _ = build_cmek_bucket(
            f"{name}-source",
            BucketSettings(
                location=args.region,
                project=args.project,
                labels=args.labels,
                kms_key_id=args.kms_key_id,
                key_grant=args.key_grant,
                # NOTE: a rebuild after this expiry needs a new source object (any source change, or
                # deleting the stale BucketObject from state); Cloud Functions keeps its own copy.
                expire_days=defaults.SOURCE_EXPIRE_DAYS,
                protect=False,
            ),
            cmek=False,
            parent=self,
        )
        source = build_source()
        self.source_object = gcp.storage.BucketObject(
            f"{name}-source-archive",
            bucket=self.source_bucket.name,
            name=source.object_name,
            source=source.archive,
            content_type="application/zip",
            opts=self._options,
        )

        secret_member = self.intake_account_email.apply(lambda email: f"serviceAccount:{email}")
        if managed:
            token_account = self._account(name, "token", "Managed OAuth 2.0 token endpoint")
            secret_member = token_account.member
        tenant_secrets = self._tenant_secrets(name, secret_member)

        intake_env = self._intake_environment(managed)
        if managed:
            self.signing_account = self._account(name, "signer", "Signs the managed issuer's access tokens")
            gcp.serviceaccount.IAMMember(
                f"{name}-token-signs",
                service_account_id=self.signing_account.name,
                role="roles/iam.serviceAccountTokenCreator",
                member=token_account.member,
                opts=self._options,
            )
            self.token_function = self._function(
                name,
                "token",
                entry_point="token",
                account_email=token_account.email,
                environment=self._token_environment(),
                secrets=tenant_secrets,
                memory=defaults.TOKEN_FUNCTION_MEMORY,
            )
        intake_secrets = {} if args.auth_mode == "oauth2" else tenant_secrets
        self.intake_function = self._function(
            name,
            "intake",
            entry_point="intake",
            account_email=self.intake_account_email,
            environment=intake_env,
            secrets=intake_secrets,
            memory=f"{args.memory_mb}M",
        )
        waivers.record(
            "run-ingress",
            f"{name}-intake",
            "API Gateway is not a VPC-internal caller, so internal ingress would block it; ingress stays "
            "ALLOW_ALL and IAM admits only the gateway's service account as invoker.",
        )
        self._grant_invoker(name, "intake", self.intake_function)
        if self.token_function is not None:
            self._grant_invoker(name, "token", self.token_function)
        document = self._document()
        self._gateway(name, document)

        base = self.gateway.default_hostname.apply(lambda host: f"https://{host}")
        self.url = base.apply(lambda url: url + routes.INTAKE_PATH)
        if managed:
            self.token_url = base.apply(lambda url: url + routes.TOKEN_PATH)
        elif args.auth_mode == "oauth2" and args.oauth2.external is not None:
            self.token_url = pulumi.Output.from_input(args.oauth2.external.token_url)
        if args.audience_api:
            self.audience_api_url = base.apply(lambda url: url + routes.AUDIENCES_PATH)

        self.register_outputs({"url": self.url})

    # -- identities ---------------------------------------------------------------------------

    def _account(self, name: str, purpose: str, description: str) -> gcp.serviceaccount.Account:
        return gcp.serviceaccount.Account(
            f"{name}-{purpose}",
            account_id=naming.service_account_id(self._args.prefix, purpose),
            display_name=f"{self._args.prefix} {purpose}",
            description=description,
            project=self._args.project,
            opts=self._options,
        )

    def _intake_account(self, name: str) -> pulumi.Output[str]:
        if self._args.service_account_email is not None:
            return pulumi.Output.from_input(self._args.service_account_email)
        return self._account(name, "intake", "Runs the AEP intake function").email

    def _grant_invoker(self, name: str, purpose: str, function: gcp.cloudfunctionsv2.Function) -> None:
        # A 2nd-gen function runs as a Cloud Run service of the same name. roles/run.invoker must be
        # bound on that service, because the function resource does not accept it.
        gcp.cloudrunv2.ServiceIamMember(
            f"{name}-{purpose}-invoker",
            project=self._args.project,
            location=self._args.region,
            name=function.name,
            role="roles/run.invoker",
            member=self.gateway_account.member,
            opts=self._options,
        )

    # -- secrets ------------------------------------------------------------------------------

    def _tenant_secrets(
        self, name: str, member: pulumi.Input[str]
    ) -> dict[str, gcp.secretmanager.SecretVersion]:
        """Create one Secret Manager secret per tenant with the credential the function checks."""
        args = self._args
        versions: dict[str, gcp.secretmanager.SecretVersion] = {}
        if args.auth_mode == "oauth2" and args.oauth2.issuer is IssuerKind.EXTERNAL:
            external = args.oauth2.external
            assert external is not None
            for client_id, tenant in external.tenant_by_client_id.items():
                self.client_ids[tenant] = pulumi.Output.from_input(client_id)
            return versions
        kind = {"oauth2": "client-secret", "bearer": "token", "basic": "password"}[args.auth_mode]
        configured = args.bearer_tokens if args.auth_mode == "bearer" else args.basic_passwords
        for tenant in args.tenants:
            value: pulumi.Input[str]
            if args.auth_mode != "oauth2" and tenant in configured:
                value = configured[tenant]
            else:
                value = random.RandomPassword(
                    f"{name}-{tenant}-{kind}", length=48, special=False, opts=self._options
                ).result
            secret_value = pulumi.Output.secret(value)
            secret = gcp.secretmanager.Secret(
                f"{name}-{tenant}-{kind}",
                secret_id=naming.fit(f"{args.prefix}-{kind}-{tenant}", 255),
                project=args.project,
                labels=dict(args.labels),
                replication=gcp.secretmanager.SecretReplicationArgs(
                    auto=gcp.secretmanager.SecretReplicationAutoArgs()
                ),
                opts=self._options,
            )
            versions[tenant] = gcp.secretmanager.SecretVersion(
                f"{name}-{tenant}-{kind}-value",
                secret=secret.id,
                secret_data=secret_value,
                opts=self._options,
            )
            gcp.secretmanager.SecretIamMember(
                f"{name}-{tenant}-{kind}-reader",
                project=args.project,
                secret_id=secret.id,
                role=SECRET_ACCESSOR,
                member=member,
                opts=self._options,
            )
            self.secrets[tenant] = secret
            if args.auth_mode == "oauth2":
                client_id_resource = random.RandomId(
                    f"{name}-{tenant}-client-id", byte_length=12, opts=self._options
                )
                self.client_ids[tenant] = pulumi.Output.concat(tenant, "-", client_id_resource.hex)
                self.client_secrets[tenant] = secret_value
            elif args.auth_mode == "bearer":
                self.tokens[tenant] = secret_value
            else:
                self.usernames[tenant] = tenant
                self.passwords[tenant] = secret_value
        return versions

    # -- functions ----------------------------------------------------------------------------

    def _intake_environment(self, managed: bool) -> dict[str, pulumi.Input[str]]:
        args = self._args
        environment: dict[str, pulumi.Input[str]] = {
            "DESTKIT_SINK_BUCKET": args.sink_bucket,
            "DESTKIT_AUTH_MODE": args.auth_mode,
            "DESTKIT_TENANTS": json.dumps(list(args.tenants)),
            "DESTKIT_MAX_BODY_BYTES": str(args.max_body_bytes),
            "DESTKIT_MAX_DECOMPRESSED_BYTES": str(args.max_decompressed_bytes),
            "DESTKIT_PAYLOAD_MODE": args.payload_mode,
            "DESTKIT_AUDIENCE_API": "true" if args.audience_api else "false",
            "DESTKIT_BEHIND_GATEWAY": "true",
        }
        if args.auth_mode == "basic":
            environment["DESTKIT_USERNAMES"] = json.dumps({tenant: tenant for tenant in args.tenants})
        if args.auth_mode == "oauth2":
            environment["DESTKIT_TENANT_BY_CLIENT_ID"] = self._tenant_by_client_id_json()
        return environment

    def _tenant_by_client_id_json(self) -> pulumi.Output[str]:
        tenants = sorted(self.client_ids)
        return pulumi.Output.all(*[self.client_ids[t] for t in tenants]).apply(
            lambda ids: json.dumps(dict(zip(ids, tenants, strict=True)), sort_keys=True)
        )

    def _token_environment(self) -> dict[str, pulumi.Input[str]]:
        args = self._args
        assert self.signing_account is not None
        tenants = sorted(self.client_ids)
        client_ids = pulumi.Output.all(*[self.client_ids[t] for t in tenants]).apply(
            lambda ids: json.dumps(dict(zip(tenants, ids, strict=True)), sort_keys=True)
        )
        return {
            "DESTKIT_SIGNING_SERVICE_ACCOUNT": self.signing_account.email,
            "DESTKIT_IAM_CREDENTIALS_URL": defaults.IAM_CREDENTIALS_URL,
            "DESTKIT_ISSUER_AUDIENCE": token_audience(args.prefix),
            "DESTKIT_ISSUER_SCOPE": args.oauth2.scope_name,
            "DESTKIT_ISSUER_LIFETIME_SECONDS": str(args.oauth2.token_validity_hours * 3600),
            "DESTKIT_CLIENT_IDS": client_ids,
            "DESTKIT_BEHIND_GATEWAY": "true",
        }

    def _function(
        self,
        name: str,
        purpose: str,
        *,
        entry_point: str,
        account_email: pulumi.Input[str],
        environment: Mapping[str, pulumi.Input[str]],
        secrets: Mapping[str, gcp.secretmanager.SecretVersion],
        memory: str,
    ) -> gcp.cloudfunctionsv2.Function:
        args = self._args
        secret_variables = [
            gcp.cloudfunctionsv2.FunctionServiceConfigSecretEnvironmentVariableArgs(
                key=secret_env_name(tenant),
                project_id=args.project,
                secret=self.secrets[tenant].secret_id,
                version=version.version,
            )
            for tenant, version in sorted(secrets.items())
        ]
        return gcp.cloudfunctionsv2.Function(
            f"{name}-{purpose}",
            name=naming.resource_id(args.prefix, purpose),
            location=args.region,
            project=args.project,
            labels=dict(args.labels),
            description=f"AEP destination {purpose} ({args.prefix})",
            build_config=gcp.cloudfunctionsv2.FunctionBuildConfigArgs(
                runtime=defaults.FUNCTION_RUNTIME,
                entry_point=entry_point,
                source=gcp.cloudfunctionsv2.FunctionBuildConfigSourceArgs(
                    storage_source=gcp.cloudfunctionsv2.FunctionBuildConfigSourceStorageSourceArgs(
                        bucket=self.source_bucket.name, object=self.source_object.name
                    )
                ),
            ),
            service_config=gcp.cloudfunctionsv2.FunctionServiceConfigArgs(
                service_account_email=account_email,
                ingress_settings="ALLOW_ALL",
                all_traffic_on_latest_revision=True,
                available_memory=memory,
                timeout_seconds=args.timeout_seconds,
                max_instance_count=args.max_instances,
                environment_variables=dict(environment),
                secret_environment_variables=secret_variables,
            ),
            opts=self._options,
        )

    # -- gateway ------------------------------------------------------------------------------

    def _document(self) -> pulumi.Output[str]:
        """Render the OpenAPI document (base64 YAML) once the function URLs are known."""
        args = self._args
        inputs: list[pulumi.Input[str]] = [self.intake_function.url]
        if self.token_function is not None and self.signing_account is not None:
            inputs += [self.signing_account.email, self.token_function.url]
        audience = token_audience(args.prefix)

        def render(values: list[str]) -> str:
            issuer = None
            token_url = None
            if len(values) == 3:
                email, token_url = values[1], values[2]
                jwks_uri = defaults.SERVICE_ACCOUNT_JWKS_URL.format(email=email)
                issuer = openapi.JwtIssuer(email, jwks_uri, audience)
            elif args.auth_mode == "oauth2" and args.oauth2.external is not None:
                external = args.oauth2.external
                issuer = openapi.JwtIssuer(external.issuer_url, external.jwks_url, external.audience)
            spec = openapi.OpenApiSpec(
                title=f"{args.prefix} AEP destination",
                intake_url=values[0],
                auth_mode=args.auth_mode,
                jwt=issuer,
                token_url=token_url,
                audience_api=args.audience_api,
                deadline_seconds=float(args.timeout_seconds + 1),
            )
            return openapi.encode(openapi.render(spec))

        return pulumi.Output.all(*inputs).apply(render)

    def _gateway(self, name: str, document: pulumi.Output[str]) -> None:
        args = self._args
        self.api = gcp.apigateway.Api(
            f"{name}-api",
            api_id=naming.resource_id(args.prefix, "api"),
            project=args.project,
            labels=dict(args.labels),
            opts=self._options,
        )
        if args.auth_mode != "oauth2":
            waivers.record(
                "apigw-jwt-every-path",
                f"{name}-config",
                f"AEP authenticates with {args.auth_mode} credentials, which API Gateway cannot check; the "
                "intake function checks them in constant time against Secret Manager values and answers 401.",
            )
        elif args.oauth2.issuer is IssuerKind.MANAGED:
            waivers.record(
                "apigw-jwt-every-path",
                f"{name}-config",
                f"{routes.TOKEN_PATH} issues the tokens, so its callers have none yet; the token function "
                "authenticates the client id and secret itself.",
            )
        # API configs are immutable: a changed document replaces the config, and Pulumi creates the new
        # one (under a fresh id from the prefix) before the gateway switches to it.
        self.api_config = gcp.apigateway.ApiConfig(
            f"{name}-config",
            api=self.api.api_id,
            api_config_id_prefix=naming.resource_id(args.prefix, "cfg", max_length=40) + "-",
            project=args.project,
            labels=dict(args.labels),
            openapi_documents=[
                gcp.apigateway.ApiConfigOpenapiDocumentArgs(
                    document=gcp.apigateway.ApiConfigOpenapiDocumentDocumentArgs(
                        path="openapi.yaml", contents=document
                    )
                )
            ],
            gateway_config=gcp.apigateway.ApiConfigGatewayConfigArgs(
                backend_config=gcp.apigateway.ApiConfigGatewayConfigBackendConfigArgs(
                    google_service_account=self.gateway_account.email
                )
            ),
            opts=pulumi.ResourceOptions(parent=self, replace_on_changes=["openapiDocuments"]),
        )
        self.gateway = gcp.apigateway.Gateway(
            f"{name}-gateway",
            gateway_id=naming.resource_id(args.prefix, "gateway"),
            api_config=self.api_config.id,
            region=args.region,
            project=args.project,
            labels=dict(args.labels),
            opts=self._options,
        )
