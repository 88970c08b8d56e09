"""Object-store faults: the endpoint returns a retryable status, stores nothing partial, and AEP-like
retries store every batch exactly once after recovery."""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.helpers.moto_server import MotoServer, moto_endpoint

from destkit.runtime.aws.s3_store import S3Store, make_s3_client
from destkit.runtime.core import IntakeCore, Request
from destkit.runtime.store import DirectoryStore
from destkit.sender.policy import BEST_EFFORT
from destkit.sender.profiles import make_profiles, render_batch
from destkit.sender.run import Sender, SendOptions

BODY = render_batch(make_profiles(3))
BEARER = "Bearer token-acme-0123456789"
# Profiles per batch small enough for the 64 KiB test body limit.
BATCH = 50


def fast_s3(endpoint_url: str) -> Any:
    # Short timeouts so a frozen moto fails within a second instead of the production 8 s.
    return make_s3_client(endpoint_url, "us-east-1", connect_timeout=0.5, read_timeout=0.5, max_attempts=1)


@pytest.fixture(autouse=True)
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def post(core: IntakeCore) -> Any:
    return core.handle(Request("POST", "/v1/profiles", {"content-type": "application/json"}, BODY, tenant="acme"))


def s3_keys(client: Any, bucket: str) -> list[str]:
    return [item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_unwritable_directory_503(tmp_path: Path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the sink directory should be")
    core = IntakeCore(DirectoryStore(blocker / "sink"))
    response = post(core)
    assert response.status == 503
    assert response.headers["Retry-After"] == "15"
    assert response.body is not None and response.body["error"] == "sink_unavailable"


def test_directory_recovers_after_fault(tmp_path: Path):
    root = tmp_path / "sink"
    root.write_text("blocks the directory")
    store = DirectoryStore(root)
    core = IntakeCore(store)
    assert post(core).status == 503
    root.unlink()
    assert post(core).status == 201
    assert store.list("") == [f"acme/payloads/{hashlib.sha256(BODY).hexdigest()}.json"]


def test_directory_leaves_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    store = DirectoryStore(tmp_path)

    def failing_link(source: str, target: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.link", failing_link)
    assert post(IntakeCore(store)).status == 503
    assert list(tmp_path.rglob("*")) == [tmp_path / "acme", tmp_path / "acme" / "payloads"]


def test_moto_stopped_503():
    with moto_endpoint() as server:
        client = fast_s3(server.endpoint_url)
        client.create_bucket(Bucket="sink")
        core = IntakeCore(S3Store("sink", client))
        server.stop()
        response = post(core)
    assert response.status == 503
    assert response.body is not None and response.body["error"] == "sink_unavailable"


def test_moto_missing_bucket_503(moto_server_module: MotoServer):
    core = IntakeCore(S3Store("no-such-bucket", fast_s3(moto_server_module.endpoint_url)))
    assert post(core).status == 503


def test_moto_access_denied_503():
    # moto enforces IAM after the first two requests: create the bucket and the reader user.
    with moto_endpoint(initial_no_auth_action_count=3) as server:
        admin = fast_s3(server.endpoint_url)
        admin.create_bucket(Bucket="sink")
        iam = boto3.client("iam", endpoint_url=server.endpoint_url, region_name="us-east-1")
        iam.create_user(UserName="reader")
        keys = iam.create_access_key(UserName="reader")["AccessKey"]
        reader = boto3.client(
            "s3",
            endpoint_url=server.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id=keys["AccessKeyId"],
            aws_secret_access_key=keys["SecretAccessKey"],
        )
        response = post(IntakeCore(S3Store("sink", reader)))
    assert response.status == 503


def run_sender(url: str, profiles: int, time_scale: float, before_first_retry: Any = None) -> Any:
    """Send like AEP under best effort; ``before_first_retry`` runs once, when the first retry waits."""
    options = SendOptions(url, profiles, batch_size=BATCH, concurrency=2, policy=BEST_EFFORT, time_scale=time_scale)
    pending = [before_first_retry] if before_first_retry else []
    lock = threading.Lock()

    def sleep(seconds: float) -> None:
        with lock:
            if pending:
                pending.pop()()
        time.sleep(seconds)

    return Sender(options, lambda: BEARER, sleep=sleep).run()


def test_retries_store_each_batch_once(moto_server_module: MotoServer, serve_store):
    bucket = f"sink-{uuid.uuid4().hex[:8]}"
    client = fast_s3(moto_server_module.endpoint_url)
    url = serve_store(S3Store(bucket, client))

    # S3 returns NoSuchBucket until the bucket appears, when the sender first waits to retry.
    summary = run_sender(
        url, 4 * BATCH, time_scale=0.01, before_first_retry=lambda: client.create_bucket(Bucket=bucket)
    )

    assert summary.status_counts["503"] >= 1
    assert summary.retries == summary.status_counts["503"]
    assert summary.accepted_profiles == 4 * BATCH
    assert summary.dropped_profiles == 0
    assert len(s3_keys(client, bucket)) == 4


def test_frozen_store_recovers_once(moto_server_module: MotoServer, serve_store):
    bucket = f"sink-{uuid.uuid4().hex[:8]}"
    client = fast_s3(moto_server_module.endpoint_url)
    client.create_bucket(Bucket=bucket)
    url = serve_store(S3Store(bucket, client))

    # moto is frozen, so writes time out (503); it thaws when the sender first waits to retry.
    moto_server_module.pause()
    try:
        summary = run_sender(url, 2 * BATCH, time_scale=0.01, before_first_retry=moto_server_module.resume)
    finally:
        moto_server_module.resume()

    assert summary.status_counts["503"] >= 1
    assert summary.accepted_profiles == 2 * BATCH
    assert len(s3_keys(client, bucket)) == 2


def test_resend_after_success_stores_once(tmp_path: Path, serve_store):
    store = DirectoryStore(tmp_path)
    url = serve_store(store)
    first = run_sender(url, 3 * BATCH, time_scale=0)
    second = run_sender(url, 3 * BATCH, time_scale=0)
    assert first.status_counts == {"201": 3}
    assert second.status_counts == {"200": 3}
    assert len(store.list("acme/payloads/")) == 3


def test_best_effort_drops_after_two_retries(tmp_path: Path, serve_store):
    blocker = tmp_path / "blocker"
    blocker.write_text("the sink directory cannot be created")
    url = serve_store(DirectoryStore(blocker / "sink"))
    summary = run_sender(url, 2 * BATCH, time_scale=0.001)
    assert summary.requests == 6
    assert summary.retries == 4
    assert summary.status_counts == {"503": 6}
    assert summary.dropped_profiles == 2 * BATCH
    assert summary.accepted_profiles == 0
