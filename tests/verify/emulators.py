"""Storage emulators for tests, each on 127.0.0.1 with a free port: Azurite (Blob) and an SFTP server.

Azurite runs as a subprocess and is stopped by its PID. The SFTP server is asyncssh in a thread of
the test process, with one chroot directory per user and RSA public-key authentication.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh

AZURITE = Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / "azurite-blob"
STARTUP_TIMEOUT_SECONDS = 20.0

# Azurite's fixed development account (documented in the Azurite README; not a secret).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Azurite:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/{AZURITE_ACCOUNT}"

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
            f"BlobEndpoint={self.endpoint};"
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


@contextlib.contextmanager
def azurite() -> Iterator[Azurite]:
    port = free_port()
    process = subprocess.Popen(
        [
            str(AZURITE),
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(port),
            "--inMemoryPersistence",
            "--disableTelemetry",
            "--skipApiVersionCheck",
            "--silent",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Azurite(port, process)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"azurite exited with status {process.returncode} before listening")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"azurite did not listen on port {port} within {STARTUP_TIMEOUT_SECONDS} s")
            time.sleep(0.05)
        yield server
    finally:
        server.stop()


@dataclass
class SftpServer:
    """An SFTP server whose users each see only their own directory under ``root``."""

    root: Path
    port: int = 0
    authorized: dict[str, list[str]] = field(default_factory=dict)
    loop: asyncio.AbstractEventLoop | None = None
    thread: threading.Thread | None = None
    acceptor: asyncssh.SSHAcceptor | None = None

    def add_user(self, username: str, public_key_openssh: str) -> Path:
        home = self.root / username
        home.mkdir(parents=True, exist_ok=True)
        self.authorized.setdefault(username, []).append(public_key_openssh)
        return home


@contextlib.contextmanager
def sftp_server(root: Path) -> Iterator[SftpServer]:
    server = SftpServer(root)
    host_key = asyncssh.generate_private_key("ssh-ed25519")

    class Authenticator(asyncssh.SSHServer):
        def begin_auth(self, username: str) -> bool:
            return True

        def public_key_auth_supported(self) -> bool:
            return True

        def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
            allowed = server.authorized.get(username, [])
            return key.export_public_key("openssh").decode().split()[1] in [k.split()[1] for k in allowed]

    def sftp_factory(channel: asyncssh.SSHServerChannel) -> asyncssh.SFTPServer:
        username = channel.get_extra_info("username")
        return asyncssh.SFTPServer(channel, chroot=str(server.root / username))

    loop = asyncio.new_event_loop()
    started = threading.Event()

    async def start() -> None:
        server.acceptor = await asyncssh.create_server(
            Authenticator,
            "127.0.0.1",
            0,
            server_host_keys=[host_key],
            sftp_factory=sftp_factory,
            allow_scp=False,
        )
        server.port = server.acceptor.sockets[0].getsockname()[1]
        started.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    if not started.wait(10):
        raise RuntimeError("the SFTP server did not start within 10 s")
    server.loop, server.thread = loop, thread
    try:
        yield server
    finally:

        async def close() -> None:
            assert server.acceptor is not None
            server.acceptor.close()
            await server.acceptor.wait_closed()
            # Sessions that clients left open still have tasks; end them before the loop closes.
            sessions = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in sessions:
                task.cancel()
            await asyncio.gather(*sessions, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
