"""The Cloud Functions source archive: the runtime core, the GCP adapter and its requirements.

The archive's object name is the SHA-256 of its entries, so a changed source gets a new object
and redeploys the function, and an unchanged source plans with no diff on any machine.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pulumi

import destkit

# Requirements that Cloud Functions installs next to the source. functions-framework serves the entry points;
# google-auth and google-cloud-storage reach Cloud Storage and the IAM Credentials API.
REQUIREMENTS = (
    "functions-framework==3.10.2",
    "google-cloud-storage==3.17.1",
    "PyJWT[crypto]==2.15.1",
)

_SKIPPED_DIRECTORIES = frozenset({"__pycache__", "aws", "azure"})


@dataclass(frozen=True)
class SourceArchive:
    archive: pulumi.AssetArchive
    sha256: str
    object_name: str


def source_entries(package_root: Path | None = None) -> dict[str, bytes]:
    """Return every file of the function source by its path in the archive."""
    root = package_root or Path(destkit.__file__).parent
    entries: dict[str, bytes] = {
        "main.py": (root / "runtime" / "gcp" / "main.py").read_bytes(),
        "requirements.txt": ("\n".join(REQUIREMENTS) + "\n").encode(),
        "destkit/__init__.py": (root / "__init__.py").read_bytes(),
    }
    runtime = root / "runtime"
    for path in sorted(runtime.rglob("*")):
        relative = path.relative_to(runtime)
        if (
            not path.is_file()
            or _SKIPPED_DIRECTORIES & set(relative.parts)
            or path.suffix in (".pyc", ".pyo")
        ):
            continue
        entries[f"destkit/runtime/{relative.as_posix()}"] = path.read_bytes()
    return entries


def content_hash(entries: dict[str, bytes]) -> str:
    """Hash the archive's paths and bytes in sorted order."""
    digest = hashlib.sha256()
    for name in sorted(entries):
        digest.update(name.encode() + b"\0")
        digest.update(hashlib.sha256(entries[name]).digest())
    return digest.hexdigest()


def build_source(package_root: Path | None = None) -> SourceArchive:
    entries = source_entries(package_root)
    sha = content_hash(entries)
    archive = pulumi.AssetArchive(
        {name: pulumi.StringAsset(data.decode("utf-8")) for name, data in sorted(entries.items())}
    )
    return SourceArchive(archive=archive, sha256=sha, object_name=f"functions/{sha}.zip")
