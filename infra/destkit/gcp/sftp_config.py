"""The OpenSSH configuration and boot script of the experimental SFTP drop zone.

Plain functions with no Pulumi import, so the tests can render the configuration and run it with the
real ``sshd``. Tenants are SFTP-only users chrooted to ``<root>/<user>``, authenticated by public
key only. Every other user (administrators, through OS Login) may log in only from IAP's range.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field

from destkit.gcp import defaults

UPLOAD_DIRECTORY = "upload"


@dataclass(frozen=True)
class SshdSettings:
    users: tuple[str, ...]
    """SFTP-only user per tenant."""
    port: int = defaults.SFTP_PORT
    # The instance has one interface; the firewall rules limit who reaches it.
    listen_address: str = "0.0.0.0"  # noqa: S104
    sftp_root: str = defaults.SFTP_ROOT
    keys_dir: str = defaults.SFTP_KEYS_DIR
    group: str = defaults.SFTP_GROUP
    admin_cidr: str | None = defaults.IAP_TCP_FORWARDING_RANGE
    """Other users may log in only from this range; None admits tenants only."""
    os_login: bool = True
    """Add the OS Login key lookup that Google's guest environment provides."""
    use_pam: bool = True
    host_keys: tuple[str, ...] = ("/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_rsa_key")
    pid_file: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


def render_sshd_config(settings: SshdSettings) -> str:
    """Render a complete ``sshd_config``; OpenSSH applies the first value it reads for each keyword."""
    if not settings.users:
        raise ValueError("the SFTP server needs at least one tenant user")
    if not 0 < settings.port < 65536:
        raise ValueError(f"port {settings.port} is invalid; use 1 to 65535")
    allowed = list(settings.users)
    if settings.admin_cidr:
        allowed.append(f"*@{settings.admin_cidr}")
    lines = [
        "# Rendered by destkit: SFTP drop zone. Changes are overwritten at the next boot.",
        f"Port {settings.port}",
        f"ListenAddress {settings.listen_address}",
        *[f"HostKey {key}" for key in settings.host_keys],
        *([f"PidFile {settings.pid_file}"] if settings.pid_file else []),
        "PermitRootLogin no",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PubkeyAuthentication yes",
        "AuthenticationMethods publickey",
        f"UsePAM {'yes' if settings.use_pam else 'no'}",
        "PermitEmptyPasswords no",
        "X11Forwarding no",
        "AllowTcpForwarding no",
        "AllowAgentForwarding no",
        "AllowStreamLocalForwarding no",
        "PermitTunnel no",
        "PermitUserEnvironment no",
        "GatewayPorts no",
        "MaxAuthTries 3",
        "LoginGraceTime 30",
        "ClientAliveInterval 300",
        "ClientAliveCountMax 2",
        "LogLevel VERBOSE",
        "Subsystem sftp internal-sftp -l INFO",
        f"AllowUsers {' '.join(allowed)}",
    ]
    if settings.os_login:
        lines += [
            "AuthorizedKeysCommand /usr/bin/google_authorized_keys",
            "AuthorizedKeysCommandUser root",
        ]
    lines += [f"{key} {value}" for key, value in settings.extra.items()]
    lines += [
        "",
        f"Match Group {settings.group}",
        f"    ChrootDirectory {settings.sftp_root}/%u",
        f"    AuthorizedKeysFile {settings.keys_dir}/%u",
        "    AuthorizedKeysCommand none",
        f"    ForceCommand internal-sftp -l INFO -d /{UPLOAD_DIRECTORY}",
        "    PermitTTY no",
        "    AllowTcpForwarding no",
        "    X11Forwarding no",
        "",
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class SftpTenant:
    tenant: str
    user: str
    public_key: str


def render_boot_script(bucket: str, tenants: list[SftpTenant], settings: SshdSettings) -> str:
    """Render the startup script: packages, users, Cloud Storage FUSE mounts and sshd.

    Each tenant's ``upload`` directory is a Cloud Storage FUSE mount of ``<tenant>/`` in ``bucket``
    (``--only-dir``). When the bucket is unreachable, writes through the mount fail with an I/O
    error, which the SFTP client receives as a failed upload: nothing is kept on the local disk.
    """
    config = render_sshd_config(settings)
    q = shlex.quote
    lines = [
        "#!/bin/bash",
        "# Rendered by destkit: boot script of the SFTP drop zone (runs at every boot).",
        "set -euo pipefail",
        "export DEBIAN_FRONTEND=noninteractive",
        "if ! command -v gcsfuse >/dev/null; then",
        "  curl -fsS https://packages.cloud.google.com/apt/doc/apt-key.gpg"
        " | gpg --dearmor -o /usr/share/keyrings/cloud.google.gpg",
        "  echo 'deb [signed-by=/usr/share/keyrings/cloud.google.gpg] "
        "https://packages.cloud.google.com/apt gcsfuse-bookworm main' > /etc/apt/sources.list.d/gcsfuse.list",
        "  apt-get update -q",
        "  apt-get install -y -q openssh-server unattended-upgrades gcsfuse",
        "fi",
        "# Security updates install automatically, every day.",
        'printf \'APT::Periodic::Update-Package-Lists "1";\\nAPT::Periodic::Unattended-Upgrade "1";\\n\''
        " > /etc/apt/apt.conf.d/20auto-upgrades",
        "systemctl enable --now unattended-upgrades",
        "grep -q '^user_allow_other' /etc/fuse.conf || echo user_allow_other >> /etc/fuse.conf",
        f"getent group {q(settings.group)} >/dev/null || groupadd --system {q(settings.group)}",
        f"install -d -m 755 -o root -g root {q(settings.sftp_root)} {q(settings.keys_dir)}",
    ]
    for tenant in tenants:
        user = q(tenant.user)
        home = q(f"{settings.sftp_root}/{tenant.user}")
        upload = q(f"{settings.sftp_root}/{tenant.user}/{UPLOAD_DIRECTORY}")
        key_file = q(f"{settings.keys_dir}/{tenant.user}")
        lines += [
            f"id -u {user} >/dev/null 2>&1 || useradd --system --no-create-home --home-dir / "
            f"--shell /usr/sbin/nologin --gid {q(settings.group)} {user}",
            f"install -d -m 755 -o root -g root {home}",
            f"install -d -m 750 -o {user} -g {q(settings.group)} {upload}",
            f"printf '%s\\n' {q(tenant.public_key.strip())} > {key_file}",
            f"chmod 644 {key_file}",
            f"mountpoint -q {upload} || gcsfuse --only-dir {q(tenant.tenant)} "
            f'--uid "$(id -u {user})" --gid "$(getent group {q(settings.group)} | cut -d: -f3)" '
            f"--file-mode 640 --dir-mode 750 -o allow_other {q(bucket)} {upload}",
        ]
    lines += [
        "cat > /etc/ssh/sshd_config.destkit <<'DESTKIT_SSHD_CONFIG'",
        config.rstrip("\n"),
        "DESTKIT_SSHD_CONFIG",
        "sshd -t -f /etc/ssh/sshd_config.destkit",
        "mv /etc/ssh/sshd_config.destkit /etc/ssh/sshd_config",
        "systemctl restart ssh",
        "",
    ]
    return "\n".join(lines)
