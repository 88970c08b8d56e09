"""The Azure Functions adapter in process: real ``func.HttpRequest`` objects through the v2 app."""

from __future__ import annotations

import functools
import gzip
import importlib.util
import json
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest

from destkit.runtime.azure import adapter
from destkit.runtime.core import IntakeCore
from destkit.runtime.store import DirectoryStore

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GATEWAY = "6f1c2a9e-0000-4000-8000-00000000a11c"
BASE = "https://acme-aep-dev-fn-0a1b2c.azurewebsites.net/api"


def _load_corpus_module() -> Any:
    # The runtime tests own the corpus body builder; load it by path (test folders are not packages).
    path = Path(__file__).resolve().parents[1] / "runtime" / "test_corpus.py"
    spec = importlib.util.spec_from_file_location("destkit_runtime_corpus", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CORPUS = _load_corpus_module()


def make_request(
    body: bytes,
    *,
    method: str = "POST",
    path: str = "/v1/profiles",
    headers: dict[str, str] | None = None,
    route_params: dict[str, str] | None = None,
    tenant: str | None = "acme",
    principal: str | None = GATEWAY,
) -> func.HttpRequest:
    all_headers = {"content-type": "application/json", "x-ms-request-id": "req-1"}
    all_headers.update(headers or {})
    if tenant is not None:
        all_headers[adapter.TENANT_HEADER] = tenant
    if principal is not None:
        all_headers[adapter.PRINCIPAL_HEADER] = principal
    return func.HttpRequest(
        method=method,
        url=BASE + path,
        headers=all_headers,
        params={},
        route_params=route_params or {},
        body=body,
    )


@pytest.fixture
def sink(tmp_path: Path) -> DirectoryStore:
    return DirectoryStore(tmp_path / "sink")


@pytest.fixture
def core(sink: DirectoryStore) -> IntakeCore:
    environ = {
        "DESTKIT_MAX_BODY_BYTES": "65536",
        "DESTKIT_MAX_DECOMPRESSED_BYTES": "262144",
        "DESTKIT_AUDIENCE_API": "true",
    }
    return adapter.build_core(environ, store=sink)


@functools.cache
def indexed_functions() -> tuple[Any, ...]:
    # FunctionApp.get_functions() builds the functions and refuses to build them twice.
    from destkit.runtime.azure import function_app

    return tuple(function_app.app.get_functions())


@pytest.fixture
def app_functions(monkeypatch: pytest.MonkeyPatch, core: IntakeCore) -> dict[str, Any]:
    from destkit.runtime.azure import function_app

    monkeypatch.setattr(function_app, "_core", core)
    monkeypatch.setenv("DESTKIT_GATEWAY_PRINCIPAL_ID", GATEWAY)
    return {f.get_function_name(): f.get_user_function() for f in indexed_functions()}


def valid_body() -> bytes:
    return (FIXTURES / "payloads" / "valid_minimal.json").read_bytes()


def call(functions: dict[str, Any], name: str, request: func.HttpRequest) -> func.HttpResponse:
    return functions[name](request)


# -- the v2 app ------------------------------------------------------------------------------------


def test_app_registers_three_functions(app_functions):
    assert sorted(app_functions) == ["change_audience", "create_audience", "intake"]


def test_intake_route_binding():
    intake = next(f for f in indexed_functions() if f.get_function_name() == "intake")
    trigger = json.loads(intake.get_function_json())["bindings"][0]
    assert (trigger["route"], trigger["methods"], trigger["authLevel"]) == (
        "v1/profiles",
        ["POST"],
        "ANONYMOUS",
    )


def test_intake_stores_created(app_functions, sink):
    response = call(app_functions, "intake", make_request(valid_body()))
    assert response.status_code == 201


def test_intake_stores_under_tenant(app_functions, sink):
    call(app_functions, "intake", make_request(valid_body()))
    assert [key.split("/")[0] for key in sink.list("")] == ["acme"]


def test_intake_retry_already_stored(app_functions):
    call(app_functions, "intake", make_request(valid_body()))
    response = call(app_functions, "intake", make_request(valid_body()))
    assert json.loads(response.get_body())["status"] == "already_stored"


def test_intake_gzip_body(app_functions, sink):
    response = call(
        app_functions,
        "intake",
        make_request(gzip.compress(valid_body()), headers={"content-encoding": "gzip"}),
    )
    assert response.status_code == 201


def test_response_is_json(app_functions):
    response = call(app_functions, "intake", make_request(valid_body()))
    assert response.headers["Content-Type"] == "application/json"


def test_request_id_passed_to_metadata(app_functions, sink):
    call(app_functions, "intake", make_request(valid_body()))
    assert sink.metadata(sink.list("acme/")[0])["request-id"] == "req-1"


def test_audience_create_then_delete(app_functions):
    created = call(app_functions, "create_audience", make_request(b'{"name": "VIP"}', path="/v1/audiences"))
    audience_id = json.loads(created.get_body())["id"]
    deleted = call(
        app_functions,
        "change_audience",
        make_request(
            b"", method="DELETE", path=f"/v1/audiences/{audience_id}", route_params={"id": audience_id}
        ),
    )
    assert deleted.status_code == 204


def test_audience_route_param_fills_path(app_functions):
    response = call(
        app_functions,
        "change_audience",
        make_request(
            b'{"name": "x"}',
            method="PUT",
            path="/v1/audiences/aud-missing",
            route_params={"id": "aud-missing"},
        ),
    )
    assert json.loads(response.get_body())["error"] == "audience_not_found"


# -- the tenant header is trusted only from the gateway's identity -----------------------------------


def test_no_principal_unauthorized(app_functions, sink):
    response = call(app_functions, "intake", make_request(valid_body(), principal=None))
    assert response.status_code == 401


def test_other_principal_unauthorized(app_functions):
    response = call(app_functions, "intake", make_request(valid_body(), principal="someone-else"))
    assert response.status_code == 401


def test_missing_tenant_header_unauthorized(app_functions):
    response = call(app_functions, "intake", make_request(valid_body(), tenant=None))
    assert response.status_code == 401


def test_unauthorized_sends_www_authenticate(app_functions):
    response = call(app_functions, "intake", make_request(valid_body(), principal=None))
    assert "WWW-Authenticate" in response.headers


def test_unauthorized_stores_nothing(app_functions, sink):
    call(app_functions, "intake", make_request(valid_body(), principal="someone-else"))
    assert sink.list("") == []


def test_principal_compared_case_insensitively():
    headers = {adapter.PRINCIPAL_HEADER: GATEWAY.upper(), adapter.TENANT_HEADER: "acme"}
    assert adapter.trusted_tenant(headers, GATEWAY) == "acme"


def test_unset_gateway_principal_trusts_nobody():
    headers = {adapter.PRINCIPAL_HEADER: "", adapter.TENANT_HEADER: "acme"}
    assert adapter.trusted_tenant(headers, "") is None


def test_invalid_tenant_header_unauthorized(app_functions):
    response = call(app_functions, "intake", make_request(valid_body(), tenant="../etc"))
    assert response.status_code == 401


def test_build_core_without_sink_settings_raises():
    with pytest.raises(RuntimeError, match="DESTKIT_SINK_ACCOUNT_URL"):
        adapter.build_core({})


# -- the runtime's payload fixtures and hostile corpus --------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.name for p in (FIXTURES / "payloads").glob("valid_*.json")))
def test_valid_payload_fixture_stored(name, app_functions):
    response = call(app_functions, "intake", make_request((FIXTURES / "payloads" / name).read_bytes()))
    assert response.status_code == 201


@pytest.mark.parametrize("name", sorted(p.name for p in (FIXTURES / "payloads").glob("invalid_*.json")))
def test_invalid_payload_fixture_422(name, app_functions):
    response = call(app_functions, "intake", make_request((FIXTURES / "payloads" / name).read_bytes()))
    assert response.status_code == 422


CORPUS_CASES = [
    pytest.param(case, id=case_id)
    for case_id, case in CORPUS.CASES
    if case.get("auth", "valid") == "valid" and not case.get("gateway_base64")
]


@pytest.mark.parametrize("case", CORPUS_CASES)
def test_corpus_case(case: dict[str, Any], core: IntakeCore, sink: DirectoryStore):
    path = case.get("path", "/v1/profiles")
    headers = dict(case.get("headers", {"content-type": "application/json"}))
    request = make_request(
        CORPUS.build_body(case), method=case.get("method", "POST"), path=path, headers=headers
    )
    response = adapter.handle(core, request, path, GATEWAY)
    assert (response.status, (response.body or {}).get("error")) == (
        case["expect"]["status"],
        case["expect"]["error"],
    )
    assert sink.list("") == []
