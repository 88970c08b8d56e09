"""Start ``moto_server`` on 127.0.0.1 on a free port for a test, and stop it by PID.

Use ``moto_endpoint`` as a context manager, or the ``moto_server`` fixture that ``tests/conftest.py``
exposes. ``initial_no_auth_action_count`` sets moto's ``INITIAL_NO_AUTH_ACTION_COUNT``: after that many
requests moto enforces IAM policies and rejects unknown access keys.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MOTO_SERVER = Path(sys.executable).with_name("moto_server")
STARTUP_TIMEOUT_SECONDS = 20.0


@dataclass
class MotoServer:
    endpoint_url: str
    port: int
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 5 s); safe to call twice."""
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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_moto(port: int | None = None, initial_no_auth_action_count: int | None = None) -> MotoServer:
    """Start moto_server on 127.0.0.1 and return once it responds to HTTP."""
    port = port or free_port()
    environment = dict(os.environ)
    environment.setdefault("AWS_ACCESS_KEY_ID", "testing")
    environment.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    if initial_no_auth_action_count is not None:
        environment["INITIAL_NO_AUTH_ACTION_COUNT"] = str(initial_no_auth_action_count)
    process = subprocess.Popen(
        [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = MotoServer(f"http://127.0.0.1:{port}", port, process)
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited with status {process.returncode} before answering")
        try:
            # /moto-api/ is moto's own dashboard; it answers without credentials.
            with urllib.request.urlopen(server.endpoint_url + "/moto-api/", timeout=1):
                return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"moto_server did not answer on {server.endpoint_url} within {STARTUP_TIMEOUT_SECONDS} s")


@contextlib.contextmanager
def moto_endpoint(initial_no_auth_action_count: int | None = None) -> Iterator[MotoServer]:
    server = start_moto(initial_no_auth_action_count=initial_no_auth_action_count)
    try:
        yield server
    finally:
        server.resume()
        server.stop()
