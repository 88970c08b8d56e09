"""``StreamingEndpoint``: API Management in front of the intake function on Flex Consumption.

API Management authenticates every operation (OAuth 2.0 with the managed Entra ID issuer or an
external issuer, bearer or Basic), maps the caller to a tenant and passes the tenant in a header
that it sets itself. The function admits only API Management's managed identity, so the header
cannot come from anyone else. See :mod:`destkit.azure.policies` for the policy documents.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_azure_native as azure_native
import pulumi_azuread as azuread
import pulumi_random as random

from destkit.azure import defaults, gateway, naming, policies
from destkit.azure.foundation import Foundation, expiry_timestamp, key_vault_secret_uri, store_secret
from destkit.azure.functions import FunctionAppSettings, IntakeFunction, build_function_app
from destkit.azure.identity import ServiceClient, create_client
from destkit.azure.sink import Sink
from destkit.azure.storage import assign_role, container_scope
from destkit.config import AuthMode, IssuerKind, StreamingConfig
from destkit.outputs import streaming_stack_outputs
from destkit.runtime import routes

APP_ROLE = "Ingest.Write"
TOKEN_LENGTH = 48
PASSWORD_LENGTH = 40


@dataclass(frozen=True)
class StreamingEndpointArgs:
    """Settings of a :class:`StreamingEndpoint`."""

    tenants: Sequence[str]
    prefix: str
    location: str
    foundation: Foundation
    sink: Sink
    streaming: StreamingConfig = field(default_factory=StreamingConfig)
    max_body_bytes: int = 16_000_000
    profile: str = "consumption"
    """``consumption`` or ``isolated`` (Premium v2 gateway in a subnet, private function)."""
    apim_subnet_id: str | None = None
    private_endpoint_subnet_id: str | None = None
    publisher_email: str = "platform-team@example.com"
    publisher_name: str = "Platform team"
    client_secret_validity_days: int = 365
    bearer_tokens: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    basic_passwords: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    protect: bool = True

    def problems(self) -> list[str]:
        """Return every invalid setting, each naming the field and what is allowed."""
        found: list[str] = []
        if not self.tenants:
            found.append("tenants is empty; give at least one tenant id")

        if self.profile not in defaults.APIM_SKUS:
            found.append(f"profile {self.profile!r} is invalid; use one of {sorted(defaults.APIM_SKUS)}")
        if self.profile == "isolated" and not (self.apim_subnet_id and self.private_endpoint_subnet_id):
            found.append("the isolated profile needs apim_subnet_id and private_endpoint_subnet_id")
        if self.location not in defaults.FLEX_CONSUMPTION_LOCATIONS:
            found.append(
                f"location {self.location!r} does not offer the Flex Consumption plan (checked against the "
                "kit's list; run `az functionapp list-flexconsumption-locations` to see the current one)"
            )

        streaming = self.streaming
        if streaming.audience_api and streaming.auth is AuthMode.BASIC:
            found.append(
                "audience_api needs auth oauth2 or bearer; Adobe's audience templates do not support Basic"
            )
        oauth2 = streaming.oauth2
        if (
            streaming.auth is AuthMode.OAUTH2
            and oauth2.issuer is IssuerKind.EXTERNAL
            and oauth2.external is None
        ):
            found.append("streaming.oauth2.external is required when streaming.oauth2.issuer is external")
        if oauth2.external is not None:
            for client_id in oauth2.external.tenant_by_client_id:
                found.extend(
                    _credential_problem(lambda _tenant, value: policies.check_client_id(value), "", client_id)
                )

        for field_name, supplied in (
            ("bearer_tokens", self.bearer_tokens),
            ("basic_passwords", self.basic_passwords),
        ):
            unknown = sorted(set(supplied) - set(self.tenants))
            if unknown:
                found.append(f"{field_name} names unknown tenants {unknown}; allowed: {sorted(self.tenants)}")
        for tenant, token in self.bearer_tokens.items():
            if isinstance(token, str):
                found.extend(_credential_problem(policies.check_bearer_token, tenant, token))
        for tenant, password in self.basic_passwords.items():
            if isinstance(password, str):
                found.extend(_credential_problem(policies.check_basic_password, tenant, password))
        return found


def _credential_problem(check: Any, tenant: str, value: str) -> list[str]:
    try:
        check(tenant, value)
    except ValueError as error:
        return [str(error)]
    return []


def app_role_id(seed: str) -> str:
    """Return a stable UUID for the app role, derived from ``seed``."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"destkit:{seed}:{APP_ROLE}"))


