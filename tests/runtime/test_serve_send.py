"""``destkit serve`` and ``destkit send`` end to end on 127.0.0.1, plus the sender's token handling."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from destkit.cli.main import main
from destkit.runtime.core import IntakeCore
from destkit.runtime.local_server import LocalServer, build_endpoint, generate_credentials
from destkit.runtime.store import DirectoryStore
from destkit.sender.client import ClientCredentialsToken, HttpClient
from destkit.sender.policy import CONFIGURABLE
from destkit.sender.run import Sender, SendOptions, percentile

DESTKIT = [sys.executable, "-m", "destkit.cli.main"]


def start_serve(data_dir: Path, auth: str, *extra: str) -> subprocess.Popen[str]:
    command = [*DESTKIT, "serve", "--auth", auth, "--data-dir", str(data_dir), "--quiet", *extra]
    # A session of its own, so a hung serve and its forked workers can be killed together.
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )


def read_ready(process: subprocess.Popen[str]) -> dict[str, Any]:
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        raise AssertionError(f"serve exited: {process.communicate(timeout=5)[1]}")
    return json.loads(line)


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise AssertionError("destkit serve did not stop within 10 s of SIGTERM") from None


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Any]]]:
    """One ``destkit serve`` process per auth mode, started together because each start imports the CLI."""
    root = tmp_path_factory.mktemp("serve")
    processes = {
        # Two workers: a token issued by one process must be accepted by the other.
        "oauth2": start_serve(root / "oauth2", "oauth2", "--tenants", "2", "--workers", "2"),
        "bearer": start_serve(root / "bearer", "bearer"),
        "basic": start_serve(root / "basic", "basic"),
    }
    try:
        yield {auth: read_ready(process) for auth, process in processes.items()}
    finally:
        problems = []
        for process in processes.values():
            try:
                stop(process)
            except AssertionError as problem:
                problems.append(problem)
        if problems:
            raise problems[0]


@pytest.fixture
def oauth_server() -> Iterator[dict[str, str]]:
    """An in-process oauth2 endpoint with 60-second tokens, for the token-handling tests."""
    store = DirectoryStore(tempfile.mkdtemp(prefix="destkit-test-"))
    server = LocalServer(4_500_000)
    credentials = generate_credentials("oauth2", ["acme"])
    server.endpoint = build_endpoint(IntakeCore(store), credentials, server.base_url, token_lifetime_seconds=60)
    server.start_in_thread()
    yield {
        "url": server.base_url + "/v1/profiles",
        "token_url": server.base_url + "/oauth/token",
        "client_id": credentials.client_ids["acme"],
        "client_secret": credentials.client_secrets["acme"],
    }
    server.shutdown()
    server.server_close()


def send_arguments(ready: dict[str, Any]) -> list[str]:
    if ready["auth_type"] == "oauth2":
        return [
            "--token-url",
            ready["token_url"],
            "--client-id",
            ready["client_id"],
            "--client-secret",
            ready["client_secret"],
            "--scope",
            ready["scope"],
        ]
    if ready["auth_type"] == "bearer":
        return ["--bearer-token", ready["token"]]
    return ["--username", ready["username"], "--password", ready["password"]]


def run_send(ready: dict[str, Any], capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict[str, Any]]:
    # A small time scale keeps an unexpected retry from sleeping for AEP's real 30-minute delay.
    status = main(["send", "--url", ready["url"], *send_arguments(ready), "--time-scale", "0.001", *extra])
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    return status, summary


@pytest.mark.parametrize("auth", ["oauth2", "bearer", "basic"])
def test_round_trip_3000_profiles(served, capsys, auth: str):
    ready = served[auth]
    store = DirectoryStore(ready["sink"])
    before = set(store.list("tenant-1/payloads/"))
    status, summary = run_send(
        ready, capsys, "--profiles", "3000", "--batch-size", "1000", "--concurrency", "2", "--seed", "30"
    )
    stored = set(store.list("tenant-1/payloads/")) - before
    assert status == 0
    assert summary["accepted_profiles"] == 3000
    assert summary["requests"] == 3
    assert summary["status_counts"] == {"201": 3}
    assert len(stored) == 3


def test_send_twice_stores_once(served, capsys):
    ready = served["bearer"]
    store = DirectoryStore(ready["sink"])
    before = set(store.list(""))
    run_send(ready, capsys, "--profiles", "2000", "--seed", "40")
    status, summary = run_send(ready, capsys, "--profiles", "2000", "--seed", "40")
    assert status == 0
    assert summary["status_counts"] == {"200": 2}
    assert len(set(store.list("")) - before) == 2


def test_ready_line_names(served):
    ready = served["oauth2"]
    expected = {
        "url",
        "token_url",
        "scope",
        "auth_type",
        "audience_api_url",
        "max_body_bytes",
        "sink",
        "sink_prefixes",
        "tenants",
        "client_id",
        "client_secret",
        "client_ids",
        "client_secrets",
    }
    assert set(ready) == expected
    assert ready["tenants"] == ["tenant-1", "tenant-2"]
    assert ready["client_id"] == ready["client_ids"]["tenant-1"]
    assert ready["url"].startswith("http://127.0.0.1:")


def test_basic_has_no_audience_api(served):
    ready = served["basic"]
    assert "audience_api_url" not in ready
    assert {"username", "password", "usernames", "passwords"} <= set(ready)


def test_serve_stops_on_signals(tmp_path: Path):
    by_signal = {
        signal.SIGTERM: start_serve(tmp_path / "term", "bearer"),
        signal.SIGINT: start_serve(tmp_path / "int", "basic"),
    }
    try:
        for signal_number, process in by_signal.items():
            read_ready(process)
            process.send_signal(signal_number)
            assert process.wait(timeout=10) == 0
    finally:
        for process in by_signal.values():
            stop(process)


def test_wrong_secret_rejects(served, capsys):
    ready = dict(served["oauth2"], client_secret="wrong")
    status, summary = run_send(ready, capsys, "--profiles", "10")
    assert status == 1
    assert summary["rejected_profiles"] == 10
    assert summary["status_counts"] == {"token_error": 1}


def test_token_refreshed_after_401(oauth_server):
    ready = oauth_server
    http = HttpClient()
    token = ClientCredentialsToken(http, ready["token_url"], ready["client_id"], ready["client_secret"])
    token._token, token._refresh_at = "expired-or-revoked", float("inf")
    options = SendOptions(ready["url"], 100, batch_size=100, policy=CONFIGURABLE)
    summary = Sender(options, None, token=token, http=http).run()
    assert summary.status_counts == {"401": 1, "201": 1}
    assert summary.accepted_profiles == 100
    assert token.requests == 1


def test_token_refreshed_before_expiry(oauth_server):
    ready = oauth_server
    clock = [0.0]
    token = ClientCredentialsToken(
        HttpClient(), ready["token_url"], ready["client_id"], ready["client_secret"], clock=lambda: clock[0]
    )
    first = token.authorization()
    clock[0] = 29.0
    assert token.authorization() == first
    clock[0] = 31.0
    token.authorization()
    assert token.requests == 2


@pytest.mark.parametrize(
    "arguments",
    [
        ["--url", "ftp://x", "--profiles", "1"],
        ["--url", "http://127.0.0.1:9", "--profiles", "0"],
        ["--url", "http://127.0.0.1:9", "--profiles", "1", "--batch-size", "10001"],
        ["--url", "http://127.0.0.1:9", "--profiles", "1", "--bearer-token", "t", "--username", "u"],
        ["--url", "http://127.0.0.1:9", "--profiles", "1", "--token-url", "http://127.0.0.1:9/t"],
        ["--url", "http://127.0.0.1:9", "--profiles", "1", "--username", "u"],
    ],
    ids=["scheme", "zero-profiles", "batch-too-large", "two-auths", "partial-oauth", "partial-basic"],
)
def test_send_usage_errors(arguments: list[str], capsys):
    assert main(["send", *arguments]) == 2
    assert "destkit:" in capsys.readouterr().err


@pytest.mark.parametrize(
    "arguments", [["--tenants", "0"], ["--port", "70000"], ["--token-lifetime", "5"], ["--workers", "0"]]
)
def test_serve_usage_errors(arguments: list[str], capsys):
    assert main(["serve", "--quiet", *arguments]) == 2


def test_connection_refused_dropped(capsys):
    status, summary = run_send(
        {"url": "http://127.0.0.1:9/v1/profiles", "auth_type": "bearer", "token": "t"},
        capsys,
        "--profiles",
        "5",
        "--aggregation",
        "best-effort",
        "--time-scale",
        "0",
    )
    assert status == 1
    assert summary["dropped_profiles"] == 5
    assert summary["status_counts"] == {"connection_error": 3}


def test_percentile_nearest_rank():
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([], 99) == 0.0
