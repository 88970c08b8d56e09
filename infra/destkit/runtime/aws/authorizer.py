"""AWS Lambda authorizer: bearer, Basic or external-issuer OAuth 2.0 credentials to a tenant.

Handles REST API TOKEN events and HTTP API REQUEST events with simple responses. A TOKEN allow returns
an IAM policy on the stage wildcard, so a cached result works for every route. A TOKEN deny raises
``Exception("Unauthorized")``, which API Gateway turns into 401.

Environment: ``DESTKIT_AUTH_MODE`` (oauth2, bearer or basic). Bearer and basic:
``DESTKIT_CREDENTIAL_SECRET_ARNS`` (JSON tenant to Secrets Manager ARN; a bearer secret is the token,
a basic secret is JSON ``{"username": ..., "password": ...}``). oauth2: ``DESTKIT_ISSUER``,
``DESTKIT_JWKS_URL``, ``DESTKIT_AUDIENCE``, ``DESTKIT_REQUIRED_SCOPE`` (optional) and
``DESTKIT_TENANT_BY_CLIENT_ID`` (JSON client id to tenant).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from destkit.runtime.auth import AuthError, BasicAuthenticator, BearerAuthenticator

logger = logging.getLogger("destkit.authorizer")
logger.setLevel(logging.INFO)

SECRET_CACHE_SECONDS = 300.0


class Authenticator(Protocol):
    def authenticate(self, header: str | None) -> str: ...


class SecretCache:
    """Secret strings from Secrets Manager, fetched together and kept for ``ttl_seconds``."""

    def __init__(
        self,
        arns_by_tenant: Mapping[str, str],
        client: Any = None,
        ttl_seconds: float = SECRET_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.arns_by_tenant = dict(arns_by_tenant)
        self._client = client
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._values: dict[str, str] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def values(self) -> dict[str, str]:
        # A Secrets Manager failure propagates. The REST API's AUTHORIZER_FAILURE gateway response turns
        # it into 503 with Retry-After. NOTE: the HTTP API flavour returns 500, which configurable
        # aggregation may not retry (it retries statuses above 500).
        with self._lock:
            if self._fetched_at is None or self._clock() - self._fetched_at >= self.ttl_seconds:
                self._values = {tenant: self._fetch(arn) for tenant, arn in self.arns_by_tenant.items()}
                self._fetched_at = self._clock()
            return self._values

    def _fetch(self, arn: str) -> str:
        if self._client is None:
            import boto3

            self._client = boto3.client("secretsmanager")
        return str(self._client.get_secret_value(SecretId=arn)["SecretString"])


def basic_pairs(secrets: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    pairs = {}
    for tenant, value in secrets.items():
        try:
            parsed = json.loads(value)
            pairs[tenant] = (str(parsed["username"]), str(parsed["password"]))
        except (ValueError, KeyError, TypeError):
            # Skip the tenant but keep the others working; the message never contains the secret.
            logger.error("basic secret of tenant %s is not JSON with username and password", tenant)
    return pairs


def build_authenticator(
    environ: Mapping[str, str] = os.environ,
    secrets_client: Any = None,
    jwks_fetch: Callable[[str], bytes] | None = None,
) -> Authenticator:
    """Build the authenticator for ``DESTKIT_AUTH_MODE``; clients are injectable for tests."""
    mode = environ.get("DESTKIT_AUTH_MODE", "")
    if mode in ("bearer", "basic"):
        arns = _json_object(environ, "DESTKIT_CREDENTIAL_SECRET_ARNS")
        cache = SecretCache(arns, secrets_client)
        if mode == "bearer":
            return BearerAuthenticator(cache.values)
        return BasicAuthenticator(lambda: basic_pairs(cache.values()))
    if mode == "oauth2":
        from destkit.runtime import tokens

        issuer = _required(environ, "DESTKIT_ISSUER")
        jwks_url = _required(environ, "DESTKIT_JWKS_URL")
        keys = tokens.JwksKeySource.from_url(jwks_url, jwks_fetch or tokens.fetch_url)
        verifier = tokens.JwtVerifier(
            keys,
            issuer=issuer,
            audience=_required(environ, "DESTKIT_AUDIENCE"),
            required_scope=environ.get("DESTKIT_REQUIRED_SCOPE") or None,
        )
        return tokens.JwtAuthenticator(verifier, _json_object(environ, "DESTKIT_TENANT_BY_CLIENT_ID"))
    raise RuntimeError(f"DESTKIT_AUTH_MODE {mode!r} is invalid; use oauth2, bearer or basic")


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set")
    return value


def _json_object(environ: Mapping[str, str], name: str) -> dict[str, str]:
    try:
        parsed = json.loads(environ.get(name, ""))
    except json.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict):
        raise RuntimeError(f"{name} must be a JSON object of strings")
    return {str(key): str(value) for key, value in parsed.items()}


_authenticator: Authenticator | None = None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _authenticator
    if _authenticator is None:
        _authenticator = build_authenticator()
    return authorize(_authenticator, event)


def authorize(authenticator: Authenticator, event: dict[str, Any]) -> dict[str, Any]:
    """Decide one authorizer event; raises ``Exception("Unauthorized")`` to deny a TOKEN event."""
    if event.get("type") == "TOKEN":
        return _authorize_token(authenticator, event)
    return _authorize_request(authenticator, event)


def _log_decision(event: dict[str, Any], decision: str, **details: str) -> None:
    # REST TOKEN events carry no request id; the Lambda request id is in the log stream's own record.
    request_id = (event.get("requestContext") or {}).get("requestId")
    logger.info(json.dumps({"decision": decision, "request_id": request_id, **details}))


def _authorize_token(authenticator: Authenticator, event: dict[str, Any]) -> dict[str, Any]:
    try:
        tenant = authenticator.authenticate(event.get("authorizationToken"))
    except AuthError as error:
        _log_decision(event, "deny", reason=str(error))
        raise Exception("Unauthorized") from None
    _log_decision(event, "allow", tenant=tenant)
    return {
        "principalId": tenant,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow",
                    "Resource": stage_wildcard(event["methodArn"]),
                }
            ],
        },
        "context": {"tenant": tenant},
    }


def _authorize_request(authenticator: Authenticator, event: dict[str, Any]) -> dict[str, Any]:
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    try:
        tenant = authenticator.authenticate(headers.get("authorization"))
    except AuthError as error:
        _log_decision(event, "deny", reason=str(error))
        return {"isAuthorized": False}
    _log_decision(event, "allow", tenant=tenant)
    return {"isAuthorized": True, "context": {"tenant": tenant}}


def stage_wildcard(method_arn: str) -> str:
    """Turn ``arn:...:api-id/stage/METHOD/path`` into ``arn:...:api-id/stage/*``."""
    prefix, _, resource = method_arn.partition(":execute-api:")
    parts = resource.split("/")
    if not prefix or len(parts) < 2:
        raise ValueError(f"methodArn {method_arn!r} is not an execute-api ARN")
    return f"{prefix}:execute-api:{parts[0]}/{parts[1]}/*"