def token_url(tenant_id: str) -> str:
    """Return Entra ID's v2 token endpoint for ``tenant_id``."""
    return f"https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/token"


def issuer_url(tenant_id: str) -> str:
    """Return the ``iss`` claim of Entra ID v2 access tokens for ``tenant_id``."""
    return f"https://login.microsoftonline.com/{tenant_id}/v2.0"


def basic_username(tenant: str) -> str:
    return f"aep-{tenant}"


class StreamingEndpoint(pulumi.ComponentResource):
    """The streaming intake: API Management, its authentication, and the Flex Consumption function."""

    url: pulumi.Output[str]
    audience_api_url: pulumi.Output[str] | None
    auth_type: str
    token_url: pulumi.Output[str] | None
    scope: pulumi.Output[str] | None
    max_body_bytes: int
    client_ids: dict[str, pulumi.Output[str]]
    client_secrets: dict[str, pulumi.Output[str]]
    tokens: dict[str, pulumi.Output[str]]
    usernames: dict[str, str]
    passwords: dict[str, pulumi.Output[str]]
    service: azure_native.apimanagement.ApiManagementService
    function: IntakeFunction
    api: azure_native.apimanagement.Api
    backend_application: azuread.Application
    api_application: azuread.Application | None
    clients: dict[str, ServiceClient]

    def __init__(self, name: str, args: StreamingEndpointArgs, opts: pulumi.ResourceOptions | None = None):
        problems = args.problems()
        if problems:
            raise ValueError("invalid StreamingEndpointArgs:\n" + "\n".join(f"  - {p}" for p in problems))
        super().__init__("destkit:azure:StreamingEndpoint", name, None, opts)
        seed = f"{pulumi.get_project()}/{pulumi.get_stack()}/{name}"
        foundation = args.foundation
        streaming = args.streaming
        tags = dict(args.tags)
        child = pulumi.ResourceOptions(parent=self)

        self.auth_type = streaming.auth.value
        self.max_body_bytes = args.max_body_bytes
        self.client_ids, self.client_secrets, self.tokens, self.passwords = {}, {}, {}, {}
        self.usernames = {}
        self.clients = {}
        self.token_url, self.scope, self.api_application = None, None, None

        self.service = gateway.build_service(
            name,
            gateway.GatewaySettings(
                service_name=naming.apim_name(args.prefix, seed),
                profile=args.profile,
                resource_group_name=foundation.resource_group_name,
                location=args.location,
                publisher_email=args.publisher_email,
                publisher_name=args.publisher_name,
                subnet_id=args.apim_subnet_id,
                tags=tags,
            ),
            self,
        )
        gateway_principal = self.service.identity.apply(
            lambda identity: identity.principal_id if identity else ""
        )

        # The app registration API Management's managed identity gets tokens for; App Service
        # authentication on the function accepts only those tokens.
        self.backend_application = azuread.Application(
            f"{name}-backend-app",
            display_name=f"{args.prefix}-intake-backend",
            sign_in_audience="AzureADMyOrg",
            opts=child,
        )
        backend_client_id = self.backend_application.client_id
        # Managed identities get tokens only for applications that have a service principal.
        azuread.ServicePrincipal(
            f"{name}-backend-sp", client_id=backend_client_id, app_role_assignment_required=False, opts=child
        )

        self.function = build_function_app(
            name,
            FunctionAppSettings(
                app_name=naming.function_app_name(args.prefix, seed),
                host_account_name=naming.storage_account_name(args.prefix, "fnhost", seed),
                resource_group_name=foundation.resource_group_name,
                location=args.location,
                workspace_id=foundation.workspace_id,
                subscription_id=foundation.context.subscription_id,
                tenant_id=foundation.context.tenant_id,
                backend_client_id=backend_client_id,
                gateway_principal_id=gateway_principal,
                environment=self._environment(args, gateway_principal),
                private=args.profile == "isolated",
                tags=tags,
                protect=args.protect,
            ),
            self,
        )
        assign_role(
            f"{name}-sink-writer",
            scope=container_scope(args.sink.account.id, args.sink.container_name),
            principal_id=self.function.principal_id,
            role_guid=args.sink.writer_role,
            subscription_id=foundation.context.subscription_id,
            principal_type="ServicePrincipal",
            parent=self,
        )
        if args.profile == "isolated":
            self._private_endpoint(name, args)

        diagnostic = gateway.build_logging(
            name,
            service=self.service,
            resource_group_name=foundation.resource_group_name,
            insights=self.function.insights,
            parent=self,
        )
        gateway_roles = [
            assign_role(
                f"{name}-gateway-telemetry",
                scope=self.function.insights.id,
                principal_id=gateway_principal,
                role_guid=defaults.ROLE_MONITORING_METRICS_PUBLISHER,
                subscription_id=foundation.context.subscription_id,
                principal_type="ServicePrincipal",
                parent=self,
            )
        ]

        policy_xml = self._set_up_authentication(
            name, args, seed, backend_client_id, gateway_principal, gateway_roles
        )
        route_list = list(routes.INTAKE_ROUTES) + (
            list(routes.AUDIENCE_ROUTES) if streaming.audience_api else []
        )
        self.api = gateway.build_api(
            name,
            service=self.service,
            resource_group_name=foundation.resource_group_name,
            function_hostname=self.function.hostname,
            routes=route_list,
            policy_xml=policy_xml,
            parent=self,
            depends_on=[diagnostic, *gateway_roles],
        )

        base_url = self.service.gateway_url.apply(lambda url: f"{url.rstrip('/')}/{gateway.API_PATH}")
        self.url = pulumi.Output.concat(base_url, routes.INTAKE_PATH)
        self.audience_api_url = (
            pulumi.Output.concat(base_url, routes.AUDIENCES_PATH) if streaming.audience_api else None
        )
        self.register_outputs(
            {"url": self.url, "auth_type": self.auth_type, "max_body_bytes": self.max_body_bytes}
        )

    # -- function ------------------------------------------------------------------------------

    def _environment(
        self, args: StreamingEndpointArgs, gateway_principal: pulumi.Output[str]
    ) -> dict[str, Any]:
        return {
            "DESTKIT_SINK_ACCOUNT_URL": args.sink.blob_endpoint,
            "DESTKIT_SINK_CONTAINER": args.sink.container_name,
            "DESTKIT_MAX_BODY_BYTES": str(args.max_body_bytes),
            "DESTKIT_MAX_DECOMPRESSED_BYTES": str(args.streaming.max_decompressed_bytes),
            "DESTKIT_PAYLOAD_MODE": args.streaming.payload_mode.value,
            "DESTKIT_AUDIENCE_API": "true" if args.streaming.audience_api else "false",
            "DESTKIT_GATEWAY_PRINCIPAL_ID": gateway_principal,
        }

    def _private_endpoint(self, name: str, args: StreamingEndpointArgs) -> None:
        # NOTE: the gateway resolves the app through the privatelink.azurewebsites.net zone. The kit
        # does not create it, so the network owner links it to the gateway's virtual network.
        azure_native.network.PrivateEndpoint(
            f"{name}-function-endpoint",
            resource_group_name=args.foundation.resource_group_name,
            location=args.location,
            subnet={"id": args.private_endpoint_subnet_id},
            private_link_service_connections=[
                {"name": "function", "private_link_service_id": self.function.app.id, "group_ids": ["sites"]}
            ],
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )

    # -- authentication ------------------------------------------------------------------------

    def _set_up_authentication(
        self,
        name: str,
        args: StreamingEndpointArgs,
        seed: str,
        backend_client_id: pulumi.Output[str],
        gateway_principal: pulumi.Output[str],
        gateway_roles: list[azure_native.authorization.RoleAssignment],
    ) -> pulumi.Output[str]:
        streaming = args.streaming
        if streaming.auth is AuthMode.OAUTH2:
            if streaming.oauth2.issuer is IssuerKind.MANAGED:
                return self._managed_issuer(name, args, seed, backend_client_id)
            return self._external_issuer(args, backend_client_id)
        return self._shared_secrets(name, args, backend_client_id, gateway_principal, gateway_roles)

    def _managed_issuer(
        self, name: str, args: StreamingEndpointArgs, seed: str, backend_client_id: pulumi.Output[str]
    ) -> pulumi.Output[str]:
        child = pulumi.ResourceOptions(parent=self)
        role_id = app_role_id(seed)
        api_app = azuread.Application(
            f"{name}-api-app",
            display_name=f"{args.prefix}-intake",
            sign_in_audience="AzureADMyOrg",
            api={"requested_access_token_version": 2},
            app_roles=[
                {
                    "allowed_member_types": ["Application"],
                    "description": "Send profile batches to the AEP destination intake",
                    "display_name": "Ingest",
                    "enabled": True,
                    "id": role_id,
                    "value": APP_ROLE,
                }
            ],
            opts=child,
        )
        self.api_application = api_app
        azuread.ApplicationIdentifierUri(
            f"{name}-api-uri",
            application_id=api_app.id,
            identifier_uri=api_app.client_id.apply(lambda client: f"api://{client}"),
            opts=child,
        )
        api_principal = azuread.ServicePrincipal(
            f"{name}-api-sp", client_id=api_app.client_id, app_role_assignment_required=True, opts=child
        )
        tenant_id = args.foundation.context.tenant_id
        self.token_url = tenant_id.apply(token_url)
        self.scope = api_app.client_id.apply(lambda client: f"api://{client}/.default")

        for tenant in args.tenants:
            client = create_client(
                f"{name}-{tenant}-client",
                display_name=f"{args.prefix}-aep-{tenant}",
                validity_days=args.client_secret_validity_days,
                foundation=args.foundation,
                vault_secret_name=f"oauth-{tenant}-client-secret",
                tags=args.tags,
                parent=self,
            )
            # Only this role, assigned to each tenant's client, lets a token through the gateway.
            azuread.AppRoleAssignment(
                f"{name}-{tenant}-role",
                app_role_id=role_id,
                principal_object_id=client.service_principal.object_id,
                resource_object_id=api_principal.object_id,
                opts=child,
            )
            self.clients[tenant] = client
            self.client_ids[tenant] = client.client_id
            self.client_secrets[tenant] = client.secret

        mapping = pulumi.Output.all(*[self.client_ids[t] for t in args.tenants]).apply(
            lambda ids: dict(zip(ids, args.tenants, strict=True))
        )
        return pulumi.Output.all(tenant_id, api_app.client_id, mapping, backend_client_id).apply(
            lambda values: policies.oauth_policy(
                policies.OAuthValidation(
                    openid_config_url=f"{issuer_url(values[0])}/.well-known/openid-configuration",
                    issuer=issuer_url(values[0]),
                    audience=values[1],
                    tenant_by_client_id=values[2],
                    required_role=APP_ROLE,
                ),
                values[3],
            )
        )

    def _external_issuer(
        self, args: StreamingEndpointArgs, backend_client_id: pulumi.Output[str]
    ) -> pulumi.Output[str]:
        external = args.streaming.oauth2.external
        assert external is not None  # checked in problems()
        self.token_url = pulumi.Output.from_input(external.token_url)
        if external.scope:
            self.scope = pulumi.Output.from_input(external.scope)
        # NOTE: API Management's validate-jwt reads keys through OpenID discovery, so the issuer must
        # publish /.well-known/openid-configuration; the configured jwks_url is not used here.
        validation = policies.OAuthValidation(
            openid_config_url=f"{external.issuer_url.rstrip('/')}/.well-known/openid-configuration",
            issuer=external.issuer_url,
            audience=external.audience,
            tenant_by_client_id=dict(external.tenant_by_client_id),
        )
        return backend_client_id.apply(lambda backend: policies.oauth_policy(validation, backend))

    def _shared_secrets(
        self,
        name: str,
        args: StreamingEndpointArgs,
        backend_client_id: pulumi.Output[str],
        gateway_principal: pulumi.Output[str],
        gateway_roles: list[azure_native.authorization.RoleAssignment],
    ) -> pulumi.Output[str]:
        mode = args.streaming.auth
        supplied = args.bearer_tokens if mode is AuthMode.BEARER else args.basic_passwords
        child = pulumi.ResourceOptions(parent=self)
        secret_uris: dict[str, pulumi.Output[str]] = {}
        vault_secrets = []
        for tenant in args.tenants:
            if tenant in supplied:
                value = pulumi.Output.secret(supplied[tenant])
            else:
                generated = random.RandomPassword(
                    f"{name}-{tenant}-{mode.value}",
                    length=TOKEN_LENGTH if mode is AuthMode.BEARER else PASSWORD_LENGTH,
                    special=False,
                    opts=child,
                )
                value = pulumi.Output.secret(generated.result)
            secret_name = f"{mode.value}-{tenant}"
            vault_secrets.append(
                store_secret(
                    f"{name}-{tenant}-{mode.value}-secret",
                    foundation=args.foundation,
                    secret_name=secret_name,
                    value=value,
                    content_type=f"{mode.value}-credential",
                    expires=expiry_timestamp(defaults.MAX_SECRET_VALIDITY_DAYS),
                    tags=args.tags,
                    parent=self,
                )
            )
            # No automatic rotation: AEP keeps its own copy of this credential, so rotating only the
            # Key Vault copy would break delivery silently. The runbook in docs/azure.md updates both.
            secret_uris[tenant] = key_vault_secret_uri(args.foundation.key_vault_uri, secret_name)
            if mode is AuthMode.BEARER:
                self.tokens[tenant] = value
            else:
                self.usernames[tenant] = basic_username(tenant)
                self.passwords[tenant] = value

        # The gateway reads each named value from Key Vault with its managed identity, with read
        # access to that secret only.
        for tenant, vault_secret in zip(args.tenants, vault_secrets, strict=True):
            gateway_roles.append(
                assign_role(
                    f"{name}-{tenant}-gateway-secret-reader",
                    scope=vault_secret.id,
                    principal_id=gateway_principal,
                    role_guid=defaults.ROLE_KEY_VAULT_SECRETS_USER,
                    subscription_id=args.foundation.context.subscription_id,
                    principal_type="ServicePrincipal",
                    parent=self,
                )
            )
        named = gateway.build_named_values(
            f"{mode.value}",
            service=self.service,
            resource_group_name=args.foundation.resource_group_name,
            secret_uris=secret_uris,
            parent=self,
            depends_on=[*vault_secrets, *gateway_roles],
        )
        if mode is AuthMode.BEARER:
            return backend_client_id.apply(lambda backend: policies.bearer_policy(named, backend))
        return backend_client_id.apply(lambda backend: policies.basic_policy(self.usernames, named, backend))

    # -- stack outputs -------------------------------------------------------------------------

    def stack_outputs(self) -> dict[str, Any]:
        """Return the outputs-table values that apply to this endpoint's auth mode."""
        return streaming_stack_outputs(self)
