"""The client-credentials token endpoint, JWT verification and JWKS refetching."""

from __future__ import annotations

import base64
import time
from urllib.parse import urlencode

import pytest

from destkit.runtime.auth import AuthError
from destkit.runtime.tokens import (
    JwksKeySource,
    JwtAuthenticator,
    JwtVerifier,
    LocalRsaSigner,
    OAuthClient,
    TokenIssuer,
)

ISSUER = "http://127.0.0.1:8000"
AUDIENCE = ISSUER + "/v1/profiles"
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def issuer(signer: LocalRsaSigner) -> TokenIssuer:
    clients = [OAuthClient("client-acme", "s3cret+/=", "acme"), OAuthClient("client-globex", "other", "globex")]
    return TokenIssuer(signer, ISSUER, AUDIENCE, clients, "ingest", lifetime_seconds=600)


@pytest.fixture
def verifier(signer: LocalRsaSigner) -> JwtVerifier:
    return JwtVerifier(JwksKeySource(signer.jwks), ISSUER, AUDIENCE, required_scope="ingest")


def basic(client_id: str, secret: str) -> dict[str, str]:
    from urllib.parse import quote_plus

    encoded = base64.b64encode(f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()).decode()
    return FORM | {"authorization": f"Basic {encoded}"}


def test_issuer_basic_auth_grants_token(issuer: TokenIssuer, verifier: JwtVerifier):
    response = issuer.handle(basic("client-acme", "s3cret+/="), b"grant_type=client_credentials")
    assert response.status == 200
    assert response.body is not None
    assert response.body["token_type"] == "Bearer"
    assert response.body["expires_in"] == 600
    assert response.headers["Cache-Control"] == "no-store"
    claims = verifier.verify(response.body["access_token"])
    assert claims["tenant"] == "acme"
    assert claims["sub"] == "client-acme"
    assert {"iss", "aud", "exp", "iat", "jti", "scope"} <= set(claims)


def test_issuer_form_auth_grants_token(issuer: TokenIssuer):
    body = urlencode({"grant_type": "client_credentials", "client_id": "client-acme", "client_secret": "s3cret+/="})
    assert issuer.handle(FORM, body.encode()).status == 200


@pytest.mark.parametrize(
    ("headers", "body", "status", "error"),
    [
        (FORM, b"grant_type=client_credentials&client_id=client-acme&client_secret=wrong", 401, "invalid_client"),
        (FORM, b"grant_type=client_credentials&client_id=nobody&client_secret=s3cret", 401, "invalid_client"),
        (FORM, b"grant_type=client_credentials", 401, "invalid_client"),
        (FORM, b"grant_type=password&client_id=client-acme&client_secret=s3cret%2B%2F%3D", 400,
         "unsupported_grant_type"),
        (FORM, b"client_id=client-acme&client_secret=s3cret%2B%2F%3D", 400, "invalid_request"),
        (FORM, b"grant_type=client_credentials&grant_type=client_credentials", 400, "invalid_request"),
        ({"content-type": "application/json"}, b'{"grant_type":"client_credentials"}', 400, "invalid_request"),
        (FORM, b"grant_type=client_credentials&client_id=client-acme&client_secret=s3cret%2B%2F%3D&scope=admin",
         400, "invalid_scope"),
    ],
    ids=["wrong-secret", "unknown-client", "no-auth", "password-grant", "no-grant", "duplicate", "json", "scope"],
)
def test_issuer_errors(issuer: TokenIssuer, headers: dict, body: bytes, status: int, error: str):
    response = issuer.handle(headers, body)
    assert response.status == status
    assert response.body is not None and response.body["error"] == error


def test_issuer_header_and_body_secret(issuer: TokenIssuer):
    headers = basic("client-acme", "s3cret+/=")
    response = issuer.handle(headers, b"grant_type=client_credentials&client_secret=x")
    assert response.status == 401


def test_issuer_invalid_client_has_challenge(issuer: TokenIssuer):
    response = issuer.handle(basic("client-acme", "nope"), b"grant_type=client_credentials")
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_verifier_rejects_expired(signer: LocalRsaSigner, verifier: JwtVerifier):
    now = int(time.time())
    token = signer.sign({"iss": ISSUER, "aud": AUDIENCE, "iat": now - 600, "exp": now - 60, "scope": "ingest"})
    with pytest.raises(AuthError, match="expired"):
        verifier.verify(token)


def test_verifier_leeway_accepts_recent_expiry(signer: LocalRsaSigner, verifier: JwtVerifier):
    now = int(time.time())
    token = signer.sign({"iss": ISSUER, "aud": AUDIENCE, "iat": now - 600, "exp": now - 5, "scope": "ingest"})
    assert verifier.verify(token)["iss"] == ISSUER


def test_verifier_missing_scope(signer: LocalRsaSigner, verifier: JwtVerifier):
    now = int(time.time())
    token = signer.sign({"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 60, "scope": "read"})
    with pytest.raises(AuthError) as raised:
        verifier.verify(token)
    assert raised.value.code == "insufficient_scope"


def test_unknown_kid_refetch_rate_limited(signer: LocalRsaSigner):
    clock = [1000.0]
    keys = JwksKeySource(signer.jwks, min_refetch_seconds=60, clock=lambda: clock[0])
    verifier = JwtVerifier(keys, ISSUER, AUDIENCE)
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 60}
    verifier.verify(signer.sign(claims))
    forged = LocalRsaSigner(key_id="rotated").sign(claims)
    for _ in range(5):
        with pytest.raises(AuthError, match="unknown"):
            verifier.verify(forged)
    assert keys.fetches == 1
    clock[0] += 61
    with pytest.raises(AuthError):
        verifier.verify(forged)
    assert keys.fetches == 2


def test_rotated_key_found_after_refetch():
    old, new = LocalRsaSigner(key_id="old"), LocalRsaSigner(key_id="new")
    current = [old]
    keys = JwksKeySource(lambda: current[0].jwks(), min_refetch_seconds=0)
    verifier = JwtVerifier(keys, ISSUER, AUDIENCE)
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 60}
    verifier.verify(old.sign(claims))
    current[0] = new
    assert verifier.verify(new.sign(claims))["aud"] == AUDIENCE


def test_authenticator_rejects_tenant_mismatch(signer: LocalRsaSigner, verifier: JwtVerifier):
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 60, "scope": "ingest",
              "client_id": "client-acme", "tenant": "globex"}
    authenticator = JwtAuthenticator(verifier, {"client-acme": "acme", "client-globex": "globex"})
    with pytest.raises(AuthError, match="tenant"):
        authenticator.authenticate("Bearer " + signer.sign(claims))


def test_authenticator_uses_azp(signer: LocalRsaSigner, verifier: JwtVerifier):
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 60, "scope": "ingest", "azp": "client-acme"}
    authenticator = JwtAuthenticator(verifier, {"client-acme": "acme"})
    assert authenticator.authenticate("Bearer " + signer.sign(claims)) == "acme"
