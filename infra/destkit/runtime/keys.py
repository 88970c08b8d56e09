"""Object keys in the sink: ``<tenant>/payloads/<sha256>.json`` and ``<tenant>/audiences/<id>.json``."""

from __future__ import annotations

import re

# Keys are "/"-separated names of letters, digits, ".", "_" and "-"; ".." never appears.
_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


def check_key(key: str) -> str:
    """Return ``key`` unchanged, or raise ValueError when it could escape its prefix."""
    if not _KEY_RE.match(key) or ".." in key:
        raise ValueError(f"invalid object key {key!r}: use '/'-separated names of letters, digits, '.', '_', '-'")
    return key


def payload_key(tenant: str, digest: str) -> str:
    return f"{tenant}/payloads/{digest}.json"


def audience_key(tenant: str, audience_id: str) -> str:
    return f"{tenant}/audiences/{audience_id}.json"
