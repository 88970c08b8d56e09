"""AWS Lambda handler for the intake and audience API behind API Gateway (REST v1 or HTTP API v2 events).

Environment: ``DESTKIT_SINK_BUCKET`` (required), ``DESTKIT_MAX_BODY_BYTES``,
``DESTKIT_MAX_DECOMPRESSED_BYTES``, ``DESTKIT_PAYLOAD_MODE`` (validate or passthrough),
``DESTKIT_AUDIENCE_API`` (true or false), ``DESTKIT_TENANT_BY_CLIENT_ID`` (JSON object, used when a
Cognito or JWT authorizer validated the token). ``DESTKIT_S3_ENDPOINT_URL`` points S3 at another
endpoint, for tests only.
"""

from __future__ import annotations

import json
import logging
import os

from destkit.runtime.aws.s3_store import S3Store, make_s3_client
from destkit.runtime.core import IntakeCore, IntakeSettings, Request, Response

# typing and collections.abc stay out of the cold start; annotations are strings.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from destkit.runtime.store import Store

logger = logging.getLogger("destkit.intake")
logger.setLevel(logging.INFO)

_core: IntakeCore | None = None


def build_core(environ: Mapping[str, str] = os.environ, store: Store | None = None) -> IntakeCore:
    """Build the core from the function's environment; ``store`` replaces S3 in tests."""
    if store is None:
        bucket = environ.get("DESTKIT_SINK_BUCKET")
        if not bucket:
            raise RuntimeError("DESTKIT_SINK_BUCKET is not set; set it to the sink bucket name")
        store = S3Store(bucket, make_s3_client(environ.get("DESTKIT_S3_ENDPOINT_URL") or None))
    settings = IntakeSettings(
        max_body_bytes=int(environ.get("DESTKIT_MAX_BODY_BYTES", "4500000")),
        max_decompressed_bytes=int(environ.get("DESTKIT_MAX_DECOMPRESSED_BYTES", str(64 * 1024 * 1024))),
        payload_mode=environ.get("DESTKIT_PAYLOAD_MODE", "validate"),
        audience_api=environ.get("DESTKIT_AUDIENCE_API", "false").lower() == "true",
    )
    return IntakeCore(store, settings)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _core
    if _core is None:
        _core = build_core()
    return handle_event(_core, event, context, _tenant_map())


def handle_event(
    core: IntakeCore, event: dict[str, Any], context: Any, tenant_by_client_id: Mapping[str, str]
) -> dict[str, Any]:
    """Translate one API Gateway proxy event (payload v1 or v2) into a core request and back."""
    request = to_request(event, context, tenant_by_client_id)
    return to_proxy_response(core.handle(request))


def to_request(event: dict[str, Any], context: Any, tenant_by_client_id: Mapping[str, str]) -> Request:
    request_context = event.get("requestContext") or {}
    if event.get("version") == "2.0":
        method = (request_context.get("http") or {}).get("method", "")
        route = event.get("routeKey", "")
        template = route.partition(" ")[2] if " " in route else ""
        path = _fill_template(template, event.get("pathParameters")) if template else event.get("rawPath", "")
        headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    else:
        method = event.get("httpMethod", "")
        template = event.get("resource") or ""
        path = _fill_template(template, event.get("pathParameters")) if template else event.get("path", "")
        headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}

    body = event.get("body")
    return Request(
        method=method,
        path=path,
        headers=headers,
        body=body.encode("utf-8") if isinstance(body, str) else b"",
        is_base64=bool(event.get("isBase64Encoded")),
        tenant=tenant_of(request_context.get("authorizer"), tenant_by_client_id),
        request_id=str(request_context.get("requestId") or getattr(context, "aws_request_id", "")),
    )


def tenant_of(authorizer: Any, tenant_by_client_id: Mapping[str, str]) -> str | None:
    """Return the tenant the gateway's authorizer established; never read from the request body."""
    if not isinstance(authorizer, dict):
        return None
    # Lambda authorizer: REST puts the context at the top level, HTTP API under "lambda".
    for context in (authorizer.get("lambda"), authorizer):
        if isinstance(context, dict) and isinstance(context.get("tenant"), str):
            return context["tenant"]
    # Cognito (REST) or JWT (HTTP API) authorizer: map the validated client id.
    claims = authorizer.get("claims")
    if not isinstance(claims, dict):
        claims = (authorizer.get("jwt") or {}).get("claims") if isinstance(authorizer.get("jwt"), dict) else None
    if isinstance(claims, dict):
        client_id = claims.get("client_id")
        if isinstance(client_id, str):
            return tenant_by_client_id.get(client_id)
    return None


def to_proxy_response(response: Response) -> dict[str, Any]:
    return {
        "statusCode": response.status,
        "headers": response.headers,
        "body": response.body_bytes().decode("utf-8"),
        "isBase64Encoded": False,
    }


def _fill_template(template: str, parameters: Any) -> str:
    path = template
    if isinstance(parameters, dict):
        for name, value in parameters.items():
            path = path.replace("{" + name + "}", str(value)).replace("{" + name + "+}", str(value))
    return path


_tenant_map_cache: dict[str, str] | None = None


def _tenant_map() -> dict[str, str]:
    global _tenant_map_cache
    if _tenant_map_cache is None:
        raw = os.environ.get("DESTKIT_TENANT_BY_CLIENT_ID", "{}")
        try:
            parsed = json.loads(raw)
        except json.JSONDecodeError:
            raise RuntimeError("DESTKIT_TENANT_BY_CLIENT_ID is not a JSON object of client id to tenant") from None
        if not isinstance(parsed, dict):
            raise RuntimeError("DESTKIT_TENANT_BY_CLIENT_ID is not a JSON object of client id to tenant")
        _tenant_map_cache = {str(key): str(value) for key, value in parsed.items()}
    return _tenant_map_cache
