"""OAuth 2.0 access tokens: signing, verification and the client-credentials token endpoint.

``Signer`` and ``Verifier`` are small interfaces so a cloud signing service can replace the in-memory
RSA key. Tokens are RS256 JWTs; verification pins the algorithm list, so ``none`` and HS256 tokens
signed with the public key (algorithm confusion) are rejected.
"""

from __future__ import annotations

import hmac
import json
import os
import threading
import time
import urllib.request
from base64 import b64decode
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote_plus

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from destkit.runtime.auth import AuthError, split_authorization
from destkit.runtime.core import Response

ALGORITHMS = ("RS256",)
DEFAULT_LEEWAY_SECONDS = 30


class Signer(Protocol):
    key_id: str

    def sign(self, claims: dict[str, Any]) -> str:
        """Return a compact RS256 JWT carrying ``claims``."""
        ...

    def jwks(self) -> dict[str, Any]:
        """Return the public JSON Web Key Set that verifies this signer's tokens."""
        ...


class Verifier(Protocol):
    def verify(self, token: str) -> dict[str, Any]:
        """Return the token's claims, or raise ``AuthError``."""
        ...


class LocalRsaSigner:
    """An RSA key held in memory, generated at start-up unless ``private_key`` is given."""

    def __init__(self, private_key: rsa.RSAPrivateKey | None = None, key_id: str | None = None):
        self._private_key = private_key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_id = key_id or os.urandom(8).hex()

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self._private_key, algorithm="RS256", headers={"kid": self.key_id})

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._private_key.public_key()))
        public.update({"kid": self.key_id, "use": "sig", "alg": "RS256"})
        return {"keys": [public]}


def fetch_url(url: str, timeout: float = 5.0) -> bytes:
    """Fetch ``url`` with a GET; the default JWKS fetcher."""
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"JWKS URL {url!r} must start with https://")
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - scheme checked above
        return response.read(1_000_000)


