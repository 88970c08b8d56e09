"""HTTP-level fakes of the Cloud Storage XML API (HMAC) and of ADLS Gen2 with Microsoft Entra ID tokens.

No emulator here speaks these protocols (fake-gcs-server has no HMAC keys and rejects XML writes; Azurite
has no Data Lake endpoint), so the fakes implement the requests verify sends, on 127.0.0.1. What they
check: the GCS fake reads the HMAC access id from the SigV4 Authorization header and allows each id only
its own folder, but does not recompute the signature. The ADLS fake issues tokens for known service
principals and allows each token only its own file system.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape

_CREDENTIAL = re.compile(r"Credential=([^/]+)/")


class _Server:
    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> _Server:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 makes the server reply to botocore's "Expect: 100-continue" at once, instead of the
    # client waiting a second for it on every upload.
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        return

    def send(self, status: int, body: bytes = b"", content_type: str = "application/xml") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))


class FakeGcs(_Server):
    """Objects of one bucket; ``grants`` maps an HMAC access id to the folder it may use."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket
        self.grants: dict[str, str] = {}
        self.objects: dict[str, bytes] = {}
        fake = self

        class Handler(_Handler):
            def _allowed(self, key: str) -> bool:
                match = _CREDENTIAL.search(self.headers.get("Authorization", ""))
                folder = fake.grants.get(match.group(1)) if match else None
                return folder is not None and key.startswith(folder)

            def _route(self) -> tuple[str, str, dict[str, str]] | None:
                parsed = urllib.parse.urlsplit(self.path)
                bucket, _, key = parsed.path.lstrip("/").partition("/")
                if bucket != fake.bucket:
                    self.send(404, b"<Error><Code>NoSuchBucket</Code></Error>")
                    return None
                return bucket, urllib.parse.unquote(key), dict(urllib.parse.parse_qsl(parsed.query))

            def _denied(self) -> None:
                self.send(403, b"<Error><Code>AccessDenied</Code><Message>Access denied.</Message></Error>")

            def do_PUT(self) -> None:
                route = self._route()
                if route is None:
                    return
                data = self.body()
                if not self._allowed(route[1]):
                    self._denied()
                    return
                fake.objects[route[1]] = data
                self.send(200)

            def do_GET(self) -> None:
                route = self._route()
                if route is None:
                    return
                _, key, query = route
                if not key:
                    prefix = query.get("prefix", "")
                    if not self._allowed(prefix):
                        self._denied()
                        return
                    items = "".join(
                        f"<Contents><Key>{escape(name)}</Key><Size>{len(data)}</Size></Contents>"
                        for name, data in sorted(fake.objects.items())
                        if name.startswith(prefix)
                    )
                    body = (
                        f"<ListBucketResult><Name>{fake.bucket}</Name><Prefix>{escape(prefix)}</Prefix>"
                        f"<KeyCount>{items.count('<Contents>')}</KeyCount><IsTruncated>false</IsTruncated>"
                        f"{items}</ListBucketResult>"
                    )
                    self.send(200, body.encode())
                    return
                if not self._allowed(key):
                    self._denied()
                elif key not in fake.objects:
                    self.send(404, b"<Error><Code>NoSuchKey</Code></Error>")
                else:
                    self.send(200, fake.objects[key], "application/octet-stream")

            def do_DELETE(self) -> None:
                route = self._route()
                if route is None:
                    return
                if not self._allowed(route[1]):
                    self._denied()
                    return
                fake.objects.pop(route[1], None)
                self.send(204)

        super().__init__(Handler)


class FakeAdls(_Server):
    """Data Lake file systems and an Entra ID token endpoint on one port.

    ``principals`` maps a client id to (secret, file system it may use).
    """

    def __init__(self, entra_tenant: str) -> None:
        self.entra_tenant = entra_tenant
        self.principals: dict[str, tuple[str, str]] = {}
        self.tokens: dict[str, str] = {}
        self.files: dict[tuple[str, str], bytes] = {}
        self.pending: dict[tuple[str, str], bytes] = {}
        fake = self

        class Handler(_Handler):
            def _json(self, status: int, body: Any) -> None:
                self.send(status, json.dumps(body).encode(), "application/json")

            def _error(self, status: int, code: str) -> None:
                self._json(status, {"error": {"code": code, "message": code}})

            def do_POST(self) -> None:
                if self.path != f"/{fake.entra_tenant}/oauth2/v2.0/token":
                    self._json(400, {"error": "invalid_request", "error_description": "unknown tenant"})
                    return
                form = dict(urllib.parse.parse_qsl(self.body().decode()))
                principal = fake.principals.get(form.get("client_id", ""))
                if principal is None or principal[0] != form.get("client_secret"):
                    self._json(401, {"error": "invalid_client"})
                    return
                if (
                    form.get("scope") != "https://storage.azure.com/.default"
                    or form.get("grant_type") != "client_credentials"
                ):
                    self._json(400, {"error": "invalid_scope"})
                    return
                token = uuid.uuid4().hex
                fake.tokens[token] = principal[1]
                self._json(200, {"token_type": "Bearer", "expires_in": 3599, "access_token": token})

            def _target(self) -> tuple[str, str, dict[str, str]] | None:
                authorization = self.headers.get("Authorization", "")
                granted = fake.tokens.get(authorization.removeprefix("Bearer "))
                if granted is None:
                    self._error(401, "InvalidAuthenticationInfo")
                    return None
                if self.headers.get("x-ms-version") is None:
                    self._error(400, "MissingRequiredHeader")
                    return None
                parsed = urllib.parse.urlsplit(self.path)
                file_system, _, path = parsed.path.lstrip("/").partition("/")
                if granted != file_system:
                    self._error(403, "AuthorizationPermissionMismatch")
                    return None
                return file_system, urllib.parse.unquote(path), dict(urllib.parse.parse_qsl(parsed.query))

            def do_PUT(self) -> None:
                target = self._target()
                if target is None:
                    return
                file_system, path, query = target
                if query.get("resource") != "file":
                    self._error(400, "InvalidQueryParameterValue")
                    return
                fake.pending[(file_system, path)] = b""
                self.send(201)

            def do_PATCH(self) -> None:
                target = self._target()
                if target is None:
                    return
                file_system, path, query = target
                data = self.body()
                if (file_system, path) not in fake.pending:
                    self._error(404, "PathNotFound")
                elif query.get("action") == "append":
                    fake.pending[(file_system, path)] += data
                    self.send(202)
                elif query.get("action") == "flush" and int(query.get("position", -1)) == len(
                    fake.pending[(file_system, path)]
                ):
                    fake.files[(file_system, path)] = fake.pending.pop((file_system, path))
                    self.send(200)
                else:
                    self._error(400, "InvalidFlushPosition")

            def do_GET(self) -> None:
                target = self._target()
                if target is None:
                    return
                file_system, path, query = target
                if query.get("resource") == "filesystem":
                    directory = query.get("directory", "")
                    paths = [
                        {"name": name, "contentLength": str(len(data))}
                        for (fs, name), data in sorted(fake.files.items())
                        if fs == file_system and name.startswith(directory)
                    ]
                    self._json(200, {"paths": paths})
                elif (file_system, path) in fake.files:
                    self.send(200, fake.files[(file_system, path)], "application/octet-stream")
                else:
                    self._error(404, "PathNotFound")

            def do_DELETE(self) -> None:
                target = self._target()
                if target is None:
                    return
                if fake.files.pop(target[:2], None) is None:
                    self._error(404, "PathNotFound")
                    return
                self.send(200)

        super().__init__(Handler)
