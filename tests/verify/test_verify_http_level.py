"""destkit verify for GCS and ADLS Gen2, tested at the HTTP level against fakes on 127.0.0.1.

No local emulator speaks Cloud Storage's HMAC XML API or the Data Lake Storage Gen2 REST API, so these
tests use the fakes in fake_cloud_http.py. They show that verify sends the right requests with each
tenant's credentials and reports denials precisely. They do not prove compatibility with Google's or
Microsoft's services.
"""

from __future__ import annotations

import json

import pytest
from tests.verify.fake_cloud_http import FakeAdls, FakeGcs

from destkit.cli.main import main

TENANTS = ["tenant-1", "tenant-2"]
ENTRA_TENANT = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def gcs():
    server = FakeGcs("destkit-dropzone").start()
    server.grants = {f"GOOG1{tenant.upper()}": f"{tenant}/" for tenant in TENANTS}
    yield server
    server.stop()


@pytest.fixture
def adls():
    server = FakeAdls(ENTRA_TENANT).start()
    server.principals = {f"client-{tenant}": (f"secret-{tenant}", f"fs-{tenant}") for tenant in TENANTS}
    yield server
    server.stop()


def _gcs_outputs() -> dict:
    return {
        "tenants": TENANTS,
        "gcs_bucket": "destkit-dropzone",
        "gcs_prefixes": {tenant: f"{tenant}/" for tenant in TENANTS},
        "gcs_hmac_access_ids": {tenant: f"GOOG1{tenant.upper()}" for tenant in TENANTS},
        "gcs_hmac_secrets": {tenant: f"hmac-secret-{tenant}" for tenant in TENANTS},
    }


def _adls_outputs() -> dict:
    return {
        "tenants": TENANTS,
        "adls_urls": {tenant: f"abfss://fs-{tenant}@destkitdev.dfs.core.windows.net/exports" for tenant in TENANTS},
        "adls_tenant_id": ENTRA_TENANT,
        "adls_client_ids": {tenant: f"client-{tenant}" for tenant in TENANTS},
        "adls_client_secrets": {tenant: f"secret-{tenant}" for tenant in TENANTS},
    }


def _run(tmp_path, outputs: dict, *extra: str) -> int:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    return main(["verify", "--stack", "local", "--outputs", str(path), "--json", *extra])


def _failed(capsys) -> list[dict]:
    return [check for check in json.loads(capsys.readouterr().out)["checks"] if not check["passed"]]


def test_gcs_passes(tmp_path, capsys, gcs):
    assert _run(tmp_path, _gcs_outputs(), "--gcs-endpoint", gcs.url) == 0
    assert _failed(capsys) == []
    assert gcs.objects == {}


def test_gcs_folder_not_granted(tmp_path, capsys, gcs):
    gcs.grants["GOOG1TENANT-2"] = "somewhere-else/"
    assert _run(tmp_path, _gcs_outputs(), "--gcs-endpoint", gcs.url) == 1
    failed = _failed(capsys)
    assert {check["tenant"] for check in failed} == {"tenant-2"}
    assert "AccessDenied for put on gs://destkit-dropzone/tenant-2/" in failed[0]["detail"]


def test_gcs_cross_tenant_write(tmp_path, capsys, gcs):
    gcs.grants["GOOG1TENANT-1"] = ""
    assert _run(tmp_path, _gcs_outputs(), "--gcs-endpoint", gcs.url) == 1
    failed = _failed(capsys)
    assert [(check["tenant"], check["name"]) for check in failed] == [
        ("tenant-1", "cannot write into tenant-2's folder")
    ]


def test_gcs_endpoint_required(tmp_path, capsys):
    assert _run(tmp_path, _gcs_outputs()) == 2
    assert "--gcs-endpoint" in capsys.readouterr().err


def test_adls_passes(tmp_path, capsys, adls):
    status = _run(tmp_path, _adls_outputs(), "--adls-endpoint", adls.url, "--entra-authority", adls.url)
    assert _failed(capsys) == []
    assert status == 0
    assert adls.files == {}


def test_adls_missing_role(tmp_path, capsys, adls):
    adls.principals["client-tenant-1"] = ("secret-tenant-1", "fs-other")
    assert _run(tmp_path, _adls_outputs(), "--adls-endpoint", adls.url, "--entra-authority", adls.url) == 1
    failed = _failed(capsys)
    assert {check["tenant"] for check in failed} == {"tenant-1"}
    assert "HTTP 403 AuthorizationPermissionMismatch" in failed[0]["detail"]
    assert "Storage Blob Data Contributor" in failed[0]["detail"]


def test_adls_wrong_secret(tmp_path, capsys, adls):
    outputs = _adls_outputs()
    outputs["adls_client_secrets"]["tenant-2"] = "expired"
    assert _run(tmp_path, outputs, "--adls-endpoint", adls.url, "--entra-authority", adls.url) == 1
    failed = _failed(capsys)
    assert [(check["tenant"], check["name"]) for check in failed] == [("tenant-2", "service principal obtains a token")]
    assert "invalid_client" in failed[0]["detail"]


def test_adls_bad_url(tmp_path, capsys, adls):
    outputs = _adls_outputs()
    outputs["adls_urls"]["tenant-1"] = "https://example.invalid/fs"
    assert _run(tmp_path, outputs, "--adls-endpoint", adls.url, "--entra-authority", adls.url) == 1
    assert "is not an abfss://" in _failed(capsys)[0]["detail"]


def test_adls_authority_required(tmp_path, capsys):
    assert _run(tmp_path, _adls_outputs()) == 2
    assert "--entra-authority" in capsys.readouterr().err


def test_only_unconfigured_area(tmp_path, capsys):
    assert _run(tmp_path, _gcs_outputs(), "--only", "sftp") == 2
    assert "the stack has only gcs" in capsys.readouterr().err
