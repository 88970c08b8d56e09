"""The streaming endpoint on a local HTTP server: authentication, token issuer, JWKS and the core.

``LocalEndpoint`` is the request logic without sockets (the corpus tests call it directly);
``LocalServer`` puts it behind ``http.server`` on 127.0.0.1 for ``destkit serve``.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from destkit.runtime import routes
from destkit.runtime.auth import AuthError, BasicAuthenticator, BearerAuthenticator
from destkit.runtime.core import IntakeCore, Request, Response, error_response

logger = logging.getLogger("destkit.serve")


class Authenticator(Protocol):
    def authenticate(self, header: str | None) -> str: ...


class TokenEndpoint(Protocol):
    def handle(self, headers: dict[str, str], body: bytes) -> Response: ...


class LocalEndpoint:
    """Route one request: token endpoint and JWKS without credentials, everything else after authentication."""

    def __init__(
        self,
        core: IntakeCore,
        authenticator: Authenticator,
        token_endpoint: TokenEndpoint | None = None,
        jwks: Callable[[], dict[str, Any]] | None = None,
    ):
        self.core = core
        self.authenticator = authenticator
        self.token_endpoint = token_endpoint
        self.jwks = jwks

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes, request_id: str = "") -> Response:
        started = time.perf_counter()
        bare_path = path.split("?", 1)[0]
        if self.token_endpoint is not None and bare_path == routes.TOKEN_PATH:
            if method != "POST":
                return error_response("method_not_allowed", "the token endpoint accepts POST only", 405)
            return self.token_endpoint.handle(headers, body)
        if self.jwks is not None and bare_path == routes.JWKS_PATH:
            if method != "GET":
                return error_response("method_not_allowed", "the key set accepts GET only", 405)
            return Response(200, self.jwks(), {"Content-Type": "application/json"})

        try:
            tenant = self.authenticator.authenticate(headers.get("authorization"))
        except AuthError as error:
            request = Request(method, bare_path, headers, b"", request_id=request_id)
            response = error_response(error.code, str(error), 401)
            self.core.log_request(request, response, error.code, {"profiles": 0, "bytes": len(body)}, started)
            return response
        request = Request(method, bare_path, headers, body, tenant=tenant, request_id=request_id)
        return self.core.handle(request)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The headers and the body leave in two writes. With Nagle's algorithm on, the body would wait for
    # the client's delayed ACK (about 40 ms on Linux) on every keep-alive request.
    disable_nagle_algorithm = True
    server: LocalServer

    def _serve(self) -> None:
        request_id = os.urandom(8).hex()
        headers = {name.lower(): value for name, value in self.headers.items()}
        body_or_response = self._read_body(headers)
        if isinstance(body_or_response, Response):
            response = body_or_response
        else:
            response = self.server.endpoint.handle(self.command, self.path, headers, body_or_response, request_id)
        payload = response.body_bytes()
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Request-Id", request_id)
        if self.close_connection:
            # The unread body makes the connection unusable, so the client must not reuse it.
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)

    def _read_body(self, headers: dict[str, str]) -> bytes | Response:
        if "transfer-encoding" in headers:
            self.close_connection = True
            return error_response("length_required", "chunked bodies are not supported; send Content-Length", 411)
        length_header = headers.get("content-length", "0")
        if not length_header.isdigit():
            self.close_connection = True
            return error_response("length_required", "Content-Length is not a non-negative integer", 411)
        length = int(length_header)
        # A base64-flagged body cannot arrive here, so the raw body is already the decoded body.
        if length > self.server.max_request_bytes:
            self.close_connection = True
            return error_response(
                "payload_too_large",
                f"the body has {length} bytes; the maximum is {self.server.max_request_bytes}",
                413,
            )
        return self.rfile.read(length) if length else b""

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def log_message(self, format: str, *args: Any) -> None:
        # The core logs one JSON line per request; the default access log would repeat it on stderr.
        return


class LocalServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Enough queued connections for ``destkit send --concurrency 32`` plus token requests.
    request_queue_size = 128

    endpoint: LocalEndpoint

    def __init__(self, max_request_bytes: int, host: str = "127.0.0.1", port: int = 0):
        # The endpoint is attached after binding, because the token issuer's URL contains the port.
        self.max_request_bytes = max_request_bytes
        super().__init__((host, port), _Handler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else str(host)
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}"

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="destkit-serve", daemon=True)
        thread.start()
        return thread


SCOPE = "ingest"


@dataclass
class LocalCredentials:
    """Generated credentials per tenant; ``destkit serve`` prints them by design, for development."""

    auth_mode: str
    client_ids: dict[str, str] = field(default_factory=dict)
    client_secrets: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    usernames: dict[str, str] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)


def generate_credentials(auth_mode: str, tenants: list[str]) -> LocalCredentials:
    credentials = LocalCredentials(auth_mode)
    for tenant in tenants:
        if auth_mode == "oauth2":
            credentials.client_ids[tenant] = f"aep-{tenant}-{secrets.token_hex(4)}"
            credentials.client_secrets[tenant] = secrets.token_urlsafe(32)
        elif auth_mode == "bearer":
            credentials.tokens[tenant] = secrets.token_urlsafe(32)
        elif auth_mode == "basic":
            credentials.usernames[tenant] = f"aep-{tenant}"
            credentials.passwords[tenant] = secrets.token_urlsafe(24)
        else:
            raise ValueError(f"auth mode {auth_mode!r} is invalid; use oauth2, bearer or basic")
    return credentials


def build_endpoint(
    core: IntakeCore,
    credentials: LocalCredentials,
    base_url: str,
    signer: Any = None,
    token_lifetime_seconds: int = 3600,
) -> LocalEndpoint:
    """Wire the authenticator (and for oauth2 the token issuer and JWKS) for ``credentials``."""
    if credentials.auth_mode == "bearer":
        return LocalEndpoint(core, BearerAuthenticator(credentials.tokens))
    if credentials.auth_mode == "basic":
        pairs = {
            tenant: (credentials.usernames[tenant], credentials.passwords[tenant]) for tenant in credentials.usernames
        }
        return LocalEndpoint(core, BasicAuthenticator(pairs))

    from destkit.runtime import tokens

    signer = signer or tokens.LocalRsaSigner()
    audience = base_url + routes.INTAKE_PATH
    clients = [
        tokens.OAuthClient(credentials.client_ids[tenant], credentials.client_secrets[tenant], tenant)
        for tenant in credentials.client_ids
    ]
    issuer = tokens.TokenIssuer(signer, base_url, audience, clients, SCOPE, token_lifetime_seconds)
    keys = tokens.JwksKeySource(signer.jwks)
    verifier = tokens.JwtVerifier(keys, issuer=base_url, audience=audience, required_scope=SCOPE)
    tenant_by_client = {client_id: tenant for tenant, client_id in credentials.client_ids.items()}
    return LocalEndpoint(core, tokens.JwtAuthenticator(verifier, tenant_by_client), issuer, signer.jwks)
