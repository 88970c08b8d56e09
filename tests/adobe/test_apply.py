"""destkit adobe apply against a fake IMS and authoring API on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_adobe import CLIENT_ID, CLIENT_SECRET, ORG_ID, SANDBOX, FakeAdobe

from destkit.adobe.apply import changed_fields
from destkit.cli.main import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "adobe"


@pytest.fixture
def fake():
    server = FakeAdobe().start()
    yield server
    server.stop()


@pytest.fixture
def adobe_env(monkeypatch, fake):
    monkeypatch.setenv("DESTKIT_ADOBE_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("DESTKIT_ADOBE_CLIENT_SECRET", CLIENT_SECRET)
    for name in (
        "DESTKIT_ADOBE_ORG_ID",
        "DESTKIT_ADOBE_SANDBOX",
        "DESTKIT_ADOBE_API_BASE",
        "DESTKIT_ADOBE_IMS_URL",
        "DESTKIT_ADOBE_SCOPES",
    ):
        monkeypatch.delenv(name, raising=False)
    return fake


def _apply(fake: FakeAdobe, state: Path, *extra: str, outputs: str = "outputs-aws.json") -> int:
    return main(
        [
            "adobe",
            "apply",
            "--stack",
            "aws-dev",
            "--outputs",
            str(FIXTURES / outputs),
            "--state",
            str(state),
            "--sandbox",
            SANDBOX,
            "--org-id",
            ORG_ID,
            "--api-base",
            fake.api_base,
            "--ims-url",
            fake.ims_url,
            "--notify-url",
            "https://notify.example.test/v1/exports",
            *extra,
        ]
    )


def _writes(fake: FakeAdobe) -> list[tuple[str, str]]:
    return [call for call in fake.calls if call[0] in ("POST", "PUT", "DELETE") and "/ims/" not in call[1]]


def test_dry_run_changes_nothing(adobe_env, tmp_path, capsys):
    status = _apply(adobe_env, tmp_path / "state.json")
    output = capsys.readouterr().out
    assert status == 0
    assert _writes(adobe_env) == []
    assert not (tmp_path / "state.json").exists()
    assert "+ create destination-server streaming-server" in output
    assert "rerun with --apply" in output


def test_apply_creates_all(adobe_env, tmp_path):
    state_path = tmp_path / "state.json"
    assert _apply(adobe_env, state_path, "--apply") == 0
    state = json.loads(state_path.read_text())
    assert len(state["instances"]) == 8
    assert set(adobe_env.objects) == {entry["instanceId"] for entry in state["instances"].values()}


def test_apply_links_server_ids(adobe_env, tmp_path):
    state_path = tmp_path / "state.json"
    _apply(adobe_env, state_path, "--apply")
    instances = json.loads(state_path.read_text())["instances"]
    destination = adobe_env.objects[instances["s3-destination"]["instanceId"]]
    assert destination["destinationDelivery"][0]["destinationServerId"] == instances["s3-server"]["instanceId"]
    streaming = adobe_env.objects[instances["streaming-destination"]["instanceId"]]
    template_id = streaming["segmentMappingConfig"]["audienceTemplateId"]
    assert template_id == instances["audience-template"]["instanceId"]


def test_apply_twice_is_idempotent(adobe_env, tmp_path, capsys):
    state_path = tmp_path / "state.json"
    _apply(adobe_env, state_path, "--apply")
    writes = len(_writes(adobe_env))
    capsys.readouterr()
    assert _apply(adobe_env, state_path, "--apply") == 0
    assert len(_writes(adobe_env)) == writes
    assert "nothing to change" in capsys.readouterr().out


def test_apply_updates_by_id(adobe_env, tmp_path, capsys):
    state_path = tmp_path / "state.json"
    _apply(adobe_env, state_path, "--apply")
    instances = json.loads(state_path.read_text())["instances"]
    server_id = instances["s3-server"]["instanceId"]
    adobe_env.objects[server_id]["name"] = "changed-in-the-ui"
    capsys.readouterr()
    assert _apply(adobe_env, state_path, "--apply") == 0
    output = capsys.readouterr().out
    assert f"~ update destination-server s3-server ({server_id}): name" in output
    assert adobe_env.objects[server_id]["name"] == "destkit-aws-dev-s3"
    assert ("PUT", f"/data/core/activation/authoring/destination-servers/{server_id}") in adobe_env.calls


def test_apply_recreates_deleted(adobe_env, tmp_path):
    state_path = tmp_path / "state.json"
    _apply(adobe_env, state_path, "--apply")
    instances = json.loads(state_path.read_text())["instances"]
    old_id = instances["sftp-server"]["instanceId"]
    del adobe_env.objects[old_id]
    del adobe_env.kinds[old_id]
    assert _apply(adobe_env, state_path, "--apply") == 0
    new_id = json.loads(state_path.read_text())["instances"]["sftp-server"]["instanceId"]
    destination_id = instances["sftp-destination"]["instanceId"]
    assert new_id != old_id
    assert adobe_env.objects[destination_id]["destinationDelivery"][0]["destinationServerId"] == new_id


def test_wrong_client_secret(adobe_env, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DESTKIT_ADOBE_CLIENT_SECRET", "wrong")
    assert _apply(adobe_env, tmp_path / "state.json") == 1
    error = capsys.readouterr().err
    assert "HTTP 401" in error
    assert "wrong" not in error


def test_wrong_sandbox_rejected_by_api(adobe_env, tmp_path, capsys):
    arguments = [
        "adobe",
        "apply",
        "--stack",
        "aws-dev",
        "--outputs",
        str(FIXTURES / "outputs-aws.json"),
        "--state",
        str(tmp_path / "s.json"),
        "--sandbox",
        "prod",
        "--org-id",
        ORG_ID,
        "--api-base",
        adobe_env.api_base,
        "--ims-url",
        adobe_env.ims_url,
        "--apply",
    ]
    assert main(arguments) == 1
    assert "x-sandbox-name" in capsys.readouterr().err


def test_offline_plan_refused(adobe_env, capsys):
    arguments = [
        "adobe",
        "apply",
        "--stack",
        "aws-dev",
        "--sandbox",
        SANDBOX,
        "--org-id",
        ORG_ID,
        "--api-base",
        adobe_env.api_base,
        "--ims-url",
        adobe_env.ims_url,
    ]
    assert main(arguments) == 2
    assert "not the offline plan" in capsys.readouterr().err
    assert adobe_env.calls == []


@pytest.mark.parametrize(
    ("drop", "message"),
    [("--api-base", "--api-base is not set"), ("--ims-url", "--ims-url is not set"), ("--sandbox", "--sandbox")],
)
def test_missing_settings(adobe_env, tmp_path, drop, message, capsys):
    arguments = [
        "adobe",
        "apply",
        "--stack",
        "aws-dev",
        "--outputs",
        str(FIXTURES / "outputs-aws.json"),
        "--state",
        str(tmp_path / "s.json"),
        "--sandbox",
        SANDBOX,
        "--org-id",
        ORG_ID,
        "--api-base",
        adobe_env.api_base,
        "--ims-url",
        adobe_env.ims_url,
    ]
    index = arguments.index(drop)
    del arguments[index : index + 2]
    assert main(arguments) == 2
    assert message in capsys.readouterr().err
    assert adobe_env.calls == []


def test_missing_client_id(adobe_env, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DESTKIT_ADOBE_CLIENT_ID")
    assert _apply(adobe_env, tmp_path / "s.json") == 2
    assert "DESTKIT_ADOBE_CLIENT_ID" in capsys.readouterr().err


def test_bad_api_base(adobe_env, tmp_path, capsys):
    arguments = [
        "adobe",
        "apply",
        "--stack",
        "aws-dev",
        "--outputs",
        str(FIXTURES / "outputs-aws.json"),
        "--state",
        str(tmp_path / "s.json"),
        "--sandbox",
        SANDBOX,
        "--org-id",
        ORG_ID,
        "--api-base",
        "ftp://127.0.0.1/x",
        "--ims-url",
        adobe_env.ims_url,
    ]
    assert main(arguments) == 2
    assert "not an http(s) URL" in capsys.readouterr().err


def test_state_of_other_stack(adobe_env, tmp_path, capsys):
    state_path = tmp_path / "state.json"
    state_path.write_text(json.dumps({"version": 1, "stack": "prod", "sandbox": SANDBOX, "instances": {}}))
    assert _apply(adobe_env, state_path) == 2
    assert "records stack 'prod'" in capsys.readouterr().err


def test_state_corrupt(adobe_env, tmp_path, capsys):
    state_path = tmp_path / "state.json"
    state_path.write_text("{")
    assert _apply(adobe_env, state_path) == 2
    assert "cannot read state file" in capsys.readouterr().err


def test_changed_fields_ignores_api_keys():
    desired = {"name": "a", "spec": {"x": 1}}
    current = {"name": "a", "spec": {"x": 1, "extra": 2}, "instanceId": "i", "createdDate": "d"}
    assert changed_fields(desired, current) == []


def test_changed_fields_nested_paths():
    assert changed_fields({"a": {"b": 1, "c": [1]}}, {"a": {"b": 2, "c": [1, 2]}}) == ["a.b", "a.c"]


def test_partial_failure_resumes(adobe_env, tmp_path, monkeypatch, capsys):
    import fake_adobe

    state_path = tmp_path / "state.json"
    required = dict(fake_adobe.REQUIRED, destination=(*fake_adobe.REQUIRED["destination"], "releaseNotes"))
    monkeypatch.setattr(fake_adobe, "REQUIRED", required)
    assert _apply(adobe_env, state_path, "--apply") == 1
    assert "HTTP 400: missing required field(s): releaseNotes" in capsys.readouterr().err
    recorded = json.loads(state_path.read_text())["instances"]
    assert "streaming-server" in recorded
    assert "streaming-destination" not in recorded

    monkeypatch.setattr(fake_adobe, "REQUIRED", dict(required, destination=required["destination"][:-1]))
    posts_before = [call for call in adobe_env.calls if call[0] == "POST" and "/ims/" not in call[1]]
    assert _apply(adobe_env, state_path, "--apply") == 0
    posts_after = [call for call in adobe_env.calls if call[0] == "POST" and "/ims/" not in call[1]]
    created_again = [call for call in posts_after[len(posts_before) :] if "destination-servers" in call[1]]
    assert created_again == []
    assert len(json.loads(state_path.read_text())["instances"]) == 8


def test_token_without_access_token(adobe_env, tmp_path, monkeypatch, capsys):
    from destkit.adobe import authoring
    from destkit.adobe.http import Response

    monkeypatch.setattr(authoring, "request_json", lambda *args, **kwargs: Response(200, {"token_type": "bearer"}))
    assert _apply(adobe_env, tmp_path / "state.json") == 1
    assert "no access_token" in capsys.readouterr().err