class JwksKeySource:
    """Public keys from a JWKS document, refetched at most once per ``min_refetch_seconds``.

    A token with an unknown key id triggers one refetch (the issuer may have rotated its key); further
    unknown ids inside the interval fail without contacting the issuer, so forged key ids cannot be used
    to flood it.
    """

    def __init__(
        self,
        load: Callable[[], Mapping[str, Any]],
        min_refetch_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._load = load
        self._min_refetch_seconds = min_refetch_seconds
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()
        self.fetches = 0

    @classmethod
    def from_url(cls, url: str, fetch: Callable[[str], bytes] = fetch_url, **options: Any) -> JwksKeySource:
        return cls(lambda: json.loads(fetch(url)), **options)

    def key(self, key_id: str) -> jwt.PyJWK:
        with self._lock:
            if key_id not in self._keys and self._may_fetch():
                self._refresh()
            found = self._keys.get(key_id)
        if found is None:
            raise AuthError(f"the token's key id {key_id[:40]!r} is unknown")
        return found

    def _may_fetch(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at >= self._min_refetch_seconds

    def _refresh(self) -> None:
        self._fetched_at = self._clock()
        self.fetches += 1
        try:
            document = self._load()
        except Exception as error:
            raise AuthError(f"cannot load the issuer's keys: {type(error).__name__}") from None
        keys = {}
        for entry in document.get("keys", []):
            if entry.get("kty") != "RSA" or not entry.get("kid"):
                continue
            try:
                keys[entry["kid"]] = jwt.PyJWK(entry, algorithm="RS256")
            except jwt.PyJWTError:
                continue
        self._keys = keys


class JwtVerifier:
    """Verify RS256 access tokens: signature, issuer, audience, expiry, not-before and scope."""

    def __init__(
        self,
        keys: JwksKeySource,
        issuer: str,
        audience: str,
        required_scope: str | None = None,
        leeway_seconds: float = DEFAULT_LEEWAY_SECONDS,
    ):
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.required_scope = required_scope
        self.leeway_seconds = leeway_seconds

    def verify(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthError("the access token is not a JWT") from None
        if header.get("alg") not in ALGORITHMS:
            raise AuthError(f"the token algorithm {str(header.get('alg'))[:20]!r} is not allowed; use RS256")
        key_id = header.get("kid")
        if not isinstance(key_id, str) or not key_id:
            raise AuthError("the token has no key id (kid)")
        key = self.keys.key(key_id)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=list(ALGORITHMS),
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_seconds,
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("the access token has expired") from None
        except jwt.ImmatureSignatureError:
            raise AuthError("the access token is not valid yet (nbf or iat in the future)") from None
        except jwt.InvalidAudienceError:
            raise AuthError("the access token's audience is wrong") from None
        except jwt.InvalidIssuerError:
            raise AuthError("the access token's issuer is wrong") from None
        except jwt.PyJWTError as error:
            raise AuthError(f"the access token is invalid ({type(error).__name__})") from None
        if self.required_scope and self.required_scope not in _scopes(claims):
            raise AuthError(
                f"the access token lacks the scope {self.required_scope!r}", code="insufficient_scope"
            )
        return claims


def _scopes(claims: dict[str, Any]) -> set[str]:
    scope = claims.get("scope", claims.get("scp", ""))
    if isinstance(scope, list):
        return {item for item in scope if isinstance(item, str)}
    return set(scope.split()) if isinstance(scope, str) else set()


def client_id_of(claims: dict[str, Any]) -> str | None:
    """Return the OAuth client id from ``client_id``, ``azp`` or ``sub``, in that order."""
    for name in ("client_id", "azp", "sub"):
        value = claims.get(name)
        if isinstance(value, str) and value:
            return value
    return None


class JwtAuthenticator:
    """Map a Bearer JWT to a tenant through its client id; a ``tenant`` claim must agree with it."""

    def __init__(self, verifier: Verifier, tenant_by_client_id: Mapping[str, str]):
        self.verifier = verifier
        self.tenant_by_client_id = dict(tenant_by_client_id)

    def authenticate(self, header: str | None) -> str:
        token = split_authorization(header, "Bearer")
        claims = self.verifier.verify(token)
        client_id = client_id_of(claims)
        tenant = self.tenant_by_client_id.get(client_id or "")
        if tenant is None:
            raise AuthError("the token's client id is not mapped to a tenant")
        claimed = claims.get("tenant")
        if claimed is not None and claimed != tenant:
            raise AuthError("the token's tenant claim does not match its client")
        return tenant


@dataclass(frozen=True)
class OAuthClient:
    client_id: str
    client_secret: str
    tenant: str


class TokenIssuer:
    """The client-credentials grant of RFC 6749 section 4.4, with errors per section 5.2."""

    def __init__(
        self,
        signer: Signer,
        issuer: str,
        audience: str,
        clients: list[OAuthClient],
        scope: str,
        lifetime_seconds: int = 24 * 3600,
        clock: Callable[[], float] = time.time,
    ):
        self.signer = signer
        self.issuer = issuer
        self.audience = audience
        self.clients = {client.client_id: client for client in clients}
        self.scope = scope
        self.lifetime_seconds = lifetime_seconds
        self.clock = clock

    def handle(self, headers: Mapping[str, str], body: bytes) -> Response:
        """Respond to one token request; ``headers`` have lowercase names."""
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            return _oauth_error("invalid_request", "send the request as application/x-www-form-urlencoded")
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
        except (UnicodeDecodeError, ValueError):
            return _oauth_error("invalid_request", "the form body is malformed")
        form: dict[str, str] = {}
        for name, value in pairs:
            if name in form:
                return _oauth_error("invalid_request", f"the parameter {name[:40]!r} appears more than once")
            form[name] = value

        try:
            client = self._authenticate_client(headers.get("authorization"), form)
        except AuthError as error:
            # RFC 6749 requires 401 with WWW-Authenticate when the client used the header; the form case
            # gets the same response, so a client refreshes its credentials either way.
            return _oauth_error("invalid_client", str(error), 401)
        if form.get("grant_type") != "client_credentials":
            if "grant_type" not in form:
                return _oauth_error("invalid_request", "grant_type is missing")
            return _oauth_error("unsupported_grant_type", "only grant_type=client_credentials is supported")
        requested = form.get("scope")
        if requested is not None and not set(requested.split()) <= {self.scope}:
            return _oauth_error("invalid_scope", f"the only scope this issuer grants is {self.scope!r}")

        now = int(self.clock())
        claims = {
            "iss": self.issuer,
            "sub": client.client_id,
            "aud": self.audience,
            "iat": now,
            "nbf": now,
            "exp": now + self.lifetime_seconds,
            "jti": os.urandom(16).hex(),
            "scope": self.scope,
            "client_id": client.client_id,
            "tenant": client.tenant,
        }
        body_out = {
            "access_token": self.signer.sign(claims),
            "token_type": "Bearer",
            "expires_in": self.lifetime_seconds,
            "scope": self.scope,
        }
        return Response(200, body_out, _NO_STORE | {"Content-Type": "application/json"})

    def _authenticate_client(self, authorization: str | None, form: dict[str, str]) -> OAuthClient:
        if authorization is not None:
            if "client_secret" in form:
                raise AuthError("send the client credentials either in the header or in the body, not both")
            encoded = split_authorization(authorization, "Basic")
            try:
                decoded = b64decode(encoded, validate=True).decode("utf-8")
            except ValueError:
                raise AuthError("the Basic client credentials are malformed") from None
            raw_id, separator, raw_secret = decoded.partition(":")
            if not separator:
                raise AuthError("the Basic client credentials have no ':'")
            client_id, secret = unquote_plus(raw_id), unquote_plus(raw_secret)
            if "client_id" in form and form["client_id"] != client_id:
                raise AuthError("the client_id parameter does not match the Authorization header")
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
            if not client_id or not secret:
                raise AuthError(
                    "client authentication is missing; send HTTP Basic or client_id and client_secret"
                )
        client = self.clients.get(client_id)
        # Compare against a dummy secret for unknown clients so timing does not reveal valid client ids.
        expected = client.client_secret if client else "x" * 43
        if not hmac_equal(secret, expected) or client is None:
            raise AuthError("the client id or secret is wrong")
        return client


def hmac_equal(candidate: str, expected: str) -> bool:
    return hmac.compare_digest(candidate.encode("utf-8"), expected.encode("utf-8"))


_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _oauth_error(code: str, description: str, status: int = 400) -> Response:
    headers = _NO_STORE | {"Content-Type": "application/json"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="destkit"'
    return Response(status, {"error": code, "error_description": description}, headers)
