"""The intake core and the audience API over the local directory store."""

from __future__ import annotations

import hashlib
import json
import logging

import pytest

from destkit.runtime.core import IntakeCore, IntakeSettings, Request
from destkit.runtime.store import DirectoryStore

BODY = b'{"profiles":[{"identities":[{"type":"acme_uid","id":"U-1"}],"attributes":{"city":"Z\xc3\xbcrich"}}]}'
JSON_HEADERS = {"content-type": "application/json"}


def post(core: IntakeCore, body: bytes = BODY, tenant: str | None = "acme", **options):
    request = Request("POST", "/v1/profiles", options.pop("headers", JSON_HEADERS), body, tenant=tenant, **options)
    return core.handle(request)


def test_intake_stores_under_digest(core: IntakeCore, store: DirectoryStore):
    response = post(core)
    digest = hashlib.sha256(BODY).hexdigest()
    assert response.status == 201
    assert store.get(f"acme/payloads/{digest}.json") == BODY


def test_intake_metadata_has_receive_time(core: IntakeCore, store: DirectoryStore):
    post(core, request_id="req-1")
    metadata = store.metadata(f"acme/payloads/{hashlib.sha256(BODY).hexdigest()}.json")
    assert metadata is not None
    assert metadata["received-at"].endswith("Z")
    assert metadata["request-id"] == "req-1"


def test_intake_retry_stores_once(core: IntakeCore, store: DirectoryStore):
    first = post(core)
    second = post(core)
    assert first.status == 201
    assert second.status == 200
    assert second.body is not None and second.body["status"] == "already_stored"
    assert len(store.list("acme/")) == 1


def test_intake_same_body_per_tenant(core: IntakeCore, store: DirectoryStore):
    post(core, tenant="acme")
    post(core, tenant="globex")
    assert len(store.list("acme/payloads/")) == 1
    assert len(store.list("globex/payloads/")) == 1


def test_intake_without_tenant_401(core: IntakeCore, store: DirectoryStore):
    response = post(core, tenant=None)
    assert response.status == 401
    assert "WWW-Authenticate" in response.headers
    assert store.list("") == []


@pytest.mark.parametrize("tenant", ["../etc", "Acme", "acme/../globex", "a" * 80])
def test_intake_invalid_tenant_401(core: IntakeCore, store: DirectoryStore, tenant: str):
    response = post(core, tenant=tenant)
    assert response.status == 401
    assert store.list("") == []


def test_intake_body_tenant_ignored(core: IntakeCore, store: DirectoryStore):
    body = b'{"tenant":"globex","profiles":[{"identities":[{"type":"t","id":"1"}]}]}'
    post(core, body=body, headers={"content-type": "application/json", "x-tenant": "globex"})
    assert store.list("globex/") == []
    assert len(store.list("acme/")) == 1


def test_intake_stores_decompressed_body(core: IntakeCore, store: DirectoryStore):
    import gzip

    post(core, body=gzip.compress(BODY))
    assert store.get(f"acme/payloads/{hashlib.sha256(BODY).hexdigest()}.json") == BODY


def test_passthrough_accepts_any_object(store: DirectoryStore):
    core = IntakeCore(store, IntakeSettings(payload_mode="passthrough"))
    response = post(core, body=b'{"audience":"x","members":[{"uid":"U-1"}]}')
    assert response.status == 201


def test_settings_reject_unknown_mode():
    with pytest.raises(ValueError, match="payload_mode"):
        IntakeSettings(payload_mode="lenient")


def test_log_line_has_no_content(core: IntakeCore, caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.INFO, logger="destkit.intake"):
        post(core, request_id="req-log")
    line = json.loads(caplog.records[-1].getMessage())
    assert line["request_id"] == "req-log"
    assert line["tenant"] == "acme"
    assert line["status"] == 201
    assert line["profiles"] == 1
    assert line["bytes"] == len(BODY)
    assert "U-1" not in caplog.text
    assert "rich" not in caplog.text


def test_unexpected_error_is_500(store: DirectoryStore, monkeypatch: pytest.MonkeyPatch):
    core = IntakeCore(store)

    def broken(*args, **kwargs):
        raise KeyError("bug")

    monkeypatch.setattr(store, "put_if_absent", broken)
    response = post(core)
    assert response.status == 500
    assert response.body is not None and response.body["error"] == "internal_error"


def audience_request(core: IntakeCore, method: str, path: str, body: dict | None = None, tenant: str = "acme"):
    raw = json.dumps(body).encode() if body is not None else b""
    return core.handle(Request(method, path, JSON_HEADERS, raw, tenant=tenant))


def test_audience_create_returns_id(core: IntakeCore, store: DirectoryStore):
    response = audience_request(core, "POST", "/v1/audiences", {"name": "High value EU"})
    assert response.status == 201
    assert response.body is not None
    audience_id = response.body["id"]
    assert store.get(f"acme/audiences/{audience_id}.json") is not None


def test_audience_create_idempotent_with_aep_id(core: IntakeCore, store: DirectoryStore):
    body = {"name": "High value EU", "aepId": "0a1b2c3d-0000-4000-8000-000000000001"}
    first = audience_request(core, "POST", "/v1/audiences", body)
    second = audience_request(core, "POST", "/v1/audiences", body)
    assert first.status == 201
    assert second.status == 200
    assert first.body is not None and second.body is not None
    assert first.body["id"] == second.body["id"]
    assert len(store.list("acme/audiences/")) == 1


def test_audience_update_and_delete(core: IntakeCore, store: DirectoryStore):
    created = audience_request(core, "POST", "/v1/audiences", {"name": "A"})
    assert created.body is not None
    path = f"/v1/audiences/{created.body['id']}"
    updated = audience_request(core, "PUT", path, {"name": "B"})
    assert updated.status == 200
    assert updated.body is not None and updated.body["name"] == "B"
    assert audience_request(core, "DELETE", path).status == 204
    assert audience_request(core, "DELETE", path).status == 404


def test_audience_other_tenant_404(core: IntakeCore):
    created = audience_request(core, "POST", "/v1/audiences", {"name": "A"})
    assert created.body is not None
    response = audience_request(core, "DELETE", f"/v1/audiences/{created.body['id']}", tenant="globex")
    assert response.status == 404


@pytest.mark.parametrize("audience_id", ["..", "a.b", "UPPER", "x" * 65, "a%2F..%2Fb"])
def test_audience_hostile_id_404(core: IntakeCore, audience_id: str):
    response = audience_request(core, "PUT", f"/v1/audiences/{audience_id}", {"name": "A"})
    assert response.status == 404


@pytest.mark.parametrize("body", [{"name": ""}, {"name": 5}, {}, {"name": "A", "aepId": 3}])
def test_audience_invalid_body_422(core: IntakeCore, body: dict):
    response = audience_request(core, "POST", "/v1/audiences", body)
    assert response.status == 422


def test_audience_api_disabled_404(store: DirectoryStore):
    core = IntakeCore(store, IntakeSettings(audience_api=False))
    assert audience_request(core, "POST", "/v1/audiences", {"name": "A"}).status == 404


def test_directory_store_concurrent_create(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    store = DirectoryStore(tmp_path)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: store.put_if_absent("t/k.json", b"data", {}), range(32)))
    assert results.count(True) == 1
    assert store.get("t/k.json") == b"data"
