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
# First byte of a public-key (tag 1) or symmetric-key (tag 3) encrypted session key packet, in the
# old and the new OpenPGP packet formats (RFC 4880 section 4.2).
_SESSION_KEY_TAG_BYTES = frozenset({0x84, 0x85, 0x86, 0x87, 0x8C, 0x8D, 0x8E, 0x8F, 0xC1, 0xC3})


class PgpError(ValueError):
    """Decryption failed: wrong key, corrupt data or no gpg command."""


def looks_encrypted(data: bytes) -> bool:
    """Tell whether ``data`` starts like an OpenPGP encrypted message (ASCII-armored or binary)."""
    if data.lstrip()[: len(ARMOR_HEADER)] == ARMOR_HEADER:
        return True
    return bool(data) and data[0] in _SESSION_KEY_TAG_BYTES


def decrypt(data: bytes, private_key: bytes, passphrase: str | None = None, gpg: str = "gpg") -> bytes:
    """Decrypt an OpenPGP message with an ASCII-armored or binary private key."""
    binary = shutil.which(gpg)
    if binary is None:
        raise PgpError(f"the {gpg!r} command is not installed: install GnuPG to decrypt PGP exports")
    with tempfile.TemporaryDirectory(prefix="destkit-gpg-") as home:
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
