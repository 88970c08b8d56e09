"""Clients for Adobe IMS (OAuth server-to-server tokens) and the Destination SDK authoring API."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from destkit.adobe.http import AdobeApiError, request_json
from destkit.adobe.objects import COLLECTIONS

# Scopes that AdobeDocs examples request for Experience Platform APIs. A project's own list is shown in
# Adobe Developer Console ("View cURL command"); override it with DESTKIT_ADOBE_SCOPES.
DEFAULT_SCOPES = "openid,AdobeID,read_organizations,additional_info.projectedProductContext,session"


@dataclass(frozen=True)
class AdobeCredentials:
    """The Developer Console project that calls the authoring API, and the sandbox it works in."""

    client_id: str
    client_secret: str
    org_id: str
    sandbox: str
    scopes: str = DEFAULT_SCOPES


@dataclass(frozen=True)
class AccessToken:
    value: str
    expires_at: float


def fetch_ims_token(ims_url: str, credentials: AdobeCredentials) -> AccessToken:
    """Obtain an access token with the OAuth 2.0 client-credentials grant (IMS token endpoint v3)."""
    response = request_json(
        "POST",
        ims_url,
        form={
            "grant_type": "client_credentials",
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
            "scope": credentials.scopes,
        },
    )
    body = response.body if isinstance(response.body, dict) else {}
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise AdobeApiError("the IMS token response has no access_token", response.status)
    expires_in = body.get("expires_in")
    lifetime = float(expires_in) if isinstance(expires_in, (int, float)) else 0.0
    return AccessToken(token, time.time() + lifetime)


class AuthoringClient:
    """Create, read and update Destination SDK objects, sending the headers every call requires."""

    def __init__(self, base_url: str, token: AccessToken, credentials: AdobeCredentials) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {
            "Authorization": f"Bearer {token.value}",
            "x-api-key": credentials.client_id,
            "x-gw-ims-org-id": credentials.org_id,
            "x-sandbox-name": credentials.sandbox,
        }

    def _url(self, kind: str, instance_id: str | None = None) -> str:
        url = self.base_url + COLLECTIONS[kind]
        return f"{url}/{instance_id}" if instance_id else url

    def create(self, kind: str, body: dict[str, Any]) -> str:
        """Create an object and return the ``instanceId`` the API assigned."""
        response = request_json("POST", self._url(kind), headers=self.headers, body=body)
        instance_id = response.body.get("instanceId") if isinstance(response.body, dict) else None
        if not isinstance(instance_id, str) or not instance_id:
            raise AdobeApiError(f"creating a {kind} returned no instanceId", response.status)
        return instance_id

    def get(self, kind: str, instance_id: str) -> dict[str, Any] | None:
        """Return the stored object, or None when the API returns 404."""
        try:
            response = request_json("GET", self._url(kind, instance_id), headers=self.headers)
        except AdobeApiError as error:
            if error.status == 404:
                return None
            raise
        return response.body if isinstance(response.body, dict) else {}

    def update(self, kind: str, instance_id: str, body: dict[str, Any]) -> None:
        request_json("PUT", self._url(kind, instance_id), headers=self.headers, body=body)
