"""Per-tenant bearer tokens and Basic credentials, stored in Secrets Manager.

Values the user supplied are used as they are (wrapped as Pulumi secrets); the others are
generated with pulumi-random. The Lambda authorizer reads the secrets at run time and compares
them in constant time, so no credential sits in an environment variable.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from destkit import waivers
from destkit.config import AuthMode

TOKEN_LENGTH = 48
PASSWORD_LENGTH = 40
SECRET_RECOVERY_WINDOW_DAYS = 30


def basic_username(tenant: str) -> str:
    """Return the Basic-auth user name of ``tenant``; tenant ids contain no ``:``, so it is valid."""
    return f"aep-{tenant}"


def basic_secret_string(username: str, password: str) -> str:
    """Serialise a Basic credential the way the authorizer reads it."""
    return json.dumps({"username": username, "password": password}, sort_keys=True)


@dataclass
class TenantCredentials:
    """Per-tenant credentials: secret values as Pulumi secrets, and their Secrets Manager secrets."""

    secrets: dict[str, aws.secretsmanager.Secret] = field(default_factory=dict)
    values: dict[str, pulumi.Output[str]] = field(default_factory=dict)
    usernames: dict[str, str] = field(default_factory=dict)


def create_credentials(
    name: str,
    *,
    mode: AuthMode,
    tenants: Sequence[str],
    supplied: Mapping[str, pulumi.Input[str]],
    kms_key_arn: pulumi.Input[str],
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> TenantCredentials:
    """Create one secret per tenant holding its bearer token or Basic credential."""
    if mode is AuthMode.OAUTH2:
        raise ValueError("create_credentials handles bearer and basic; oauth2 clients come from the issuer")
    unknown = sorted(set(supplied) - set(tenants))
    if unknown:
        raise ValueError(f"supplied credentials for unknown tenants {unknown}; allowed: {sorted(tenants)}")

    child = pulumi.ResourceOptions(parent=parent)
    credentials = TenantCredentials()
    for tenant in tenants:
        prefix = f"{name}-{tenant}"
        value: pulumi.Output[str]
        if tenant in supplied:
            value = pulumi.Output.secret(supplied[tenant])
        else:
            generated = random.RandomPassword(
                f"{prefix}-{mode.value}",
                length=TOKEN_LENGTH if mode is AuthMode.BEARER else PASSWORD_LENGTH,
                special=False,
                opts=child,
            )
            value = pulumi.Output.secret(generated.result)

        secret_name = f"{prefix}-{mode.value}"
        secret = aws.secretsmanager.Secret(
            secret_name,
            description=f"{mode.value} credential AEP sends for tenant {tenant}",
            kms_key_id=kms_key_arn,
            recovery_window_in_days=SECRET_RECOVERY_WINDOW_DAYS,
            tags=dict(tags),
            opts=child,
        )
        waivers.record(
            "secret-rotation",
            secret_name,
            "AEP keeps its own copy of this credential; automatic rotation would change only our "
            "copy and break delivery silently, so it is rotated by a runbook that updates AEP too",
        )
        if mode is AuthMode.BASIC:
            username = basic_username(tenant)
            credentials.usernames[tenant] = username
            # apply keeps the secret flag of ``value``, so the JSON stays a secret.
            secret_string: pulumi.Output[str] = value.apply(functools.partial(basic_secret_string, username))
        else:
            secret_string = value
        aws.secretsmanager.SecretVersion(
            f"{prefix}-{mode.value}-version",
            secret_id=secret.id,
            secret_string=secret_string,
            opts=child,
        )
        credentials.secrets[tenant] = secret
        credentials.values[tenant] = value
    return credentials
