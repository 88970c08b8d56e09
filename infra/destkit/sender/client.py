"""HTTP plumbing for the sender: keep-alive connections per thread and OAuth 2.0 token handling."""

from __future__ import annotations

import base64
import http.client
import json
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote_plus, urlsplit


@dataclass
class HttpResult:
    status: int
    body: bytes
    headers: dict[str, str]


class TokenError(Exception):
    """The token endpoint rejected the client or returned something that is not a token."""


class HttpClient:
    """One keep-alive connection per thread and origin; a broken connection is reopened once."""

    def __init__(self, timeout_seconds: float = 30.0):
        self.timeout_seconds = timeout_seconds
        self._local = threading.local()

    def request(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> HttpResult:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"URL {url!r} is invalid; use http:// or https:// with a host")
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        for attempt in (1, 2):
            connection = self._connection(parts.scheme, parts.hostname, parts.port)
            try:
                connection.request(method, target, body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self._drop(parts.scheme, parts.hostname, parts.port)
                return HttpResult(response.status, payload, {k.lower(): v for k, v in response.getheaders()})
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed an idle keep-alive connection; one fresh connection is tried.
                self._drop(parts.scheme, parts.hostname, parts.port)
                if attempt == 2:
                    raise
            except OSError:
                self._drop(parts.scheme, parts.hostname, parts.port)
                raise
        raise AssertionError("unreachable")

    def _connection(self, scheme: str, host: str, port: int | None) -> http.client.HTTPConnection:
        connections = self._local.__dict__.setdefault("connections", {})
        key = (scheme, host, port)
        if key not in connections:
            if scheme == "https":
                connections[key] = http.client.HTTPSConnection(
                    host, port, timeout=self.timeout_seconds, context=ssl.create_default_context()
                )
            else:
                connections[key] = http.client.HTTPConnection(host, port, timeout=self.timeout_seconds)
        return connections[key]

    def _drop(self, scheme: str, host: str, port: int | None) -> None:
        connection = self._local.__dict__.get("connections", {}).pop((scheme, host, port), None)
        if connection is not None:
            connection.close()


class ClientCredentialsToken:
    """An access token from the client-credentials grant, refreshed before expiry and after a 401."""

    def __init__(
        self,
        http: HttpClient,
        token_url: str,
        client_id: str,
        client_secret: str,
        scope: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.http = http
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.scope = scope
        self.clock = clock
        self.requests = 0
        self._token: str | None = None
        self._refresh_at = 0.0
        self._lock = threading.Lock()

    def authorization(self) -> str:
        with self._lock:
            if self._token is None or self.clock() >= self._refresh_at:
                self._fetch()
            return f"Bearer {self._token}"

    def invalidate(self, rejected: str) -> None:
        """Forget the token after a 401, unless another thread already replaced it."""
        with self._lock:
            if rejected == f"Bearer {self._token}":
                self._token = None

    def _fetch(self) -> None:
        self.requests += 1
        # RFC 6749 section 2.3.1: the id and secret are form-urlencoded before Basic encoding.
        pair = f"{quote_plus(self.client_id)}:{quote_plus(self.client_secret)}"
        headers = {
            "Authorization": "Basic " + base64.b64encode(pair.encode()).decode(),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        body = "grant_type=client_credentials" + (f"&scope={quote_plus(self.scope)}" if self.scope else "")
        result = self.http.request("POST", self.token_url, body.encode(), headers)
        if result.status != 200:
            raise TokenError(f"the token endpoint responded with status {result.status}: {_oauth_error(result.body)}")
        try:
            document = json.loads(result.body)
            token = document["access_token"]
            lifetime = float(document.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise TokenError("the token endpoint's response has no access_token") from None
        self._token = token
        # Refresh when 10% of the lifetime (at least 30 s) remains, so no request carries an expiring token.
        self._refresh_at = self.clock() + max(lifetime - max(lifetime * 0.1, 30.0), 0.0)


def _oauth_error(body: bytes) -> str:
    try:
        document = json.loads(body)
        return f"{document.get('error')} ({document.get('error_description', '')})"
    except (ValueError, AttributeError):
        return "no OAuth error body"
