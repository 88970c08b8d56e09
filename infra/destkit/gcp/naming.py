"""Physical names on GCP and the naming rules they must satisfy.

Service account ids, API Gateway ids and Linux user names have short limits, so long names are
cut and given a hash suffix that keeps them unique. Each ``*_problem`` function returns ``None``
for a valid name and an error message otherwise.
"""

from __future__ import annotations

import hashlib
import re

_SERVICE_ACCOUNT_ID = re.compile(r"^[a-z](?:[-a-z0-9]{4,28}[a-z0-9])$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$")
_RESOURCE_ID = re.compile(r"^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$")
_SECRET_ID = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_LINUX_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")

HASH_LENGTH = 6


def fit(name: str, max_length: int) -> str:
    """Return ``name`` when it fits in ``max_length``, otherwise a cut name with a hash suffix."""
    if len(name) <= max_length:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:HASH_LENGTH]
    head = name[: max_length - HASH_LENGTH - 1].rstrip("-")
    return f"{head}-{digest}"


def service_account_id(*parts: str) -> str:
    """Build a service account id (6 to 30 characters) from hyphen-joined ``parts``."""
    name = "-".join(part for part in parts if part)
    if len(name) < 6:
        name = f"{name}-acct"
    return fit(name, 30)


def resource_id(*parts: str, max_length: int = 63) -> str:
    """Build an id for API Gateway, functions, instances and firewalls (RFC 1035 labels)."""
    return fit("-".join(part for part in parts if part), max_length)


def service_account_id_problem(name: str) -> str | None:
    if not _SERVICE_ACCOUNT_ID.match(name):
        return "service account ids are 6 to 30 lowercase letters, digits and hyphens, starting with a letter"
    return None


def bucket_problem(name: str) -> str | None:
    if not _BUCKET.match(name):
        return (
            "bucket names are 3 to 63 lowercase letters, digits, '.', '_' and '-', "
            "starting and ending with a letter or digit"
        )
    if name.startswith("goog") or "google" in name or "g00gle" in name:
        return "bucket names cannot start with 'goog' or contain 'google'"
    return None


def resource_id_problem(name: str) -> str | None:
    if not _RESOURCE_ID.match(name):
        return "ids are 1 to 63 lowercase letters, digits and hyphens, starting with a letter"
    return None


def secret_id_problem(name: str) -> str | None:
    if not _SECRET_ID.match(name):
        return "secret ids are 1 to 255 letters, digits, '_' and '-'"
    return None


def linux_user_problem(name: str) -> str | None:
    if not _LINUX_USER.match(name):
        return (
            "Linux user names are 1 to 32 lowercase letters, digits, '_' and '-', not starting with a digit"
        )
    return None


def label_problem(key: str, value: str) -> str | None:
    if not _LABEL_KEY.match(key):
        return (
            f"label key {key!r} must be 1 to 63 lowercase letters, digits, '_' or '-', starting with a letter"
        )
    if not _LABEL_VALUE.match(value):
        return f"label value {value!r} must be at most 63 lowercase letters, digits, '_' or '-'"
    return None


def sftp_user(tenant: str) -> str:
    """Return the Linux user name of ``tenant`` on the SFTP instance."""
    return fit(f"aep-{tenant}", 32)
