"""The managed OAuth 2.0 issuer: a Cognito user pool that issues client-credentials tokens.

One app client per tenant, each allowed only the client-credentials grant and the kit's scope.
AEP fetches tokens from the pool's domain; the gateway's Cognito authorizer requires the scope.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from destkit import naming, waivers

RESOURCE_SERVER_IDENTIFIER = "destkit"
DOMAIN_SUFFIX_LENGTH = 8
# Cognito rejects domain prefixes that contain these words.
_RESERVED_DOMAIN_WORDS = re.compile(r"aws|amazon|cognito")
# Cognito's maximum access-token validity for app clients is one day.
MAX_TOKEN_VALIDITY_HOURS = 24


def domain_prefix(name_prefix: str, suffix: str) -> str:
    """Build a valid Cognito domain prefix from the stack's name prefix and a random suffix.

    Reserved words are removed and the result is cut so that the suffix always fits.
    """
    base = _RESERVED_DOMAIN_WORDS.sub("", name_prefix.lower())
    base = re.sub(r"[^a-z0-9-]+", "-", base)
    base = re.sub(r"-{2,}", "-", base).strip("-")
    base = base[: 62 - len(suffix)].rstrip("-")
    prefix = f"{base}-{suffix}" if base else f"destkit-{suffix}"
    problem = naming.cognito_domain_problem(prefix)
    if problem:
        raise ValueError(f"Cognito domain prefix {prefix!r} is invalid: {problem}")
    return prefix


def token_url(domain: str, region: str) -> str:
    return f"https://{domain}.auth.{region}.amazoncognito.com/oauth2/token"


@dataclass
class ManagedIssuer:
    """Cognito resources and the values AEP needs to request tokens."""

    user_pool: aws.cognito.UserPool
    domain: aws.cognito.UserPoolDomain
    resource_server: aws.cognito.ResourceServer
    scope: str
    token_url: pulumi.Output[str]
    issuer_url: pulumi.Output[str]
    clients: dict[str, aws.cognito.UserPoolClient] = field(default_factory=dict)

    def client_ids(self) -> dict[str, pulumi.Output[str]]:
        return {tenant: client.id for tenant, client in self.clients.items()}

    def client_secrets(self) -> dict[str, pulumi.Output[str]]:
        # The provider marks client_secret secret on the resource; the explicit wrap keeps it
        # secret under engines that ignore additional_secret_outputs.
        return {tenant: pulumi.Output.secret(client.client_secret) for tenant, client in self.clients.items()}

    def tenant_by_client_id(self) -> pulumi.Output[dict[str, str]]:
        pairs = [pulumi.Output.all(client.id, tenant) for tenant, client in self.clients.items()]
        return pulumi.Output.all(*pairs).apply(
            lambda items: {client_id: tenant for client_id, tenant in items}
        )


def create_managed_issuer(
    name: str,
    *,
    name_prefix: str,
    tenants: Sequence[str],
    scope_name: str,
    token_validity_hours: int,
    region: pulumi.Input[str],
    protect: bool,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> ManagedIssuer:
    """Create the user pool, its domain, the resource server with the scope and one client per tenant."""
    if not 1 <= token_validity_hours <= MAX_TOKEN_VALIDITY_HOURS:
        raise ValueError(
            f"token_validity_hours {token_validity_hours} is invalid: Cognito accepts 1 to "
            f"{MAX_TOKEN_VALIDITY_HOURS} hours"
        )
    child = pulumi.ResourceOptions(parent=parent)
    pool = aws.cognito.UserPool(
        f"{name}-issuer",
        name=f"{name_prefix}-issuer",
        # Machine-to-machine only: self sign-up is off, and the pool has no users.
        admin_create_user_config={"allow_admin_create_user_only": True},
        deletion_protection="ACTIVE" if protect else "INACTIVE",
        mfa_configuration="OFF",
        tags=dict(tags),
        opts=child,
    )
    waivers.record(
        "token-issuer-m2m",
        f"{name}-issuer",
        "Cognito threat protection (Plus tier) targets human sign-in; this pool has no users and "
        "issues only client-credentials tokens",
    )

    suffix = random.RandomString(
        f"{name}-issuer-domain-suffix",
        length=DOMAIN_SUFFIX_LENGTH,
        special=False,
        upper=False,
        opts=child,
    )
    domain = aws.cognito.UserPoolDomain(
        f"{name}-issuer-domain",
        domain=suffix.result.apply(lambda value: domain_prefix(name_prefix, value)),
        user_pool_id=pool.id,
        opts=child,
    )
    resource_server = aws.cognito.ResourceServer(
        f"{name}-issuer-api",
        identifier=RESOURCE_SERVER_IDENTIFIER,
        name=f"{name_prefix} intake",
        scopes=[{"scope_name": scope_name, "scope_description": "Send profile batches to the intake"}],
        user_pool_id=pool.id,
        opts=child,
    )
    scope = f"{RESOURCE_SERVER_IDENTIFIER}/{scope_name}"

    issuer = ManagedIssuer(
        user_pool=pool,
        domain=domain,
        resource_server=resource_server,
        scope=scope,
        token_url=pulumi.Output.all(domain.domain, region).apply(
            lambda values: token_url(values[0], values[1])
        ),
        issuer_url=pool.endpoint.apply(lambda endpoint: f"https://{endpoint}"),
    )
    for tenant in tenants:
        client_name = f"{name}-{tenant}-client"
        issuer.clients[tenant] = aws.cognito.UserPoolClient(
            client_name,
            name=f"{name_prefix}-{tenant}",
            user_pool_id=pool.id,
            generate_secret=True,
            allowed_oauth_flows=["client_credentials"],
            allowed_oauth_flows_user_pool_client=True,
            allowed_oauth_scopes=[scope],
            supported_identity_providers=["COGNITO"],
            access_token_validity=token_validity_hours,
            token_validity_units={"access_token": "hours"},
            enable_token_revocation=True,
            prevent_user_existence_errors="ENABLED",
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[resource_server]),
        )
        if token_validity_hours > 1:
            waivers.record(
                "token-issuer-m2m",
                client_name,
                f"access tokens live {token_validity_hours} hours: Adobe recommends at least 24 hours "
                "for the tokens AEP fetches, and Cognito allows at most one day",
            )
    return issuer
