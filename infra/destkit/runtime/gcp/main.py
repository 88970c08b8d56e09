"""Cloud Functions (2nd gen) entry points: ``intake`` (profiles and audiences) and ``token``.

Behind API Gateway (``DESTKIT_BEHIND_GATEWAY=true``) the client's ``Authorization`` header arrives as
``X-Forwarded-Authorization``, because the gateway puts its own identity token in ``Authorization``,
and the claims of a JWT the gateway validated arrive base64url-encoded in
``X-Apigateway-Api-Userinfo``. These headers can be trusted because only the gateway's service
account may invoke the functions.

Environment of ``intake``: ``DESTKIT_SINK_BUCKET``, ``DESTKIT_AUTH_MODE`` (oauth2, bearer, basic),
``DESTKIT_TENANTS`` (JSON list), ``DESTKIT_TENANT_BY_CLIENT_ID`` (JSON, oauth2), ``DESTKIT_USERNAMES``
(JSON, basic), ``DESTKIT_SECRET_<TENANT>`` (bearer token or password, from Secret Manager),
``DESTKIT_MAX_BODY_BYTES``, ``DESTKIT_MAX_DECOMPRESSED_BYTES``, ``DESTKIT_PAYLOAD_MODE``,
``DESTKIT_AUDIENCE_API``. Environment of ``token``: ``DESTKIT_SIGNING_SERVICE_ACCOUNT``,
``DESTKIT_IAM_CREDENTIALS_URL``, ``DESTKIT_ISSUER_AUDIENCE``, ``DESTKIT_ISSUER_SCOPE``,
``DESTKIT_ISSUER_LIFETIME_SECONDS``, ``DESTKIT_CLIENT_IDS`` (JSON tenant to client id) and the
client secrets in ``DESTKIT_SECRET_<TENANT>``.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from destkit.runtime.auth import AuthError, BasicAuthenticator, BearerAuthenticator
from destkit.runtime.core import IntakeCore, IntakeSettings, Request, Response, error_response
from destkit.runtime.gcp.credentials import CredentialProvider, GoogleAuthCredentials
from destkit.runtime.gcp.settings import secret_env_name
from destkit.runtime.store import Store
from destkit.runtime.tokens import OAuthClient, TokenIssuer, client_id_of

logger = logging.getLogger("destkit.intake")
logger.setLevel(logging.INFO)

USERINFO_HEADER = "x-apigateway-api-userinfo"
FORWARDED_AUTHORIZATION = "x-forwarded-authorization"


def _json_env(environ: Mapping[str, str], name: str, default: str) -> Any:
    try:
        return json.loads(environ.get(name, default))
    except json.JSONDecodeError:
        raise RuntimeError(f"{name} is not valid JSON; the deployment sets it") from None


def _require(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set; the deployment sets it")
    return value


def client_authorization(headers: Mapping[str, str], behind_gateway: bool) -> str | None:
    """Return the client's Authorization header: the forwarded copy behind API Gateway."""
    if behind_gateway:
        return headers.get(FORWARDED_AUTHORIZATION)
    return headers.get("authorization")


