"""Fixtures shared by every test package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.helpers.moto_server import MotoServer, moto_endpoint


@pytest.fixture
def moto_server() -> Iterator[MotoServer]:
    """A moto_server on 127.0.0.1 for one test, with IAM not enforced."""
    with moto_endpoint() as server:
        yield server


@pytest.fixture(scope="module")
def moto_server_module() -> Iterator[MotoServer]:
    """A moto_server shared by the tests of one module; give each test its own bucket or secret names."""
    with moto_endpoint() as server:
        yield server
