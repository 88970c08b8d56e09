"""Entra ID clients for AEP: an app registration, its service principal and one client secret.

AEP authenticates with a client id and a client secret only (no certificate), so each tenant gets
its own app registration whose secret expires after the configured lifetime (at most two years).
The secret's end date is fixed when the secret is created. Later runs ignore the recomputed date,
so a plan does not replace the secret every day. Rotation is a runbook that also updates AEP.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_azuread as azuread

from destkit.azure import defaults
from destkit.azure.foundation import Foundation, store_secret


@dataclass
class ServiceClient:
    """One Entra ID client and its secret, copied to Key Vault."""

    application: azuread.Application
    service_principal: azuread.ServicePrincipal
    password: azuread.ApplicationPassword
    client_id: pulumi.Output[str]
    secret: pulumi.Output[str]
    """The client secret, a Pulumi secret."""
    vault_secret: pulumi.CustomResource


def password_end_date(validity_days: int, today: dt.date | None = None) -> str:
    """Return the RFC 3339 end date of a secret created ``today`` that lives ``validity_days``."""
    if not 1 <= validity_days <= defaults.MAX_SECRET_VALIDITY_DAYS:
        raise ValueError(
            f"secret validity of {validity_days} days is invalid; use 1 to "
            f"{defaults.MAX_SECRET_VALIDITY_DAYS} days (Entra ID allows at most two years)"
        )
    end = (today or dt.date.today()) + dt.timedelta(days=validity_days)
    return f"{end.isoformat()}T00:00:00Z"


def end_date_timestamp(end_date: str) -> int:
    """Convert an RFC 3339 end date to Unix time, the unit of Key Vault's ``expires``."""
    return int(dt.datetime.fromisoformat(end_date.replace("Z", "+00:00")).timestamp())


def create_client(
    name: str,
    *,
    display_name: str,
    validity_days: int,
    foundation: Foundation,
    vault_secret_name: str,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
    today: dt.date | None = None,
) -> ServiceClient:
    """Create an app registration, its service principal and a client secret kept in Key Vault."""
    child = pulumi.ResourceOptions(parent=parent)
    application = azuread.Application(
        f"{name}-app",
        display_name=display_name,
        sign_in_audience="AzureADMyOrg",
        opts=child,
    )
    service_principal = azuread.ServicePrincipal(
        f"{name}-sp",
        client_id=application.client_id,
        app_role_assignment_required=False,
        opts=child,
    )
    password = azuread.ApplicationPassword(
        f"{name}-secret",
        application_id=application.id,
        display_name="aep",
        end_date=password_end_date(validity_days, today),
        opts=pulumi.ResourceOptions(parent=parent, ignore_changes=["endDate"]),
    )
    secret: pulumi.Output[str] = pulumi.Output.secret(password.value)
    vault_secret = store_secret(
        f"{name}-vault-secret",
        foundation=foundation,
        secret_name=vault_secret_name,
        value=secret,
        content_type="client-secret",
        expires=password.end_date.apply(end_date_timestamp),
        tags=tags,
        parent=parent,
    )
    # No automatic rotation: AEP keeps its own copy of this client secret, so rotating only the
    # Entra ID copy would break delivery silently. The runbook in docs/azure.md updates both.
    return ServiceClient(
        application=application,
        service_principal=service_principal,
        password=password,
        client_id=application.client_id,
        secret=secret,
        vault_secret=vault_secret,
    )
