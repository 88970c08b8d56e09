"""The cloud-neutral streaming core: intake and audience API behind one ``handle`` call.

Adapters (AWS Lambda, Azure Functions, GCP, ``destkit serve``) authenticate the caller, build a
``Request`` with the tenant, call ``IntakeCore.handle`` and translate the ``Response`` back. The core
never reads the tenant from the body or from a header.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time

from destkit.runtime import routes
from destkit.runtime.errors import RETRY_AFTER_SECONDS, RequestError, StoreUnavailable
from destkit.runtime.keys import audience_key, payload_key
from destkit.runtime.payload import check_passthrough, count_profiles, decode_body, parse_json

# typing, dataclasses and the store module stay out of the Lambda cold start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from destkit.runtime.store import Store

logger = logging.getLogger("destkit.intake")

_JSON_TYPES = ("application/json",)
_AUDIENCE_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
# Same rule as tenant ids in the stack configuration; the tenant becomes the first segment of every key.
_TENANT_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


class Request:
    """A decoded HTTP request as an adapter hands it to the core. Header names are lowercase."""

    __slots__ = ("body", "headers", "is_base64", "method", "path", "request_id", "tenant")

    def __init__(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes,
        is_base64: bool = False,
        tenant: str | None = None,
        request_id: str = "",
    ):
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.is_base64 = is_base64
        self.tenant = tenant
        self.request_id = request_id


class Response:
    """The core's response: HTTP status, JSON body (None for no body) and response headers."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None):
        self.status = status
        self.body = body
        self.headers = headers if headers is not None else {}

    def body_bytes(self) -> bytes:
        return b"" if self.body is None else json.dumps(self.body, ensure_ascii=False).encode("utf-8")


class IntakeSettings:
    """Limits and switches of the intake; sizes are in bytes."""

    __slots__ = ("audience_api", "max_body_bytes", "max_decompressed_bytes", "payload_mode")

    def __init__(
        self,
        max_body_bytes: int = 4_500_000,
        max_decompressed_bytes: int = 64 * 1024 * 1024,
        payload_mode: str = "validate",
        audience_api: bool = False,
    ):
        self.max_body_bytes = max_body_bytes
        self.max_decompressed_bytes = max_decompressed_bytes
        self.payload_mode = payload_mode
        self.audience_api = audience_api
        if self.payload_mode not in ("validate", "passthrough"):
            raise ValueError(f"payload_mode {self.payload_mode!r} is invalid; use 'validate' or 'passthrough'")
        if self.max_body_bytes < 1 or self.max_decompressed_bytes < 1:
            raise ValueError("max_body_bytes and max_decompressed_bytes must be positive")


def error_response(code: str, message: str, status: int, headers: dict[str, str] | None = None) -> Response:
    response_headers = {"Content-Type": "application/json", **(headers or {})}
    if status == 401:
        response_headers.setdefault("WWW-Authenticate", 'Bearer realm="destkit"')
    return Response(status, {"error": code, "message": message}, response_headers)


