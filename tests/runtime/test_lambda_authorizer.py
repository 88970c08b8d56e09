"""The Lambda authorizer: REST TOKEN and HTTP API REQUEST events, secrets in moto, JWKS on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import boto3
import pytest
from tests.helpers.moto_server import MotoServer

from destkit.runtime.aws import authorizer
from destkit.runtime.tokens import LocalRsaSigner

ISSUER = "https://issuer.invalid/"
AUDIENCE = "api://destkit"


@pytest.fixture
def secrets_client(moto_server_module: MotoServer) -> Any:
    return boto3.client(
        "secretsmanager",
        endpoint_url=moto_server_module.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def create_secrets(client: Any, values: dict[str, str]) -> dict[str, str]:
    arns = {}
    for tenant, value in values.items():
        name = f"destkit/{tenant}/{uuid.uuid4().hex[:8]}"
        arns[tenant] = client.create_secret(Name=name, SecretString=value)["ARN"]
    return arns


@pytest.fixture
def bearer_authenticator(secrets_client: Any) -> authorizer.Authenticator:
    arns = create_secrets(secrets_client, {"acme": "tok-acme-123", "globex": "tok-globex-456"})
    environ = {"DESTKIT_AUTH_MODE": "bearer", "DESTKIT_CREDENTIAL_SECRET_ARNS": json.dumps(arns)}
    return authorizer.build_authenticator(environ, secrets_client=secrets_client)


@pytest.fixture
def basic_authenticator(secrets_client: Any) -> authorizer.Authenticator:
    arns = create_secrets(
        secrets_client,
        {"acme": json.dumps({"username": "aep-acme", "password": "pw-acme"}), "broken": "not json"},
    )
    environ = {"DESTKIT_AUTH_MODE": "basic", "DESTKIT_CREDENTIAL_SECRET_ARNS": json.dumps(arns)}
    return authorizer.build_authenticator(environ, secrets_client=secrets_client)


class _JwksHandler(BaseHTTPRequestHandler):
    document: bytes = b"{}"
    requests = 0

    def do_GET(self) -> None:
        type(self).requests += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.document)))
        self.end_headers()
        self.wfile.write(self.document)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture(scope="module")
def jwks_url(signer: LocalRsaSigner) -> Iterator[str]:
    handler = type("Handler", (_JwksHandler,), {"document": json.dumps(signer.jwks()).encode(), "requests": 0})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def oauth_authenticator(jwks_url: str) -> authorizer.Authenticator:
    environ = {
        "DESTKIT_AUTH_MODE": "oauth2",
        "DESTKIT_ISSUER": ISSUER,
        "DESTKIT_JWKS_URL": jwks_url,
        "DESTKIT_AUDIENCE": AUDIENCE,
        "DESTKIT_REQUIRED_SCOPE": "ingest",
        "DESTKIT_TENANT_BY_CLIENT_ID": json.dumps({"okta-client-acme": "acme"}),
    }
    return authorizer.build_authenticator(environ)


def token_event(load_event, authorization: str) -> dict[str, Any]:
    return load_event("rest_token_authorizer.json", authorization=authorization)


def request_event(load_event, authorization: str) -> dict[str, Any]:
    return load_event("http_v2_request_authorizer.json", authorization=authorization)


def test_token_event_allows_stage_wildcard(bearer_authenticator, load_event):
    result = authorizer.authorize(bearer_authenticator, token_event(load_event, "Bearer tok-globex-456"))
    statement = result["policyDocument"]["Statement"][0]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "execute-api:Invoke"
    assert statement["Resource"] == "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*"
    assert result["context"] == {"tenant": "globex"}


@pytest.mark.parametrize("authorization", ["Bearer wrong", "Bearer ", "Basic dG9rLWFjbWUtMTIz", "tok-acme-123", ""])
def test_token_event_denies(bearer_authenticator, load_event, authorization: str):
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer.authorize(bearer_authenticator, token_event(load_event, authorization))


def test_request_event_simple_response(bearer_authenticator, load_event):
    result = authorizer.authorize(bearer_authenticator, request_event(load_event, "Bearer tok-acme-123"))
    assert result == {"isAuthorized": True, "context": {"tenant": "acme"}}


def test_request_event_denies(bearer_authenticator, load_event):
    result = authorizer.authorize(bearer_authenticator, request_event(load_event, "Bearer tok-acme-12"))
    assert result == {"isAuthorized": False}


def basic_header(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_basic_allows_and_skips_broken_secret(basic_authenticator, load_event, caplog):
    result = authorizer.authorize(basic_authenticator, request_event(load_event, basic_header("aep-acme", "pw-acme")))
    assert result["context"] == {"tenant": "acme"}
    assert "not json" not in caplog.text


@pytest.mark.parametrize(
    "authorization",
    [basic_header("aep-acme", "wrong"), basic_header("aep-acme", ""), "Basic !!!", "Basic " + "YWVwLWFjbWU="],
)
def test_basic_denies(basic_authenticator, load_event, authorization: str):
    result = authorizer.authorize(basic_authenticator, request_event(load_event, authorization))
    assert result == {"isAuthorized": False}


def test_secrets_cached_between_calls(secrets_client: Any):
    arns = create_secrets(secrets_client, {"acme": "tok-1"})
    calls = []

    class CountingClient:
        def get_secret_value(self, SecretId: str) -> dict[str, str]:
            calls.append(SecretId)
            return secrets_client.get_secret_value(SecretId=SecretId)

    cache = authorizer.SecretCache(arns, CountingClient(), ttl_seconds=300)
    cache.values()
    cache.values()
    assert len(calls) == 1


def oauth_token(signer: LocalRsaSigner, **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 300,
        "scope": "ingest",
        "client_id": "okta-client-acme",
    } | overrides
    return signer.sign(claims)


def test_oauth_allows_external_token(oauth_authenticator, signer, load_event):
    event = token_event(load_event, "Bearer " + oauth_token(signer))
    assert authorizer.authorize(oauth_authenticator, event)["context"] == {"tenant": "acme"}


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "api://other"},
        {"iss": "https://evil.invalid/"},
        {"exp": int(time.time()) - 3600},
        {"scope": "read"},
        {"client_id": "unknown-client"},
    ],
    ids=["audience", "issuer", "expired", "scope", "client"],
)
def test_oauth_denies(oauth_authenticator, signer, load_event, overrides: dict):
    event = request_event(load_event, "Bearer " + oauth_token(signer, **overrides))
    assert authorizer.authorize(oauth_authenticator, event) == {"isAuthorized": False}


def test_invalid_auth_mode():
    with pytest.raises(RuntimeError, match="DESTKIT_AUTH_MODE"):
        authorizer.build_authenticator({"DESTKIT_AUTH_MODE": "apikey"})


@pytest.mark.parametrize("arn", ["not-an-arn", "arn:aws:execute-api:eu-west-1:1:abc"])
def test_stage_wildcard_rejects(arn: str):
    with pytest.raises(ValueError, match="methodArn"):
        authorizer.stage_wildcard(arn)


def test_decision_log_has_no_credential(bearer_authenticator, load_event, caplog):
    with caplog.at_level(logging.INFO, logger="destkit.authorizer"):
        authorizer.authorize(bearer_authenticator, request_event(load_event, "Bearer tok-acme-123"))
        authorizer.authorize(bearer_authenticator, request_event(load_event, "Bearer tok-guess-999"))
    assert "tok-acme-123" not in caplog.text
    assert "tok-guess-999" not in caplog.text
    assert '"request_id": "authz-1"' in caplog.text
