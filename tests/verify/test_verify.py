"""destkit verify end to end against destkit serve, moto (IAM enforced), Azurite and SFTP on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.verify.conftest import (
    TENANTS,
    blob_outputs,
    rsa_key_pair,
    s3_outputs,
    sftp_outputs,
    start_serve,
    stop_process,
    streaming_outputs,
)

from destkit.cli.main import main


def _verify(tmp_path: Path, outputs: dict[str, Any], *extra: str) -> int:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    return main(["verify", "--stack", "local", "--outputs", str(path), "--json", *extra])


def _checks(capsys) -> list[dict[str, Any]]:
    return json.loads(capsys.readouterr().out)["checks"]


def _failed(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [check for check in checks if not check["passed"]]


def test_everything_passes(tmp_path, capsys, serve_oauth2, moto_iam, blob_emulator, sftp):
    outputs = {
        **streaming_outputs(serve_oauth2.ready),
        **s3_outputs(moto_iam, "all"),
        **blob_outputs(blob_emulator, "all"),
        **sftp_outputs(sftp),
    }
    status = _verify(tmp_path, outputs, "--s3-endpoint", moto_iam.server.endpoint_url)
    checks = _checks(capsys)
    assert _failed(checks) == []
    assert status == 0
    assert {check["area"] for check in checks} == {"streaming", "s3", "blob", "sftp"}


def test_streaming_checks_listed(tmp_path, capsys, serve_oauth2):
    _verify(tmp_path, streaming_outputs(serve_oauth2.ready))
    names = {(check["tenant"], check["name"]) for check in _checks(capsys)}
    for tenant in TENANTS:
        assert (tenant, "token endpoint issues a token") in names
        assert (tenant, "sample batch rendered from the template is accepted") in names
        assert (tenant, "audience API creates an audience") in names
        assert (tenant, "audience API deletes the audience") in names
    assert ("tenant-1", "tenant-2's credentials cannot change tenant-1's audience") in names
    assert ("tenant-2", "tenant-1's credentials cannot change tenant-2's audience") in names
    assert ("", "missing credentials get 401") in names
    assert ("", "wrong credentials get 401") in names
    assert ("", "tenant-1's id with tenant-2's secret is rejected") in names


@pytest.mark.parametrize("auth", ["bearer", "basic"])
def test_streaming_other_auth(tmp_path, capsys, auth):
    serve = start_serve(auth)
    try:
        status = _verify(tmp_path, streaming_outputs(serve.ready))
        checks = _checks(capsys)
    finally:
        stop_process(serve.process)
    assert _failed(checks) == []
    assert status == 0


def test_streaming_wrong_secret_fails(tmp_path, capsys, serve_oauth2):
    outputs = streaming_outputs(serve_oauth2.ready)
    outputs["client_secrets"] = dict(outputs["client_secrets"], **{"tenant-2": "not-the-secret"})
    assert _verify(tmp_path, outputs) == 1
    failed = _failed(_checks(capsys))
    assert [(check["tenant"], check["name"]) for check in failed] == [("tenant-2", "token endpoint issues a token")]
    assert "HTTP 401" in failed[0]["detail"]


def test_streaming_unreachable_fails(tmp_path, capsys, serve_oauth2):
    outputs = dict(streaming_outputs(serve_oauth2.ready), url="http://127.0.0.1:9/v1/profiles")
    assert _verify(tmp_path, outputs, "--only", "streaming") == 1
    failed = _failed(_checks(capsys))
    assert failed[0]["name"] == "missing credentials get 401"
    assert "no response" in failed[0]["detail"]


def test_s3_missing_delete_permission(tmp_path, capsys, moto_iam):
    outputs = {"tenants": list(TENANTS), **s3_outputs(moto_iam, "nodelete", without="s3:DeleteObject")}
    assert _verify(tmp_path, outputs, "--s3-endpoint", moto_iam.server.endpoint_url) == 1
    failed = _failed(_checks(capsys))
    assert {check["name"] for check in failed} == {"delete csv export", "delete json export", "delete parquet export"}
    assert "AccessDenied for s3:DeleteObject" in failed[0]["detail"]
    assert "the writer policy must allow s3:DeleteObject" in failed[0]["detail"]


def test_s3_missing_put_permission(tmp_path, capsys, moto_iam):
    outputs = {"tenants": list(TENANTS), **s3_outputs(moto_iam, "noput", without="s3:PutObject")}
    assert _verify(tmp_path, outputs, "--s3-endpoint", moto_iam.server.endpoint_url) == 1
    failed = _failed(_checks(capsys))
    assert "write csv export" in {check["name"] for check in failed}
    assert "AccessDenied for s3:PutObject" in failed[0]["detail"]


def test_s3_cross_tenant_write_denied(tmp_path, capsys, moto_iam):
    outputs = {"tenants": list(TENANTS), **s3_outputs(moto_iam, "iso")}
    _verify(tmp_path, outputs, "--s3-endpoint", moto_iam.server.endpoint_url)
    checks = {(check["tenant"], check["name"]): check for check in _checks(capsys)}
    assert checks[("tenant-1", "cannot write into tenant-2's folder")]["passed"] is True
    assert "bucket listing" in {name for _, name in checks}


def test_s3_policy_without_prefix_fails_isolation(tmp_path, capsys, moto_iam):
    outputs = {"tenants": list(TENANTS), **s3_outputs(moto_iam, "wide")}
    wide = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    key = moto_iam.writer_key("wide-tenant-1-all", wide)
    outputs["s3_access_key_ids"]["tenant-1"] = key["AccessKeyId"]
    outputs["s3_secret_access_keys"]["tenant-1"] = key["SecretAccessKey"]
    assert _verify(tmp_path, outputs, "--s3-endpoint", moto_iam.server.endpoint_url) == 1
    failed = _failed(_checks(capsys))
    assert [(check["tenant"], check["name"]) for check in failed] == [
        ("tenant-1", "cannot write into tenant-2's folder")
    ]
    assert "scope its policy to its own folder" in failed[0]["detail"]


def test_s3_unknown_key(tmp_path, capsys, moto_iam):
    outputs = {"tenants": list(TENANTS), **s3_outputs(moto_iam, "badkey")}
    outputs["s3_secret_access_keys"]["tenant-2"] = "wrong-secret"
    assert _verify(tmp_path, outputs, "--s3-endpoint", moto_iam.server.endpoint_url) == 1
    failed = _failed(_checks(capsys))
    assert {check["tenant"] for check in failed} == {"tenant-2"}


def test_blob_account_wide_isolation_reported(tmp_path, capsys, blob_emulator):
    outputs = {"tenants": list(TENANTS), **blob_outputs(blob_emulator, "iso")}
    assert _verify(tmp_path, outputs) == 0
    checks = {(check["tenant"], check["name"]): check for check in _checks(capsys)}
    assert "reaches the whole storage account" in checks[("tenant-1", "isolation from tenant-2")]["detail"]


def test_blob_wrong_key_fails(tmp_path, capsys, blob_emulator):
    outputs = {"tenants": list(TENANTS), **blob_outputs(blob_emulator, "badkey")}
    wrong = blob_emulator.connection_string.replace("AccountKey=Eby8", "AccountKey=AAAA")
    outputs["blob_connection_strings"] = {"tenant-1": wrong, "tenant-2": blob_emulator.connection_string}
    assert _verify(tmp_path, outputs) == 1
    failed = _failed(_checks(capsys))
    assert {check["tenant"] for check in failed} == {"tenant-1"}
    assert "AuthorizationFailure" in failed[0]["detail"] or "authenticate" in failed[0]["detail"]


def test_blob_missing_container_fails(tmp_path, capsys, blob_emulator):
    outputs = {"tenants": list(TENANTS), **blob_outputs(blob_emulator, "gone")}
    outputs["blob_containers"]["tenant-2"] = "no-such-container"
    assert _verify(tmp_path, outputs, "--only", "blob") == 1
    failed = _failed(_checks(capsys))
    assert "ContainerNotFound" in failed[0]["detail"]


def test_sftp_isolation_checked(tmp_path, capsys, sftp):
    assert _verify(tmp_path, {"tenants": list(TENANTS), **sftp_outputs(sftp)}) == 0
    names = {(check["tenant"], check["name"]) for check in _checks(capsys)}
    assert ("tenant-2", "cannot see tenant-1's files") in names


def test_sftp_wrong_key_fails(tmp_path, capsys, sftp):
    outputs = {"tenants": list(TENANTS), **sftp_outputs(sftp)}
    outputs["sftp_private_keys"] = dict(outputs["sftp_private_keys"], **{"tenant-1": rsa_key_pair()[0]})
    assert _verify(tmp_path, outputs) == 1
    failed = _failed(_checks(capsys))
    assert [(check["tenant"], check["name"]) for check in failed] == [("tenant-1", "log in with the private key")]


def test_sftp_key_not_base64(tmp_path, capsys, sftp):
    outputs = {"tenants": list(TENANTS), **sftp_outputs(sftp)}
    outputs["sftp_private_keys"] = dict(outputs["sftp_private_keys"], **{"tenant-2": "-----BEGIN RSA"})
    assert _verify(tmp_path, outputs) == 1
    failed = _failed(_checks(capsys))
    assert "not base64 of a PEM file" in failed[0]["detail"]


def test_sftp_unwritable_root_fails(tmp_path, capsys, sftp):
    blocker = sftp.server.root / "tenant-1" / "blocker"
    blocker.write_text("a file where the root directory should be\n")
    outputs = {"tenants": list(TENANTS), **sftp_outputs(sftp)}
    outputs["sftp_root_directories"] = {"tenant-1": "/blocker/exports", "tenant-2": "/"}
    try:
        assert _verify(tmp_path, outputs) == 1
    finally:
        blocker.unlink()
    failed = _failed(_checks(capsys))
    assert failed[0]["tenant"] == "tenant-1"
    assert failed[0]["name"] == "write csv export"
    assert "/blocker/exports" in failed[0]["detail"]


def test_placeholders_rejected(tmp_path, capsys, serve_oauth2):
    outputs = streaming_outputs(serve_oauth2.ready)
    outputs["client_secrets"] = {tenant: "[secret]" for tenant in outputs["client_secrets"]}
    assert _verify(tmp_path, outputs) == 2
    assert "--show-secrets" in capsys.readouterr().err


def test_outputs_required(capsys):
    assert main(["verify", "--stack", "local"]) == 2
    assert "pass --outputs FILE" in capsys.readouterr().err


def test_nothing_to_verify(tmp_path, capsys):
    assert _verify(tmp_path, {"tenants": ["a"]}) == 2
    assert "no streaming endpoint and no batch location" in capsys.readouterr().err


def test_text_checklist(tmp_path, capsys, serve_oauth2):
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(streaming_outputs(serve_oauth2.ready)))
    assert main(["verify", "--stack", "local", "--outputs", str(path)]) == 0
    text = capsys.readouterr().out
    assert "PASS streaming [tenant-1]: token endpoint issues a token" in text
    assert text.rstrip().endswith("0 failed")
