"""The local HTTP server's framing checks, which run before the core receives a request."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from urllib.parse import urlsplit

from destkit.runtime.store import DirectoryStore

BEARER = "Bearer token-acme-0123456789"


def connect(url: str) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)


def test_chunked_body_411(tmp_path: Path, serve_store):
    url = serve_store(DirectoryStore(tmp_path))
    connection = connect(url)
    connection.putrequest("POST", "/v1/profiles")
    connection.putheader("Authorization", BEARER)
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    connection.send(b"2\r\n{}\r\n0\r\n\r\n")
    response = connection.getresponse()
    assert response.status == 411
    assert json.loads(response.read())["error"] == "length_required"


def test_declared_length_over_limit_413(tmp_path: Path, serve_store):
    store = DirectoryStore(tmp_path)
    url = serve_store(store)
    connection = connect(url)
    connection.putrequest("POST", "/v1/profiles")
    connection.putheader("Authorization", BEARER)
    connection.putheader("Content-Length", str(10**9))
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 413
    assert response.getheader("Connection") == "close"
    assert store.list("") == []


def test_negative_length_411(tmp_path: Path, serve_store):
    url = serve_store(DirectoryStore(tmp_path))
    connection = connect(url)
    connection.putrequest("POST", "/v1/profiles")
    connection.putheader("Authorization", BEARER)
    connection.putheader("Content-Length", "-5")
    connection.endheaders()
    assert connection.getresponse().status == 411


def test_keep_alive_serves_two_requests(tmp_path: Path, serve_store):
    store = DirectoryStore(tmp_path)
    url = serve_store(store)
    connection = connect(url)
    headers = {"Authorization": BEARER, "Content-Type": "application/json"}
    for number in range(2):
        body = json.dumps({"profiles": [{"identities": [{"type": "acme_uid", "id": f"U-{number}"}]}]})
        connection.request("POST", "/v1/profiles", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        assert response.status == 201
    assert len(store.list("acme/payloads/")) == 2


def test_jwks_absent_in_bearer_mode(tmp_path: Path, serve_store):
    url = serve_store(DirectoryStore(tmp_path))
    connection = connect(url)
    connection.request("GET", "/.well-known/jwks.json")
    # The bearer-mode server has no token issuer, so the key set path is an ordinary, protected route.
    assert connection.getresponse().status == 401
