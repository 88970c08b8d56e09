"""ADLS Gen2 data-plane calls at the HTTP level.

Azurite returns 400 for every dfs call and no other ADLS emulator is available here. So a small
HTTPS server on 127.0.0.1, with a self-signed certificate the test creates, records and checks the
requests that the kit's probe sends and responds the way the dfs endpoint documents.
"""

from __future__ import annotations

import datetime as dt
import json
import ssl
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from destkit.runtime.azure.adls_probe import probe_file_system

# A fake token that the local server expects.
TOKEN = "probe-token-0123456789"


class FakeCredential:
    """Stands in for the service principal's ClientSecretCredential."""

    def __init__(self) -> None:
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(TOKEN, int(time.time()) + 3600)


class DfsHandler(BaseHTTPRequestHandler):
    server: DfsServer

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        return

    def _record(self, body: bytes) -> tuple[str, dict[str, list[str]]]:
        parsed = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(parsed.query)
        self.server.requests.append(
            {
                "method": self.command,
                "path": parsed.path,
                "query": query,
                "authorization": self.headers.get("Authorization"),
                "body": body,
            }
        )
        return parsed.path, query

    def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        now = dt.datetime.now(dt.UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
        for name, value in {
            "x-ms-request-id": "r1",
            "x-ms-version": "2025-01-05",
            "Date": now,
            "ETag": '"0x1"',
            "Last-Modified": now,
            **(headers or {}),
        }.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _authorized(self) -> bool:
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            error = {
                "error": {"code": "InvalidAuthenticationInfo", "message": "Server failed to authenticate."}
            }
            self._reply(
                401,
                json.dumps(error).encode(),
                {"Content-Type": "application/json", "x-ms-error-code": "InvalidAuthenticationInfo"},
            )
            return False
        return True

    def do_PUT(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        path, _ = self._record(self.rfile.read(length))
        if self._authorized():
            self.server.files[path] = b""
            self._reply(201)

    def do_PATCH(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        path, query = self._record(body)
        if not self._authorized():
            return
        action = query.get("action", [""])[0]
        if action == "append":
            self.server.files[path] = self.server.files.get(path, b"") + body
            self._reply(202)
        else:
            self._reply(200)

    def do_GET(self) -> None:
        path, query = self._record(b"")
        if not self._authorized():
            return
        directory = query.get("directory", [""])[0]
        prefix = path.rstrip("/") + "/" + directory
        names = [name.split("/", 2)[2] for name in self.server.files if name.startswith(prefix)]
        listing = {
            "paths": [
                {
                    "name": name,
                    "contentLength": "11",
                    "lastModified": "Fri, 04 Dec 2026 20:00:00 GMT",
                    "etag": "0x1",
                }
                for name in names
            ]
        }
        self._reply(200, json.dumps(listing).encode(), {"Content-Type": "application/json"})

    def do_DELETE(self) -> None:
        path, _ = self._record(b"")
        if self._authorized():
            self.server.files.pop(path, None)
            self._reply(200)


class DfsServer(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), DfsHandler)
        self.requests: list[dict[str, Any]] = []
        self.files: dict[str, bytes] = {}


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(__import__("ipaddress").ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "cert.pem"
    key_path = directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@pytest.fixture
def dfs(tmp_path: Path) -> Iterator[tuple[DfsServer, str, Path]]:
    cert_path, key_path = _self_signed(tmp_path)
    server = DfsServer()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server, f"https://127.0.0.1:{server.server_address[1]}", cert_path
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _probe(dfs: tuple[DfsServer, str, Path], credential: Any) -> list[str]:
    _, url, cert_path = dfs
    return probe_file_system(url, "aep-acme", credential, connection_verify=str(cert_path), retry_total=0)


def test_probe_lists_written_file(dfs):
    assert _probe(dfs, FakeCredential()) == ["destkit-probe/probe.csv"]


def test_probe_sends_bearer_token(dfs):
    _probe(dfs, FakeCredential())
    assert {request["authorization"] for request in dfs[0].requests} == {f"Bearer {TOKEN}"}


def test_probe_requests_storage_scope(dfs):
    credential = FakeCredential()
    _probe(dfs, credential)
    assert credential.scopes[0] == ("https://storage.azure.com/.default",)


def test_probe_creates_file_resource(dfs):
    _probe(dfs, FakeCredential())
    first = dfs[0].requests[0]
    assert (first["method"], first["path"], first["query"]["resource"]) == (
        "PUT",
        "/aep-acme/destkit-probe/probe.csv",
        ["file"],
    )


def test_probe_appends_then_flushes(dfs):
    _probe(dfs, FakeCredential())
    actions = [r["query"]["action"][0] for r in dfs[0].requests if r["method"] == "PATCH"]
    assert actions == ["append", "flush"]


def test_probe_appends_the_data(dfs):
    _probe(dfs, FakeCredential())
    append = next(r for r in dfs[0].requests if r["method"] == "PATCH")
    assert append["body"] == b"id,segment\n"


def test_probe_flush_position_is_length(dfs):
    _probe(dfs, FakeCredential())
    flush = [r for r in dfs[0].requests if r["method"] == "PATCH"][-1]
    assert flush["query"]["position"] == [str(len(b"id,segment\n"))]


def test_probe_deletes_file(dfs):
    _probe(dfs, FakeCredential())
    assert dfs[0].files == {}


def test_probe_rejected_token_raises(dfs):
    class WrongCredential(FakeCredential):
        def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
            return AccessToken("wrong", int(time.time()) + 3600)

    with pytest.raises(HttpResponseError) as raised:
        _probe(dfs, WrongCredential())
    assert raised.value.status_code == 401
