"""Azure Functions entry point (Python v2 programming model) for the intake and audience API.

App settings: ``DESTKIT_SINK_ACCOUNT_URL`` and ``DESTKIT_SINK_CONTAINER`` (required),
``DESTKIT_GATEWAY_PRINCIPAL_ID`` (object id of API Management's managed identity; without it every
request is unauthenticated), ``DESTKIT_MAX_BODY_BYTES``, ``DESTKIT_MAX_DECOMPRESSED_BYTES``,
``DESTKIT_PAYLOAD_MODE`` and ``DESTKIT_AUDIENCE_API``. The functions use anonymous function-level
auth because App Service authentication and API Management authenticate every request first.
"""

from __future__ import annotations

import logging
import os

import azure.functions as func

from destkit.runtime import routes
from destkit.runtime.azure.adapter import build_core, handle, response_parts
from destkit.runtime.core import IntakeCore

logging.getLogger("destkit.intake").setLevel(logging.INFO)

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
_core: IntakeCore | None = None


def _serve(request: func.HttpRequest, template: str) -> func.HttpResponse:
    global _core
    if _core is None:
        _core = build_core()
    response = handle(_core, request, template, os.environ.get("DESTKIT_GATEWAY_PRINCIPAL_ID", ""))
    return func.HttpResponse(**response_parts(response))


# Route templates without the leading slash; the host adds its "api" route prefix.
@app.route(route=routes.INTAKE_PATH.lstrip("/"), methods=["POST"])
def intake(req: func.HttpRequest) -> func.HttpResponse:
    return _serve(req, routes.INTAKE_PATH)


@app.route(route=routes.AUDIENCES_PATH.lstrip("/"), methods=["POST"])
def create_audience(req: func.HttpRequest) -> func.HttpResponse:
    return _serve(req, routes.AUDIENCES_PATH)


@app.route(route=routes.AUDIENCE_ITEM_PATH.lstrip("/"), methods=["PUT", "DELETE"])
def change_audience(req: func.HttpRequest) -> func.HttpResponse:
    return _serve(req, routes.AUDIENCE_ITEM_PATH)