class IntakeCore:
    def __init__(self, store: Store, settings: IntakeSettings | None = None, clock: Any = time.time):
        self.store = store
        self.settings = settings or IntakeSettings()
        self.clock = clock

    def handle(self, request: Request) -> Response:
        """Route, authorize by tenant, process and log one request; every Exception becomes a response."""
        started = time.perf_counter()
        stats: dict[str, int] = {"profiles": 0, "bytes": 0}
        error_code = None
        try:
            response = self._dispatch(request, stats)
        except RequestError as error:
            error_code = error.code
            response = error_response(error.code, error.message, error.status)
        except StoreUnavailable as error:
            error_code = "sink_unavailable"
            logger.warning("object store failed: %s (request %s)", error, request.request_id)
            response = error_response(
                "sink_unavailable",
                "the object store is unavailable; nothing was stored, retry later",
                503,
                {"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        except Exception:
            error_code = "internal_error"
            logger.exception("unexpected error (request %s)", request.request_id)
            response = error_response("internal_error", "unexpected error; nothing was stored", 500)
        self.log_request(request, response, error_code, stats, started)
        return response

    def _dispatch(self, request: Request, stats: dict[str, int]) -> Response:
        path = request.path.rstrip("/") or "/"
        method = request.method.upper()
        if path == routes.INTAKE_PATH:
            _require_method(method, ("POST",))
            return self._intake(request, _require_tenant(request), stats)
        if self.settings.audience_api and (
            path == routes.AUDIENCES_PATH or path.startswith(routes.AUDIENCES_PATH + "/")
        ):
            return self._audiences(request, method, path, _require_tenant(request))
        raise RequestError("not_found", f"no route for {request.path!r}; the intake is POST {routes.INTAKE_PATH}")

    def _intake(self, request: Request, tenant: str, stats: dict[str, int]) -> Response:
        _check_content_headers(request.headers)
        body = decode_body(
            request.body,
            request.is_base64,
            self.settings.max_body_bytes,
            self.settings.max_decompressed_bytes,
        )
        stats["bytes"] = len(body)
        document = parse_json(body)
        if self.settings.payload_mode == "validate":
            stats["profiles"] = count_profiles(document)
        else:
            stats["profiles"] = check_passthrough(document)

        digest = hashlib.sha256(body).hexdigest()
        key = payload_key(tenant, digest)
        metadata = {"received-at": _iso(self.clock()), "request-id": request.request_id[:128]}
        created = self.store.put_if_absent(key, body, metadata)
        status = 201 if created else 200
        return Response(
            status,
            {
                "status": "stored" if created else "already_stored",
                "id": digest,
                "profiles": stats["profiles"],
            },
            {"Content-Type": "application/json"},
        )

    def _audiences(self, request: Request, method: str, path: str, tenant: str) -> Response:
        if path == routes.AUDIENCES_PATH:
            _require_method(method, ("POST",))
            return self._create_audience(request, tenant)
        audience_id = path[len(routes.AUDIENCES_PATH) + 1 :]
        if "/" in audience_id or not _valid_audience_id(audience_id):
            raise RequestError("audience_not_found", f"audience {audience_id[:80]!r} does not exist")
        _require_method(method, ("PUT", "DELETE"))
        key = audience_key(tenant, audience_id)
        if method == "DELETE":
            if not self.store.delete(key):
                raise RequestError("audience_not_found", f"audience {audience_id!r} does not exist")
            return Response(204)
        if self.store.get(key) is None:
            raise RequestError("audience_not_found", f"audience {audience_id!r} does not exist")
        fields = self._audience_fields(request)
        record = {"id": audience_id, **fields, "updatedAt": _iso(self.clock())}
        self.store.put(key, _dump(record), {"updated-at": record["updatedAt"]})
        return Response(200, record, {"Content-Type": "application/json"})

    def _create_audience(self, request: Request, tenant: str) -> Response:
        fields = self._audience_fields(request)
        # An AEP audience id makes creation idempotent: AEP's retry of a create returns the same id.
        aep_id = fields.get("aepId")
        if aep_id:
            audience_id = "aud-" + hashlib.sha256(f"{tenant}\0{aep_id}".encode()).hexdigest()[:24]
        else:
            audience_id = "aud-" + os.urandom(12).hex()
        now = _iso(self.clock())
        record = {"id": audience_id, **fields, "createdAt": now, "updatedAt": now}
        key = audience_key(tenant, audience_id)
        if not self.store.put_if_absent(key, _dump(record), {"created-at": now}):
            existing = self.store.get(key)
            if existing is None:
                # A DELETE removed the audience between the two calls; a retry creates it again.
                raise StoreUnavailable(f"{key} was deleted while it was being created")
            return Response(200, json.loads(existing), {"Content-Type": "application/json"})
        location = f"{routes.AUDIENCES_PATH}/{audience_id}"
        return Response(201, record, {"Content-Type": "application/json", "Location": location})

    def _audience_fields(self, request: Request) -> dict[str, Any]:
        _check_content_headers(request.headers)
        body = decode_body(request.body, request.is_base64, 64 * 1024, 64 * 1024)
        document = parse_json(body)
        if not isinstance(document, dict):
            raise RequestError("invalid_payload", "$ must be a JSON object with a 'name'")
        name = document.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 256:
            raise RequestError("invalid_payload", "$.name must be a non-empty string of at most 256 characters")
        fields: dict[str, Any] = {"name": name}
        for optional in ("description", "aepId"):
            value = document.get(optional)
            if value is None:
                continue
            if not isinstance(value, str) or len(value) > 1024:
                raise RequestError("invalid_payload", f"$.{optional} must be a string of at most 1024 characters")
            fields[optional] = value
        return fields

    def log_request(
        self,
        request: Request,
        response: Response,
        error_code: str | None,
        stats: dict[str, int],
        started: float,
    ) -> None:
        """Log the request's outcome as one JSON line: ids, status and sizes, never content or secrets."""
        if not logger.isEnabledFor(logging.INFO):
            return
        line = {
            "request_id": request.request_id,
            "tenant": request.tenant,
            "method": request.method,
            "path": request.path[:200],
            "status": response.status,
            "error": error_code,
            "profiles": stats["profiles"],
            "bytes": stats["bytes"],
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        }
        logger.info(json.dumps(line, ensure_ascii=True))


def _require_tenant(request: Request) -> str:
    if not request.tenant:
        raise RequestError("unauthorized", "no authenticated tenant; send valid credentials")
    if len(request.tenant) > 63 or not _TENANT_RE.match(request.tenant):
        logger.error("the authorizer returned an invalid tenant id; check the tenant mapping")
        raise RequestError("unauthorized", "the credentials map to no valid tenant")
    return request.tenant


def _require_method(method: str, allowed: tuple[str, ...]) -> None:
    if method not in allowed:
        raise RequestError("method_not_allowed", f"{method} is not allowed here; use {' or '.join(allowed)}")


def _check_content_headers(headers: dict[str, str]) -> None:
    content_type = headers.get("content-type")
    if content_type:
        media_type, _, parameters = content_type.partition(";")
        media_type = media_type.strip().lower()
        if media_type not in _JSON_TYPES and not (
            media_type.startswith("application/") and media_type.endswith("+json")
        ):
            raise RequestError(
                "unsupported_media_type",
                f"Content-Type {content_type[:80]!r} is not JSON; send application/json",
            )
        for parameter in parameters.split(";"):
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
                "utf-8",
                "utf8",
            ):
                raise RequestError(
                    "unsupported_media_type", f"charset {value.strip()[:40]!r} is not supported; send UTF-8"
                )
    encoding = headers.get("content-encoding", "").strip().lower()
    if encoding not in ("", "identity", "gzip", "x-gzip"):
        raise RequestError(
            "unsupported_content_encoding",
            f"Content-Encoding {encoding[:40]!r} is not supported; use gzip or none",
        )


def _valid_audience_id(audience_id: str) -> bool:
    return 0 < len(audience_id) <= 64 and set(audience_id) <= _AUDIENCE_ID_CHARS


def _dump(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8")


def _iso(timestamp: float) -> str:
    """Format a Unix time as ISO 8601 UTC with microseconds, without importing datetime."""
    seconds = int(timestamp)
    micros = round((timestamp - seconds) * 1_000_000)
    if micros == 1_000_000:
        seconds, micros = seconds + 1, 0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{micros:06d}Z"
