"""Translate Azure Functions HTTP requests to the core's ``Request`` and its ``Response`` back.

This module imports nothing from ``azure.functions``, so any object with ``method``, ``headers``,
``route_params`` and ``get_body()`` can stand in for a request. The tenant comes from the header that
API Management sets, and only when App Service authentication reports API Management's managed
identity as the caller. App Service authentication removes client-sent ``x-ms-client-*`` headers and
sets ``x-ms-client-principal-id`` to the object id in the token it validated.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Protocol

from destkit.runtime.core import IntakeCore, IntakeSettings, Request, Response
from destkit.runtime.store import Store

TENANT_HEADER = "x-destkit-tenant"
PRINCIPAL_HEADER = "x-ms-client-principal-id"
# Headers the platform adds that identify one request, in order of preference.
_REQUEST_ID_HEADERS = ("x-ms-request-id", "x-arr-log-id", "request-id")


class HttpRequestLike(Protocol):
    @property
    def method(self) -> str: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def route_params(self) -> Mapping[str, str]: ...

    def get_body(self) -> bytes: ...


def build_core(environ: Mapping[str, str] = os.environ, store: Store | None = None) -> IntakeCore:
    """Build the core from the app settings; ``store`` replaces Blob Storage in tests."""
    if store is None:
        from destkit.runtime.azure.blob_store import BlobStore, make_container_client

        account_url = environ.get("DESTKIT_SINK_ACCOUNT_URL")
        container = environ.get("DESTKIT_SINK_CONTAINER")
        if not account_url or not container:
            raise RuntimeError(
                "DESTKIT_SINK_ACCOUNT_URL and DESTKIT_SINK_CONTAINER must be set to the sink's blob "
                "endpoint and container"
            )
        store = BlobStore(make_container_client(account_url, container))
    settings = IntakeSettings(
        max_body_bytes=int(environ.get("DESTKIT_MAX_BODY_BYTES", "16000000")),
        max_decompressed_bytes=int(environ.get("DESTKIT_MAX_DECOMPRESSED_BYTES", str(64 * 1024 * 1024))),
        payload_mode=environ.get("DESTKIT_PAYLOAD_MODE", "validate"),
        audience_api=environ.get("DESTKIT_AUDIENCE_API", "false").lower() == "true",
    )
    return IntakeCore(store, settings)


def trusted_tenant(headers: Mapping[str, str], gateway_principal_id: str) -> str | None:
    """Return the tenant header only when the authenticated caller is the gateway's identity."""
    if not gateway_principal_id:
        return None
    if headers.get(PRINCIPAL_HEADER, "").lower() != gateway_principal_id.lower():
        return None
    return headers.get(TENANT_HEADER) or None


def to_request(request: HttpRequestLike, template: str, gateway_principal_id: str) -> Request:
    """Build the core's request; ``template`` is the route, e.g. ``/v1/audiences/{id}``."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    path = template
    for name, value in (request.route_params or {}).items():
        path = path.replace("{" + name + "}", str(value))
    request_id = next((headers[name] for name in _REQUEST_ID_HEADERS if headers.get(name)), "")
    return Request(
        method=request.method.upper(),
        path=path,
        headers=headers,
        body=request.get_body() or b"",
        is_base64=False,
        tenant=trusted_tenant(headers, gateway_principal_id),
        request_id=request_id,
    )


def handle(core: IntakeCore, request: HttpRequestLike, template: str, gateway_principal_id: str) -> Response:
    """Run one request through the core, which turns every exception into an error response."""
    return core.handle(to_request(request, template, gateway_principal_id))


def response_parts(response: Response) -> dict[str, Any]:
    """Return the keyword arguments of ``azure.functions.HttpResponse`` for ``response``."""
    return {"body": response.body_bytes(), "status_code": response.status, "headers": dict(response.headers)}
