"""The OpenAPI 2.0 document for API Gateway, rendered without Pulumi."""

from __future__ import annotations

import base64

import pytest
import yaml

from destkit.gcp import openapi
from destkit.runtime import routes

INTAKE = "https://europe-west1-p.cloudfunctions.net/acme-dev-intake"
TOKEN = "https://europe-west1-p.cloudfunctions.net/acme-dev-token"
ISSUER = openapi.JwtIssuer("signer@p.iam.gserviceaccount.com", "https://keys.example/jwk", "acme-dev-intake")


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield path, method, operation


def test_oauth2_without_issuer_rejected():
    with pytest.raises(ValueError, match="needs a JWT issuer"):
        openapi.render(openapi.OpenApiSpec("t", INTAKE, "oauth2"))


def test_bearer_has_no_security():
    document = openapi.render(openapi.OpenApiSpec("t", INTAKE, "bearer", audience_api=True))
    assert "securityDefinitions" not in document
    for _, _, operation in _operations(document):
        assert operation["security"] == []


def test_every_operation_has_backend():
    spec = openapi.OpenApiSpec("t", INTAKE, "oauth2", jwt=ISSUER, token_url=TOKEN, audience_api=True)
    for path, _, operation in _operations(openapi.render(spec)):
        backend = operation["x-google-backend"]
        assert backend["address"].startswith("https://"), path
        assert backend["jwt_audience"] == backend["address"], path
        assert backend["path_translation"] == "APPEND_PATH_TO_ADDRESS", path


def test_token_path_routes_to_token_function():
    spec = openapi.OpenApiSpec("t", INTAKE, "oauth2", jwt=ISSUER, token_url=TOKEN)
    operation = openapi.render(spec)["paths"][routes.TOKEN_PATH]["post"]
    assert operation["x-google-backend"]["address"] == TOKEN
    assert operation["security"] == []


def test_audience_item_declares_parameter():
    spec = openapi.OpenApiSpec("t", INTAKE, "oauth2", jwt=ISSUER, audience_api=True)
    item = openapi.render(spec)["paths"][routes.AUDIENCE_ITEM_PATH]
    assert item["parameters"][0]["name"] == routes.AUDIENCE_ID_PARAMETER
    assert set(item) == {"parameters", "put", "delete"}


def test_audience_paths_absent_by_default():
    document = openapi.render(openapi.OpenApiSpec("t", INTAKE, "oauth2", jwt=ISSUER))
    assert set(document["paths"]) == {routes.INTAKE_PATH}


def test_encoded_document_round_trips():
    spec = openapi.OpenApiSpec("t", INTAKE, "oauth2", jwt=ISSUER, token_url=TOKEN)
    document = openapi.render(spec)
    assert yaml.safe_load(base64.b64decode(openapi.encode(document))) == document


def test_swagger_version_two():
    assert openapi.render(openapi.OpenApiSpec("t", INTAKE, "basic"))["swagger"] == "2.0"