def gateway_claims(headers: Mapping[str, str]) -> dict[str, Any]:
    """Decode the JWT claims API Gateway validated (``X-Apigateway-Api-Userinfo``, base64url JSON)."""
    encoded = headers.get(USERINFO_HEADER)
    if not encoded:
        raise AuthError("no validated token claims; call the endpoint through its API Gateway")
    try:
        padded = encoded + "=" * (-len(encoded) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (binascii.Error, ValueError):
        raise AuthError("the gateway's token claims are malformed") from None
    if not isinstance(claims, dict):
        raise AuthError("the gateway's token claims are malformed")
    return claims


class IntakeAdapter:
    """Authenticate one Cloud Functions request, hand it to the core and return the core's response."""

    def __init__(
        self, core: IntakeCore, authenticate: Callable[[Mapping[str, str]], str], behind_gateway: bool
    ):
        self.core = core
        self._authenticate = authenticate
        self.behind_gateway = behind_gateway

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Response:
        started = time.perf_counter()
        lowered = {name.lower(): value for name, value in headers.items()}
        request_id = lowered.get("x-cloud-trace-context", "").split("/")[0] or uuid.uuid4().hex
        try:
            tenant = self._authenticate(lowered)
        except AuthError as error:
            response = error_response(error.code, str(error), 401)
            request = Request(method, path, lowered, b"", request_id=request_id)
            self.core.log_request(request, response, error.code, {"profiles": 0, "bytes": 0}, started)
            return response
        request = Request(method, path, lowered, body, tenant=tenant, request_id=request_id)
        return self.core.handle(request)


def build_authenticator(environ: Mapping[str, str]) -> Callable[[Mapping[str, str]], str]:
    """Build the tenant lookup for ``DESTKIT_AUTH_MODE`` from the function's environment."""
    mode = environ.get("DESTKIT_AUTH_MODE", "")
    behind_gateway = environ.get("DESTKIT_BEHIND_GATEWAY", "true").lower() == "true"
    tenants = [str(tenant) for tenant in _json_env(environ, "DESTKIT_TENANTS", "[]")]
    if mode == "oauth2":
        if not behind_gateway:
            raise RuntimeError(
                "oauth2 on GCP relies on API Gateway's JWT check; set DESTKIT_BEHIND_GATEWAY=true"
            )
        tenant_by_client_id = {
            str(key): str(value)
            for key, value in _json_env(environ, "DESTKIT_TENANT_BY_CLIENT_ID", "{}").items()
        }

        def from_claims(headers: Mapping[str, str]) -> str:
            claims = gateway_claims(headers)
            tenant = tenant_by_client_id.get(client_id_of(claims) or "")
            if tenant is None:
                raise AuthError("the token's client id is not mapped to a tenant")
            return tenant

        return from_claims
    if mode == "bearer":
        bearer = BearerAuthenticator({t: _require(environ, secret_env_name(t)) for t in tenants})
        return lambda headers: bearer.authenticate(client_authorization(headers, behind_gateway))
    if mode == "basic":
        usernames = _json_env(environ, "DESTKIT_USERNAMES", "{}")
        basic = BasicAuthenticator(
            {t: (str(usernames.get(t, t)), _require(environ, secret_env_name(t))) for t in tenants}
        )
        return lambda headers: basic.authenticate(client_authorization(headers, behind_gateway))
    raise RuntimeError(f"DESTKIT_AUTH_MODE {mode!r} is invalid; the deployment sets oauth2, bearer or basic")


def build_intake(environ: Mapping[str, str] = os.environ, store: Store | None = None) -> IntakeAdapter:
    """Build the intake from the function's environment; ``store`` replaces Cloud Storage in tests."""
    if store is None:
        from google.cloud import storage

        from destkit.runtime.gcp.gcs_store import GcsStore

        store = GcsStore(_require(environ, "DESTKIT_SINK_BUCKET"), storage.Client())
    settings = IntakeSettings(
        max_body_bytes=int(environ.get("DESTKIT_MAX_BODY_BYTES", "30000000")),
        max_decompressed_bytes=int(environ.get("DESTKIT_MAX_DECOMPRESSED_BYTES", str(64 * 1024 * 1024))),
        payload_mode=environ.get("DESTKIT_PAYLOAD_MODE", "validate"),
        audience_api=environ.get("DESTKIT_AUDIENCE_API", "false").lower() == "true",
    )
    behind_gateway = environ.get("DESTKIT_BEHIND_GATEWAY", "true").lower() == "true"
    return IntakeAdapter(IntakeCore(store, settings), build_authenticator(environ), behind_gateway)


class TokenAdapter:
    """The managed issuer's token endpoint, with the client's forwarded Authorization header."""

    def __init__(self, issuer: TokenIssuer, behind_gateway: bool):
        self.issuer = issuer
        self.behind_gateway = behind_gateway

    def handle(self, method: str, headers: Mapping[str, str], body: bytes) -> Response:
        from destkit.runtime.gcp.signer import SigningError

        if method.upper() != "POST":
            return error_response("method_not_allowed", f"{method} is not allowed here; use POST", 405)
        lowered = {name.lower(): value for name, value in headers.items()}
        # The token issuer reads the client's credentials from "authorization"; behind the gateway that
        # header contains the gateway's own token, so the forwarded copy takes its place.
        authorization = client_authorization(lowered, self.behind_gateway)
        lowered.pop("authorization", None)
        if authorization:
            lowered["authorization"] = authorization
        try:
            return self.issuer.handle(lowered, body)
        except SigningError as error:
            logger.error("token signing failed: %s", error)
            return error_response(
                "temporarily_unavailable", "the token could not be signed; retry later", 503
            )


def build_token(
    environ: Mapping[str, str] = os.environ, credentials: CredentialProvider | None = None, post: Any = None
) -> TokenAdapter:
    """Build the token endpoint from the function's environment; tests inject ``credentials`` and ``post``."""
    from destkit.runtime.gcp.signer import IamSignJwtSigner

    account = _require(environ, "DESTKIT_SIGNING_SERVICE_ACCOUNT")
    options: dict[str, Any] = {} if post is None else {"post": post}
    signer = IamSignJwtSigner(
        account,
        credentials or GoogleAuthCredentials(),
        _require(environ, "DESTKIT_IAM_CREDENTIALS_URL"),
        **options,
    )
    client_ids = _json_env(environ, "DESTKIT_CLIENT_IDS", "{}")
    clients = [
        OAuthClient(
            client_id=str(client_id), client_secret=_require(environ, secret_env_name(tenant)), tenant=tenant
        )
        for tenant, client_id in sorted(client_ids.items())
    ]
    issuer = TokenIssuer(
        signer,
        issuer=account,
        audience=_require(environ, "DESTKIT_ISSUER_AUDIENCE"),
        clients=clients,
        scope=_require(environ, "DESTKIT_ISSUER_SCOPE"),
        lifetime_seconds=int(environ.get("DESTKIT_ISSUER_LIFETIME_SECONDS", "43200")),
    )
    behind_gateway = environ.get("DESTKIT_BEHIND_GATEWAY", "true").lower() == "true"
    return TokenAdapter(issuer, behind_gateway)


def _flask_response(response: Response) -> Any:
    import flask

    return flask.Response(response.body_bytes(), status=response.status, headers=response.headers)


_intake: IntakeAdapter | None = None
_token: TokenAdapter | None = None


def intake(request: Any) -> Any:
    """HTTP entry point of the intake function (``functions-framework --target intake``)."""
    global _intake
    if _intake is None:
        _intake = build_intake()
    response = _intake.handle(request.method, request.path, dict(request.headers), request.get_data())
    return _flask_response(response)


def token(request: Any) -> Any:
    """HTTP entry point of the token function (``functions-framework --target token``)."""
    global _token
    if _token is None:
        _token = build_token()
    return _flask_response(_token.handle(request.method, dict(request.headers), request.get_data()))
