"""The SFTP drop zone's OpenSSH configuration, checked by the real ``sshd -t`` and served on 127.0.0.1.

sshd runs in a private mount namespace (``unshare -m``): a tmpfs on /run holds its privilege
separation directory, a tmpfs on /srv gives the root-owned chroot path that ChrootDirectory demands
(a chroot under /tmp fails), and copies of passwd, group and shadow add the tenant user. The upload
directory is a test folder bind-mounted into the chroot. Nothing changes outside the namespace.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import paramiko
import pytest
from tests.helpers.moto_server import free_port

from destkit.gcp.sftp_config import SftpTenant, SshdSettings, render_boot_script, render_sshd_config

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
TENANT_UID = 64123
GROUP_GID = 64123
USER = "aep-acme"
STARTUP_TIMEOUT_SECONDS = 10.0

needs_sshd = pytest.mark.skipif(
    not os.access(SSHD, os.X_OK), reason="OpenSSH server (sshd) is not installed; .ci/run installs it"
)
needs_namespace = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None,
    reason="running sshd with a root-owned chroot needs root and unshare (util-linux)",
)


def _host_key(directory: Path) -> Path:
    path = directory / "ssh_host_ed25519_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return path


def _settings(host_key: Path, port: int = 22, **overrides: object) -> SshdSettings:
    values: dict[str, object] = {
        "users": (USER,),
        "port": port,
        "listen_address": "127.0.0.1",
        "keys_dir": "/srv/keys",
        "host_keys": (str(host_key),),
    }
    values.update(overrides)
    return SshdSettings(**values)  # type: ignore[arg-type]


def _namespace_script(directory: Path, config: Path, upload: Path, public_key: str, run: str) -> Path:
    for name in ("passwd", "group", "shadow"):
        shutil.copy(f"/etc/{name}", directory / name)
    with open(directory / "passwd", "a") as handle:
        handle.write(f"{USER}:x:{TENANT_UID}:{GROUP_GID}::/:/usr/sbin/nologin\n")
    with open(directory / "group", "a") as handle:
        handle.write(f"destkit-sftp:x:{GROUP_GID}:\n")
    with open(directory / "shadow", "a") as handle:
        handle.write(f"{USER}:*:19000:0:99999:7:::\n")
    (directory / "authorized_key").write_text(public_key + "\n")
    script = directory / "run.sh"
    script.write_text(
        textwrap.dedent(
            f"""\
            set -e
            mount -t tmpfs -o mode=755 tmpfs /run
            mkdir -p /run/sshd
            mount -t tmpfs -o mode=755 tmpfs /srv
            mkdir -p /srv/sftp/{USER}/upload /srv/keys
            for name in passwd group shadow; do mount --bind {directory}/$name /etc/$name; done
            mount --bind {upload} /srv/sftp/{USER}/upload
            install -m 644 {directory}/authorized_key /srv/keys/{USER}
            {run}
            """
        )
    )
    return script


@dataclass
class SftpServer:
    port: int
    upload: Path
    private_key: paramiko.RSAKey
    process: subprocess.Popen[bytes]

    def connect(self, user: str = USER, key: paramiko.PKey | None = None) -> paramiko.SSHClient:
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        client.connect(
            "127.0.0.1",
            port=self.port,
            username=user,
            pkey=key or self.private_key,
            allow_agent=False,
            look_for_keys=False,
            timeout=5,
        )
        return client


@pytest.fixture
def sftp_server(tmp_path: Path) -> Iterator[SftpServer]:
    port = free_port()
    host_key = _host_key(tmp_path)
    config = tmp_path / "sshd_config"
    config.write_text(render_sshd_config(_settings(host_key, port, pid_file=str(tmp_path / "sshd.pid"))))
    upload = tmp_path / "upload"
    upload.mkdir()
    os.chown(upload, TENANT_UID, GROUP_GID)

    private_key = paramiko.RSAKey.generate(3072)
    public_key = f"{private_key.get_name()} {private_key.get_base64()} aep"
    script = _namespace_script(tmp_path, config, upload, public_key, f"exec {SSHD} -D -e -f {config}")
    log = open(tmp_path / "sshd.log", "wb")  # noqa: SIM115 - closed after the server stops
    process = subprocess.Popen(
        ["unshare", "-m", "--propagation", "private", "sh", str(script)], stdout=log, stderr=log
    )
    server = SftpServer(port, upload, private_key, process)

    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("sshd did not start: " + (tmp_path / "sshd.log").read_text()) from None
                time.sleep(0.05)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()


# -- rendering -------------------------------------------------------------------------------------


def test_config_key_auth_only():
    config = render_sshd_config(SshdSettings(users=(USER,)))
    assert "PasswordAuthentication no" in config.splitlines()
    assert "AuthenticationMethods publickey" in config.splitlines()
    assert "PermitRootLogin no" in config.splitlines()


def test_config_admins_only_from_iap():
    config = render_sshd_config(SshdSettings(users=("aep-a", "aep-b")))
    assert "AllowUsers aep-a aep-b *@35.235.240.0/20" in config.splitlines()


def test_config_tenants_chrooted_sftp_only():
    lines = render_sshd_config(SshdSettings(users=(USER,))).splitlines()
    match = lines.index("Match Group destkit-sftp")
    block = [line.strip() for line in lines[match + 1 :]]
    assert "ChrootDirectory /srv/sftp/%u" in block
    assert "ForceCommand internal-sftp -l INFO -d /upload" in block
    assert "AuthorizedKeysCommand none" in block


def test_config_no_users_rejected():
    with pytest.raises(ValueError, match="at least one tenant user"):
        render_sshd_config(SshdSettings(users=()))


@pytest.mark.parametrize("port", [0, 65536, -1])
def test_config_bad_port_rejected(port):
    with pytest.raises(ValueError, match=f"port {port} is invalid"):
        render_sshd_config(SshdSettings(users=(USER,), port=port))


def test_boot_script_quotes_keys():
    script = render_boot_script(
        "bucket-1", [SftpTenant("acme", USER, "ssh-rsa AAAA'; rm -rf / #")], SshdSettings(users=(USER,))
    )
    assert "rm -rf / #'\"'\"'" not in script.replace("'\"'\"'", "")
    assert "'ssh-rsa AAAA'\"'\"'; rm -rf / #'" in script


def test_boot_script_mounts_tenant_prefix():
    script = render_boot_script(
        "bucket-1", [SftpTenant("acme", USER, "ssh-rsa AAAA")], SshdSettings(users=(USER,))
    )
    assert "gcsfuse --only-dir acme" in script
    assert "bucket-1 /srv/sftp/aep-acme/upload" in script


def test_boot_script_checks_config_first():
    script = render_boot_script("b", [SftpTenant("acme", USER, "ssh-rsa AAAA")], SshdSettings(users=(USER,)))
    assert script.index("sshd -t -f /etc/ssh/sshd_config.destkit") < script.index("systemctl restart ssh")


# -- the real OpenSSH ------------------------------------------------------------------------------


@needs_sshd
@needs_namespace
@pytest.mark.parametrize("os_login", [True, False])
def test_sshd_accepts_production_config(tmp_path, os_login):
    host_key = _host_key(tmp_path)
    config = tmp_path / "sshd_config"
    settings = SshdSettings(users=(USER, "aep-globex"), host_keys=(str(host_key),), os_login=os_login)
    config.write_text(render_sshd_config(settings))
    upload = tmp_path / "upload"
    upload.mkdir()
    script = _namespace_script(tmp_path, config, upload, "ssh-rsa AAAA", f"exec {SSHD} -t -f {config}")
    result = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", str(script)], capture_output=True
    )
    assert result.returncode == 0, result.stderr.decode()


@needs_sshd
@needs_namespace
def test_sshd_rejects_broken_config(tmp_path):
    host_key = _host_key(tmp_path)
    config = tmp_path / "sshd_config"
    config.write_text(render_sshd_config(_settings(host_key, extra={"NoSuchKeyword": "yes"})))
    upload = tmp_path / "upload"
    upload.mkdir()
    script = _namespace_script(tmp_path, config, upload, "ssh-rsa AAAA", f"exec {SSHD} -t -f {config}")
    result = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", str(script)], capture_output=True
    )
    assert result.returncode != 0


@needs_sshd
@needs_namespace
def test_upload_lands_in_tenant_dir(sftp_server):
    with sftp_server.connect() as client, client.open_sftp() as sftp, sftp.open("export.csv", "wb") as handle:
        handle.write(b"id,segment\n1,realized\n")
    assert (sftp_server.upload / "export.csv").read_bytes() == b"id,segment\n1,realized\n"


@needs_sshd
@needs_namespace
def test_chroot_shows_only_upload(sftp_server):
    with sftp_server.connect() as client, client.open_sftp() as sftp:
        assert sftp.listdir("/") == ["upload"]


@needs_sshd
@needs_namespace
def test_write_outside_upload_denied(sftp_server):
    with sftp_server.connect() as client, client.open_sftp() as sftp, pytest.raises(PermissionError):
        sftp.open("/escape.csv", "wb").close()


@needs_sshd
@needs_namespace
def test_parent_traversal_stays_in_chroot(sftp_server):
    with sftp_server.connect() as client, client.open_sftp() as sftp:
        assert sftp.listdir("/../../..") == ["upload"]


@needs_sshd
@needs_namespace
def test_shell_command_refused(sftp_server):
    with sftp_server.connect() as client:
        _, stdout, _ = client.exec_command("id")
        output = stdout.read()
    assert b"uid=" not in output


@needs_sshd
@needs_namespace
def test_wrong_key_rejected(sftp_server):
    with pytest.raises(paramiko.AuthenticationException):
        sftp_server.connect(key=paramiko.RSAKey.generate(2048))


@needs_sshd
@needs_namespace
def test_password_rejected(sftp_server):
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    with pytest.raises(paramiko.AuthenticationException):
        client.connect(
            "127.0.0.1",
            port=sftp_server.port,
            username=USER,
            password="guess",
            allow_agent=False,
            look_for_keys=False,
        )
    client.close()


@needs_sshd
@needs_namespace
def test_unlisted_user_rejected(sftp_server):
    with pytest.raises(paramiko.AuthenticationException):
        sftp_server.connect(user="root")
