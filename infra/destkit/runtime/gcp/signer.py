"""A ``Signer`` that signs through the IAM Credentials API's ``signJwt`` as a service account.

Google holds the private key: the function sends the claims and receives a signed RS256 JWT whose
``kid`` names one of the service account's system-managed keys. Google publishes the matching public
keys, so this signer serves no JWKS of its own.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from destkit.runtime.gcp.credentials import CredentialProvider

TIMEOUT_SECONDS = 10.0


class SigningError(Exception):
    """signJwt failed, so the token endpoint responds with 503 and the client retries."""


def _post_json(url: str, body: dict[str, Any], headers: dict[str, str], timeout: float) -> dict[str, Any]:
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - URL from the deployment
        return dict(json.loads(response.read(1_000_000)))


class IamSignJwtSigner:
    """Sign claims as ``service_account`` through ``<api_base_url>/projects/-/serviceAccounts/...:signJwt``.

    ``api_base_url`` has no default: the deployment passes it (``DESTKIT_IAM_CREDENTIALS_URL``).
    """

    def __init__(
        self,
        service_account: str,
        credentials: CredentialProvider,
        api_base_url: str,
        post: Callable[[str, dict[str, Any], dict[str, str], float], dict[str, Any]] = _post_json,
        timeout: float = TIMEOUT_SECONDS,
    ):
        if not service_account or "@" not in service_account:
            raise ValueError(f"service account {service_account!r} is not an email address")
        if not api_base_url.startswith(("https://", "http://")):
            raise ValueError(f"IAM Credentials URL {api_base_url!r} must start with https://")
        self.service_account = service_account
        self.key_id = ""
        self._credentials = credentials
        account_path = quote(service_account, safe="@")
        self._url = f"{api_base_url.rstrip('/')}/projects/-/serviceAccounts/{account_path}:signJwt"
        self._post = post
        self._timeout = timeout

    def request(self, claims: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, str]]:
        """Build the signJwt call for ``claims``: URL, JSON body and headers."""
        headers = {
            "Authorization": f"Bearer {self._credentials.access_token()}",
            "Content-Type": "application/json",
        }
        return self._url, {"payload": json.dumps(claims, separators=(",", ":"))}, headers

    def sign(self, claims: dict[str, Any]) -> str:
        url, body, headers = self.request(claims)
        try:
            answer = self._post(url, body, headers, self._timeout)
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
            raise SigningError(f"signJwt failed: {type(error).__name__}") from None
        signed = answer.get("signedJwt")
        if not isinstance(signed, str) or signed.count(".") != 2:
            raise SigningError("signJwt returned no signed JWT")
        self.key_id = str(answer.get("keyId") or "")
        return signed

    def jwks(self) -> dict[str, Any]:
        raise NotImplementedError(
            "Google publishes this signer's keys at the service account's JWK URL; fetch them there"
        )
