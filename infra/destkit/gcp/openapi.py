"""The OpenAPI 2.0 document API Gateway serves, rendered from the kit's routes.

Every operation routes to a Cloud Functions backend with ``x-google-backend``. The gateway signs
each backend call with its own service account's ID token for ``jwt_audience`` and forwards the
client's ``Authorization`` header as ``X-Forwarded-Authorization``. With ``oauth2`` every path but
the token path requires the JWT security definition, so API Gateway rejects a request with a
missing or invalid token (401) before the backend runs.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import yaml

from destkit.runtime import routes

SECURITY_NAME = "destkit_oauth2"
BACKEND_DEADLINE_SECONDS = 30.0


@dataclass(frozen=True)
class JwtIssuer:
    """The JWT issuer API Gateway checks: ``iss``, its JSON Web Key Set and the accepted audience."""

    issuer: str
    jwks_uri: str
    audience: str


@dataclass(frozen=True)
class OpenApiSpec:
    title: str
    intake_url: str
    auth_mode: str
    """oauth2, bearer or basic. Only oauth2 adds a gateway security requirement."""
    jwt: JwtIssuer | None = None
    token_url: str | None = None
    """Backend of the managed issuer's token endpoint; None for an external issuer."""
    audience_api: bool = False
    deadline_seconds: float = BACKEND_DEADLINE_SECONDS


def _backend(url: str, deadline: float) -> dict[str, object]:
    return {
        "address": url,
        "path_translation": "APPEND_PATH_TO_ADDRESS",
        "jwt_audience": url,
        "deadline": deadline,
    }


def _operation(operation_id: str, backend: dict[str, object], secured: bool) -> dict[str, object]:
    operation: dict[str, object] = {
        "operationId": operation_id,
        "x-google-backend": backend,
        "responses": {"200": {"description": "Success"}, "401": {"description": "Unauthorized"}},
    }
    operation["security"] = [{SECURITY_NAME: []}] if secured else []
    return operation


def render(spec: OpenApiSpec) -> dict[str, object]:
    """Build the document as a dict (OpenAPI 2.0, which API Gateway requires)."""
    if spec.auth_mode == "oauth2" and spec.jwt is None:
        raise ValueError("auth_mode oauth2 needs a JWT issuer (issuer, jwks_uri, audience)")
    secured = spec.auth_mode == "oauth2"
    intake = _backend(spec.intake_url, spec.deadline_seconds)
    paths: dict[str, dict[str, object]] = {
        routes.INTAKE_PATH: {"post": _operation("intake", intake, secured)},
    }
    if spec.audience_api:
        paths[routes.AUDIENCES_PATH] = {"post": _operation("createAudience", intake, secured)}
        item: dict[str, object] = {
            "parameters": [
                {"name": routes.AUDIENCE_ID_PARAMETER, "in": "path", "required": True, "type": "string"}
            ],
            "put": _operation("updateAudience", intake, secured),
            "delete": _operation("deleteAudience", intake, secured),
        }
        paths[routes.AUDIENCE_ITEM_PATH] = dict(item)
    if spec.token_url is not None:
        token_backend = _backend(spec.token_url, spec.deadline_seconds)
        # The token endpoint authenticates the client's id and secret itself; it has no JWT yet.
        paths[routes.TOKEN_PATH] = {"post": _operation("token", token_backend, secured=False)}

    document: dict[str, object] = {
        "swagger": "2.0",
        "info": {"title": spec.title, "version": "1.0.0"},
        "schemes": ["https"],
        "produces": ["application/json"],
        "paths": paths,
    }
    if secured and spec.jwt is not None:
        document["securityDefinitions"] = {
            SECURITY_NAME: {
                # API Gateway reads only the x-google-* fields; this shape is its documented form.
                "authorizationUrl": "",
                "flow": "implicit",
                "type": "oauth2",
                "x-google-issuer": spec.jwt.issuer,
                "x-google-jwks_uri": spec.jwt.jwks_uri,
                "x-google-audiences": spec.jwt.audience,
            }
        }
    return document


def to_yaml(document: dict[str, object]) -> str:
    return yaml.safe_dump(document, sort_keys=False)


def encode(document: dict[str, object]) -> str:
    """Return the document as base64 YAML, the form ``ApiConfig.openapiDocuments`` takes."""
    return base64.b64encode(to_yaml(document).encode()).decode()
