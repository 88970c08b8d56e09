"""The Lambda intake handler on API Gateway REST (v1) and HTTP API (v2) events, storing in moto's S3."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from tests.helpers.moto_server import MotoServer

from destkit.runtime.aws import intake
from destkit.runtime.aws.s3_store import S3Store
from destkit.runtime.core import IntakeCore, IntakeSettings

TENANTS = {"7c1ientidacme": "acme"}


@pytest.fixture
def bucket() -> str:
    return f"destkit-sink-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def s3(moto_server_module: MotoServer, bucket: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    client = boto3.client("s3", endpoint_url=moto_server_module.endpoint_url, region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    client.destkit_bucket = bucket
    return client


@pytest.fixture
def s3_core(s3: Any, bucket: str) -> IntakeCore:
    return IntakeCore(S3Store(bucket, s3), IntakeSettings(audience_api=True))


def stored_keys(s3: Any) -> list[str]:
    return [item["Key"] for item in s3.list_objects_v2(Bucket=s3.destkit_bucket).get("Contents", [])]


def test_rest_event_stores_body(s3: Any, s3_core: IntakeCore, load_event):
    event = load_event("rest_v1_intake.json")
    result = intake.handle_event(s3_core, event, None, TENANTS)
    digest = hashlib.sha256(event["body"].encode()).hexdigest()
    assert result["statusCode"] == 201
    assert stored_keys(s3) == [f"acme/payloads/{digest}.json"]


def test_rest_event_metadata(s3: Any, s3_core: IntakeCore, load_event):
    event = load_event("rest_v1_intake.json")
    intake.handle_event(s3_core, event, None, TENANTS)
    head = s3.head_object(Bucket=s3.destkit_bucket, Key=stored_keys(s3)[0])
    assert head["Metadata"]["request-id"] == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    assert "received-at" in head["Metadata"]


def test_rest_event_retry_stores_once(s3: Any, s3_core: IntakeCore, load_event):
    event = load_event("rest_v1_intake.json")
    first = intake.handle_event(s3_core, event, None, TENANTS)
    second = intake.handle_event(s3_core, event, None, TENANTS)
    assert first["statusCode"] == 201
    assert second["statusCode"] == 200
    assert len(stored_keys(s3)) == 1


def test_http_event_gzip_base64(s3: Any, s3_core: IntakeCore, load_event):
    body = b'{"profiles":[{"identities":[{"type":"gaid","id":"g-1"}]}]}'
    event = load_event("http_v2_intake_gzip_base64.json", gzip_base64=base64.b64encode(gzip.compress(body)).decode())
    result = intake.handle_event(s3_core, event, None, TENANTS)
    assert result["statusCode"] == 201
    stored = s3.get_object(Bucket=s3.destkit_bucket, Key=f"acme/payloads/{hashlib.sha256(body).hexdigest()}.json")
    assert stored["Body"].read() == body


@pytest.mark.parametrize("name", ["rest_v1_cognito_intake.json", "http_v2_jwt_intake.json"])
def test_client_id_claim_maps_tenant(s3: Any, s3_core: IntakeCore, load_event, name: str):
    result = intake.handle_event(s3_core, load_event(name), None, TENANTS)
    assert result["statusCode"] == 201
    assert stored_keys(s3)[0].startswith("acme/payloads/")


def test_unmapped_client_id_401(s3: Any, s3_core: IntakeCore, load_event):
    result = intake.handle_event(s3_core, load_event("http_v2_jwt_intake.json"), None, {})
    assert result["statusCode"] == 401
    assert stored_keys(s3) == []


def test_event_without_authorizer_401(s3: Any, s3_core: IntakeCore, load_event):
    event = load_event("rest_v1_intake.json")
    del event["requestContext"]["authorizer"]
    assert intake.handle_event(s3_core, event, None, TENANTS)["statusCode"] == 401


def test_audience_routes_v1_and_v2(s3: Any, s3_core: IntakeCore, load_event):
    created = s3_core.handle(
        intake.to_request(
            load_event("rest_v1_audience_put.json", id="x")
            | {"httpMethod": "POST", "resource": "/v1/audiences", "pathParameters": None},
            None,
            TENANTS,
        )
    )
    assert created.status == 201
    assert created.body is not None
    audience_id = created.body["id"]
    put = intake.handle_event(s3_core, load_event("rest_v1_audience_put.json", id=audience_id), None, TENANTS)
    assert put["statusCode"] == 200
    assert json.loads(put["body"])["name"] == "High value EU (renamed)"
    deleted = intake.handle_event(s3_core, load_event("http_v2_audience_delete.json", id=audience_id), None, TENANTS)
    assert deleted["statusCode"] == 204
    assert stored_keys(s3) == []


@pytest.fixture
def handler_environment(
    moto_server_module: MotoServer, s3: Any, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    monkeypatch.setenv("DESTKIT_SINK_BUCKET", bucket)
    monkeypatch.setenv("DESTKIT_S3_ENDPOINT_URL", moto_server_module.endpoint_url)
    monkeypatch.setenv("DESTKIT_MAX_BODY_BYTES", "2048")
    monkeypatch.setenv("DESTKIT_TENANT_BY_CLIENT_ID", json.dumps(TENANTS))
    monkeypatch.setattr(intake, "_core", None)
    monkeypatch.setattr(intake, "_tenant_map_cache", None)
    yield


def test_handler_reads_environment(handler_environment, s3: Any, load_event):
    result = intake.handler(load_event("rest_v1_cognito_intake.json"), None)
    assert result["statusCode"] == 201
    assert len(stored_keys(s3)) == 1


def test_handler_max_body_from_environment(handler_environment, s3: Any, load_event):
    event = load_event("rest_v1_intake.json")
    event["body"] = json.dumps({"profiles": [{"identities": [{"type": "t", "id": "x" * 3000}]}]})
    result = intake.handler(event, None)
    assert result["statusCode"] == 413
    assert stored_keys(s3) == []


def test_build_core_requires_bucket():
    with pytest.raises(RuntimeError, match="DESTKIT_SINK_BUCKET"):
        intake.build_core({})


def test_proxy_response_shape(s3_core: IntakeCore, load_event):
    result = intake.handle_event(s3_core, load_event("rest_v1_intake.json"), None, TENANTS)
    assert set(result) == {"statusCode", "headers", "body", "isBase64Encoded"}
    assert json.loads(result["body"])["status"] == "stored"
