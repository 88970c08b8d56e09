"""SFTP checks with each tenant's user name and RSA private key, the credentials AEP's SFTP destination holds.

Isolation, as the kit's SFTP server provides it: each user is confined to its own root (a chroot), so
another tenant's root directory must not be reachable.
"""

from __future__ import annotations

import base64
import binascii
import io
import posixpath
import stat
from dataclasses import dataclass
from typing import Any

from destkit.adobe.outputs import StackOutputs
from destkit.verify.batch import StoreError, round_trip
from destkit.verify.checklist import Checklist

AREA = "sftp"
TIMEOUT_SECONDS = 20.0


def _fail(action: str, target: str, error: Exception) -> StoreError:
    reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return StoreError(f"{action} {target} failed: {reason}")


@dataclass
class SftpStore:
    client: Any  # paramiko.SFTPClient

    def _mkdirs(self, directory: str) -> None:
        parts = [part for part in directory.split("/") if part]
        current = "/" if directory.startswith("/") else ""
        for part in parts:
            current = posixpath.join(current, part) if current else part
            try:
                self.client.stat(current)
            except OSError:
                self.client.mkdir(current)

    def put(self, name: str, data: bytes) -> None:
        try:
            self._mkdirs(posixpath.dirname(name))
            self.client.putfo(io.BytesIO(data), name)
        except OSError as error:
            raise _fail("write", name, error) from error

    def list(self, prefix: str) -> list[str]:
        try:
            return [
                posixpath.join(prefix, entry.filename)
                for entry in self.client.listdir_attr(prefix)
                if not stat.S_ISDIR(entry.st_mode or 0)
            ]
        except OSError as error:
            raise _fail("list", prefix, error) from error

    def get(self, name: str) -> bytes:
        buffer = io.BytesIO()
        try:
            self.client.getfo(name, buffer)
        except OSError as error:
            raise _fail("read", name, error) from error
        return buffer.getvalue()

    def delete(self, name: str) -> None:
        try:
            self.client.remove(name)
            self.client.rmdir(posixpath.dirname(name))
        except OSError as error:
            raise _fail("delete", name, error) from error


def load_private_key(encoded: str) -> Any:
    """Decode the base64 PEM that AEP takes for an SFTP key (RSA, no passphrase)."""
    import paramiko

    try:
        pem = base64.b64decode(encoded, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise ValueError("the SFTP private key is not base64 of a PEM file, as AEP requires") from error
    try:
        return paramiko.RSAKey.from_private_key(io.StringIO(pem))
    except paramiko.SSHException as error:
        raise ValueError(f"the SFTP private key is not an unencrypted RSA key, as AEP requires: {error}") from error


def _connect(host: str, port: int, username: str, key: Any) -> Any:
    import paramiko

    transport = paramiko.Transport((host, port))
    transport.banner_timeout = TIMEOUT_SECONDS
    try:
        # NOTE: the host key is not pinned because the stack outputs do not export it. AEP does not
        # pin it either.
        transport.connect(username=username, pkey=key)
    except BaseException:
        transport.close()
        raise
    return transport


def verify_sftp(outputs: StackOutputs, checklist: Checklist, run_id: str, host_override: str | None) -> None:
    import paramiko

    host = host_override or str(outputs.get("sftp_host"))
    port = int(outputs.get("sftp_port") or 22)
    users = outputs.tenant_map("sftp_usernames")
    keys = outputs.tenant_map("sftp_private_keys")
    roots = outputs.tenant_map("sftp_root_directories")
    tenants = [str(t) for t in outputs.get("tenants") or []]
    sessions: dict[str, Any] = {}
    try:
        for tenant in tenants:
            if tenant not in users or tenant not in keys:
                checklist.failed(AREA, tenant, "writer credentials", "sftp_usernames or sftp_private_keys missing")
                continue
            try:
                key = load_private_key(str(keys[tenant]))
            except ValueError as error:
                checklist.failed(AREA, tenant, "private key is usable", str(error))
                continue
            try:
                transport = _connect(host, port, str(users[tenant]), key)
            except (paramiko.SSHException, OSError) as error:
                checklist.failed(AREA, tenant, "log in with the private key", f"{host}:{port}: {error}")
                continue
            sessions[tenant] = transport
            checklist.passed(AREA, tenant, "log in with the private key")
            client = paramiko.SFTPClient.from_transport(transport)
            assert client is not None
            round_trip(SftpStore(client), AREA, tenant, str(roots.get(tenant) or ""), run_id, checklist)
        _isolation(sessions, roots, run_id, checklist)
    finally:
        for transport in sessions.values():
            transport.close()


def _isolation(sessions: dict[str, Any], roots: dict[str, Any], run_id: str, checklist: Checklist) -> None:
    """Write a marker into each tenant's root and check that no other tenant can see it."""
    import paramiko

    clients = {tenant: paramiko.SFTPClient.from_transport(transport) for tenant, transport in sessions.items()}
    for owner, owner_client in clients.items():
        marker = posixpath.join(str(roots.get(owner) or ""), f"destkit-verify-{run_id}-marker")
        try:
            owner_client.putfo(io.BytesIO(b"marker\n"), marker)
        except OSError as error:
            checklist.failed(AREA, owner, "write isolation marker", str(_fail("write", marker, error)))
            continue
        for other, other_client in clients.items():
            if other == owner:
                continue
            try:
                other_client.stat(marker)
            except OSError:
                checklist.passed(AREA, other, f"cannot see {owner}'s files")
                continue
            checklist.failed(AREA, other, f"cannot see {owner}'s files", f"{other} can stat {marker}")
        try:
            owner_client.remove(marker)
        except OSError as error:
            checklist.failed(AREA, owner, "delete isolation marker", str(_fail("delete", marker, error)))
