"""Bearer-token and HTTP Basic authentication, compared in constant time.

Each authenticator maps an ``Authorization`` header to a tenant id or raises ``AuthError``. Every
tenant's credential is compared on every call, so the time taken does not reveal which tenant or
which prefix matched.
"""

from __future__ import annotations

import binascii
import hmac
from base64 import b64decode
from collections.abc import Callable, Mapping


class AuthError(Exception):
    """Missing, malformed or wrong credentials; the caller responds with 401. ``code`` is the error code."""

    def __init__(self, message: str, code: str = "unauthorized"):
        super().__init__(message)
        self.code = code


def split_authorization(header: str | None, expected_scheme: str) -> str:
    """Return the credentials part of an ``Authorization`` header that uses ``expected_scheme``."""
    if not header:
        raise AuthError("the Authorization header is missing")
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != expected_scheme.lower():
        raise AuthError(f"the Authorization scheme must be {expected_scheme}")
    credentials = credentials.strip()
    if not credentials or " " in credentials or "," in credentials:
        raise AuthError(f"the {expected_scheme} credentials are malformed")
    return credentials


def _equal(candidate: str, expected: str) -> bool:
    return hmac.compare_digest(candidate.encode("utf-8"), expected.encode("utf-8"))


class BearerAuthenticator:
    """Static bearer tokens, one per tenant. ``tokens`` is a mapping or a function returning one."""

    def __init__(self, tokens: Mapping[str, str] | Callable[[], Mapping[str, str]]):
        self._tokens = tokens

    def authenticate(self, header: str | None) -> str:
        token = split_authorization(header, "Bearer")
        tokens = self._tokens() if callable(self._tokens) else self._tokens
        matched = None
        for tenant, expected in tokens.items():
            if _equal(token, expected) and matched is None:
                matched = tenant
        if matched is None:
            raise AuthError("the bearer token matches no tenant")
        return matched


class BasicAuthenticator:
    """HTTP Basic credentials, one user name and password per tenant."""

    def __init__(
        self,
        credentials: Mapping[str, tuple[str, str]] | Callable[[], Mapping[str, tuple[str, str]]],
    ):
        self._credentials = credentials

    def authenticate(self, header: str | None) -> str:
        encoded = split_authorization(header, "Basic")
        try:
            decoded = b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise AuthError("the Basic credentials are not base64 of UTF-8 'user:password'") from None
        username, separator, password = decoded.partition(":")
        if not separator:
            raise AuthError("the Basic credentials have no ':' between user name and password")
        credentials = self._credentials() if callable(self._credentials) else self._credentials
        matched = None
        for tenant, (expected_user, expected_password) in credentials.items():
            user_ok = _equal(username, expected_user)
            password_ok = _equal(password, expected_password)
            if user_ok and password_ok and matched is None:
                matched = tenant
        if matched is None:
            raise AuthError("the user name or password is wrong")
        return matched
