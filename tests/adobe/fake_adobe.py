"""A fake of Adobe IMS, the Destination SDK authoring API and the DLZ credentials API on 127.0.0.1.

It enforces what the real APIs document. The IMS token endpoint takes the client-credentials form.
Every authoring call needs the bearer token, ``x-api-key`` (the client id), ``x-gw-ims-org-id`` and
``x-sandbox-name``, and calls with a body need ``Content-Type: application/json``. Paths must be the
documented collections, each object needs its required fields, and a destination must name existing
server and audience template instance ids. Create returns 200 with the object and its ``instanceId``.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CLIENT_ID = "fake-client-id"
CLIENT_SECRET = "fake-client-secret"
ORG_ID = "0000000000000000000000AA@AdobeOrg"
SANDBOX = "dev-sandbox"

COLLECTIONS = {
    "/data/core/activation/authoring/destination-servers": "destination-server",
    "/data/core/activation/authoring/destinations": "destination",
    "/data/core/activation/authoring/audience-templates": "audience-template",
}
REQUIRED = {
    "destination-server": ("name", "destinationServerType"),
    "destination": ("name", "customerAuthenticationConfigurations", "destinationDelivery", "uiAttributes"),
    "audience-template": ("metadataTemplate",),
}
DLZ_PATH = "/data/foundation/connectors/landingzone/credentials"


class FakeAdobe:
    def __init__(self) -> None:
        self.tokens: set[str] = set()
        self.objects: dict[str, dict[str, Any]] = {}
        self.kinds: dict[str, str] = {}
        self.calls: list[tuple[str, str]] = []
        self.dlz: dict[str, Any] | None = None
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_base(self) -> str:
        return self.base_url + "/data/core/activation"

    @property
    def ims_url(self) -> str:
        return self.base_url + "/ims/token/v3"

    def start(self) -> FakeAdobe:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def _send(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _error(self, status: int, message: str) -> None:
                self._send(status, {"type": "about:blank", "status": status, "title": message})

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def do_POST(self) -> None:
                fake.calls.append(("POST", self.path))
                if self.path == "/ims/token/v3":
                    self._token()
                    return
                self._authoring("POST")

            def do_PUT(self) -> None:
                fake.calls.append(("PUT", self.path))
                self._authoring("PUT")

            def do_GET(self) -> None:
                fake.calls.append(("GET", self.path))
                if self.path.startswith(DLZ_PATH):
                    self._dlz()
                    return
                self._authoring("GET")

            def do_DELETE(self) -> None:
                fake.calls.append(("DELETE", self.path))
                self._authoring("DELETE")

            def _token(self) -> None:
                if not self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
                    self._send(400, {"error": "invalid_request", "error_description": "form body required"})
                    return
                form = dict(urllib.parse.parse_qsl(self._body().decode()))
                if form.get("grant_type") != "client_credentials":
                    self._send(400, {"error": "unsupported_grant_type", "error_description": "bad grant"})
                    return
                if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                    self._send(401, {"error": "invalid_client", "error_description": "invalid client credentials"})
                    return
                if "openid" not in form.get("scope", ""):
                    self._send(400, {"error": "invalid_scope", "error_description": "scope missing"})
                    return
                token = uuid.uuid4().hex
                fake.tokens.add(token)
                self._send(200, {"access_token": token, "token_type": "bearer", "expires_in": 86399})

            def _check_headers(self, with_body: bool) -> str | None:
                authorization = self.headers.get("Authorization", "")
                if not authorization.startswith("Bearer ") or authorization[7:] not in fake.tokens:
                    return "401:Oauth token is not valid"
                if self.headers.get("x-api-key") != CLIENT_ID:
                    return "403:Api Key is invalid"
                if self.headers.get("x-gw-ims-org-id") != ORG_ID:
                    return "403:x-gw-ims-org-id is missing or wrong"
                if self.headers.get("x-sandbox-name") != SANDBOX:
                    return "403:x-sandbox-name is missing or names an unknown sandbox"
                if with_body and self.headers.get("Content-Type") != "application/json":
                    return "415:Content-Type must be application/json"
                return None

            def _dlz(self) -> None:
                problem = self._check_headers(False)
                if problem:
                    status, message = problem.split(":", 1)
                    self._error(int(status), message)
                    return
                query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
                if query.get("type") != "dlz_destination" or fake.dlz is None:
                    self._error(400, "type must be dlz_destination")
                    return
                self._send(200, fake.dlz)

            def _authoring(self, method: str) -> None:
                problem = self._check_headers(method in ("POST", "PUT"))
                if problem:
                    status, message = problem.split(":", 1)
                    self._error(int(status), message)
                    return
                path = urllib.parse.urlsplit(self.path).path.rstrip("/")
                collection, _, instance_id = path.rpartition("/")
                if path in COLLECTIONS:
                    collection, instance_id = path, ""
                kind = COLLECTIONS.get(collection)
                if kind is None:
                    self._error(404, f"no such endpoint {path}")
                    return
                with fake.lock:
                    self._dispatch(method, kind, instance_id)

            def _dispatch(self, method: str, kind: str, instance_id: str) -> None:
                if method == "POST" and not instance_id:
                    body = self._valid_body(kind)
                    if body is None:
                        return
                    new_id = str(uuid.uuid4())
                    fake.objects[new_id] = {**body, "instanceId": new_id, "createdDate": "2026-01-01T00:00:00Z"}
                    fake.kinds[new_id] = kind
                    self._send(200, fake.objects[new_id])
                    return
                if not instance_id:
                    self._error(405, f"{method} is not allowed on the collection")
                    return
                if fake.kinds.get(instance_id) != kind:
                    self._error(404, f"no {kind} with instanceId {instance_id}")
                    return
                if method == "GET":
                    self._send(200, fake.objects[instance_id])
                elif method == "PUT":
                    body = self._valid_body(kind)
                    if body is None:
                        return
                    fake.objects[instance_id] = {**body, "instanceId": instance_id}
                    self._send(200, fake.objects[instance_id])
                elif method == "DELETE":
                    del fake.objects[instance_id]
                    del fake.kinds[instance_id]
                    self._send(204, None)
                else:
                    self._error(405, f"{method} is not allowed")

            def _valid_body(self, kind: str) -> dict[str, Any] | None:
                try:
                    body = json.loads(self._body())
                except json.JSONDecodeError:
                    self._error(400, "body is not valid JSON")
                    return None
                missing = [name for name in REQUIRED[kind] if name not in body]
                if missing:
                    self._error(400, f"missing required field(s): {', '.join(missing)}")
                    return None
                if kind == "destination":
                    for delivery in body["destinationDelivery"]:
                        if fake.kinds.get(delivery.get("destinationServerId")) != "destination-server":
                            self._error(400, f"destinationServerId {delivery.get('destinationServerId')} not found")
                            return None
                    template_id = (body.get("segmentMappingConfig") or {}).get("audienceTemplateId")
                    if template_id is not None and fake.kinds.get(template_id) != "audience-template":
                        self._error(400, f"audienceTemplateId {template_id} not found")
                        return None
                return body

        return Handler
