"""Fixtures for the runtime tests: stores, cores, endpoints per auth mode and API Gateway events."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from destkit.runtime.core import IntakeCore, IntakeSettings
from destkit.runtime.local_server import LocalCredentials, LocalEndpoint, LocalServer, build_endpoint
from destkit.runtime.store import DirectoryStore, Store
from destkit.runtime.tokens import LocalRsaSigner

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
BASE_URL = "http://127.0.0.1:8000"
TENANTS = ("acme", "globex")

# Small limits keep the size cases fast; the corpus names sizes relative to them.
TEST_SETTINGS = IntakeSettings(
    max_body_bytes=64 * 1024, max_decompressed_bytes=256 * 1024, payload_mode="validate", audience_api=True
)

CREDENTIALS = {
    "oauth2": LocalCredentials(
        "oauth2",
        client_ids={"acme": "client-acme", "globex": "client-globex"},
        client_secrets={"acme": "secret-acme-0123456789", "globex": "secret-globex-0123456789"},
    ),
    "bearer": LocalCredentials("bearer", tokens={"acme": "token-acme-0123456789", "globex": "token-globex-0123"}),
    "basic": LocalCredentials(
        "basic",
        usernames={"acme": "aep-acme", "globex": "aep-globex"},
        passwords={"acme": "pass-acme-0123456789", "globex": "pass-globex-0123"},
    ),
}


def _load_event(name: str, **replacements: str) -> dict[str, Any]:
    text = (FIXTURES / "events" / name).read_text("utf-8")
    for key, value in replacements.items():
        text = text.replace(f"__{key.upper()}__", value)
    return json.loads(text)


@pytest.fixture(scope="session")
def load_event() -> Callable[..., dict[str, Any]]:
    """Load an API Gateway event fixture, replacing ``__KEY__`` placeholders in its text."""
    return _load_event


@pytest.fixture(scope="session")
def credentials() -> dict[str, LocalCredentials]:
    return CREDENTIALS


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def signer() -> LocalRsaSigner:
    return LocalRsaSigner(key_id="test-key-1")


@pytest.fixture
def store(tmp_path: Path) -> DirectoryStore:
    return DirectoryStore(tmp_path / "sink")


@pytest.fixture
def core(store: DirectoryStore) -> IntakeCore:
    return IntakeCore(store, TEST_SETTINGS)


@pytest.fixture
def make_endpoint(core: IntakeCore, signer: LocalRsaSigner) -> Callable[[str], LocalEndpoint]:
    """Build the local endpoint for an auth mode, on the ``core`` fixture, with fixed credentials."""

    def build(auth_mode: str) -> LocalEndpoint:
        return build_endpoint(core, CREDENTIALS[auth_mode], BASE_URL, signer=signer)

    return build


@pytest.fixture
def serve_store() -> Iterator[Callable[..., str]]:
    """Serve a store over HTTP on 127.0.0.1 with bearer auth (tenant acme); returns the intake URL."""
    servers: list[LocalServer] = []

    def start(store: Store, settings: IntakeSettings = TEST_SETTINGS) -> str:
        server = LocalServer(settings.max_body_bytes, "127.0.0.1", 0)
        server.endpoint = build_endpoint(IntakeCore(store, settings), CREDENTIALS["bearer"], server.base_url)
        server.start_in_thread()
        servers.append(server)
        return server.base_url + "/v1/profiles"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
