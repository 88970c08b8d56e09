"""PGP-encrypted exports: recognise them, and decrypt them with the GnuPG command (``gpg``).

Decryption runs ``gpg`` in a throwaway home directory that contains only the given private key, so the
user's own keyring is never read or changed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

ARMOR_HEADER = b"-----BEGIN PGP MESSAGE-----"
# Session key packets open every encrypted OpenPGP message (RFC 4880 section 5.1 and 5.3): tag 1
# (public-key, versions 3 and 6) and tag 3 (symmetric-key, versions 4 to 6).
_SESSION_KEY_VERSIONS = {1: (3, 6), 3: (4, 5, 6)}


class PgpError(ValueError):
    """Decryption failed: wrong key, corrupt data or no gpg command."""


def _packet_body_offset(data: bytes) -> tuple[int, int] | None:
    """Return (tag, offset of the body) of the first OpenPGP packet, or None if it is not one."""
    first = data[0]
    if first & 0xC0 == 0xC0:  # new format: tag in the low 6 bits, then a length of 1, 2 or 5 octets
        if len(data) < 2:
            return None
        length_octet = data[1]
        if length_octet < 192:
            return first & 0x3F, 2
        if length_octet < 224:
            return first & 0x3F, 3
        return (first & 0x3F, 6) if length_octet == 255 else None
    if first & 0x80:  # old format: tag in bits 5-2, length type in bits 1-0
        length_bytes = {0: 1, 1: 2, 2: 4}.get(first & 0x03)
        return None if length_bytes is None else ((first >> 2) & 0x0F, 1 + length_bytes)
    return None


def looks_encrypted(data: bytes) -> bool:
    """Tell whether ``data`` starts like an OpenPGP encrypted message (ASCII-armored or binary).

    A binary message must open with a session key packet of a known version, so text that merely
    starts with a byte such as 0xC3 (the first byte of "Ü" in UTF-8) is not taken for one.
    """
    if data.lstrip()[: len(ARMOR_HEADER)] == ARMOR_HEADER:
        return True
    if not data:
        return False
    header = _packet_body_offset(data)
    if header is None:
        return False
    tag, offset = header
    versions = _SESSION_KEY_VERSIONS.get(tag)
    return versions is not None and len(data) > offset and data[offset] in versions


def decrypt(data: bytes, private_key: bytes, passphrase: str | None = None, gpg: str = "gpg") -> bytes:
    """Decrypt an OpenPGP message with an ASCII-armored or binary private key."""
    binary = shutil.which(gpg)
    if binary is None:
        raise PgpError(f"the {gpg!r} command is not installed: install GnuPG to decrypt PGP exports")
    with tempfile.TemporaryDirectory(prefix="destkit-gpg-") as home:
        try:
            return _decrypt_in_home(binary, home, data, private_key, passphrase)
        finally:
            # gpg starts an agent for the throwaway home; stop it before the home is deleted.
            gpgconf = shutil.which("gpgconf")
            if gpgconf is not None:
                subprocess.run(  # noqa: S603 - fixed argv, no shell
                    [gpgconf, "--homedir", home, "--kill", "gpg-agent"], capture_output=True, check=False
                )


def _decrypt_in_home(binary: str, home: str, data: bytes, private_key: bytes, passphrase: str | None) -> bytes:
    os.chmod(home, 0o700)
    base = [binary, "--batch", "--quiet", "--no-tty", "--homedir", home, "--pinentry-mode", "loopback"]
    passphrase_file = Path(home) / "passphrase"
    passphrase_file.write_text(passphrase or "")
    passphrase_file.chmod(0o600)
    base += ["--passphrase-file", str(passphrase_file)]

    imported = subprocess.run([*base, "--import"], input=private_key, capture_output=True, check=False)  # noqa: S603 - fixed argv, no shell
    if imported.returncode != 0:
        raise PgpError(
            f"the private key could not be imported: {imported.stderr.decode(errors='replace')}"
        )
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [*base, "--decrypt"],
        input=data,
        capture_output=True,
        check=False,
        env={**os.environ, "LC_ALL": "C"},
    )
    if result.returncode != 0:
        reason = result.stderr.decode(errors="replace").strip().splitlines()
        raise PgpError(
            f"decryption failed: {reason[-1] if reason else 'gpg exit ' + str(result.returncode)}"
        )
    return result.stdout
