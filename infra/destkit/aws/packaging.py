"""Deterministic zip archives for the kit's Lambda functions and the JWT layer.

The same source tree must always produce the same zip bytes, so that a second ``pulumi up``
on another machine shows no code diff and the Lambda ``CodeSha256`` equals the hash the
program computed. Entries are sorted, every entry gets the same timestamp and permissions,
``__pycache__`` and compiled files are skipped, and the file is named by its content hash.

The archives are written to a build directory (``.destkit/build`` under the Pulumi project by
default) and handed to Pulumi as ``pulumi.FileArchive``. A ``pulumi.AssetArchive`` of
``StringAsset`` values would also hash stably inside Pulumi, but the engine then builds the
zip itself, so the bytes Lambda receives, and its ``CodeSha256``, are not under our control.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import destkit
from destkit.config import ConfigError

# 1980-01-01 00:00:00 is the earliest time a zip entry can carry.
FIXED_ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
# Regular file, rw-r--r--, in the upper 16 bits of the zip external attributes.
FILE_MODE = 0o100644 << 16
COMPRESS_LEVEL = 9

SKIPPED_DIRECTORIES = frozenset({"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"})
SKIPPED_SUFFIXES = (".pyc", ".pyo")

DEFAULT_BUILD_DIR = Path(".destkit") / "build"

# Layer contents: the versions the kit's own tests run with. PyJWT validates the external
# issuer's tokens; cryptography (with cffi and pycparser) provides RS256 and ES256.
LAYER_REQUIREMENTS = (
    "PyJWT==2.15.1",
    "cryptography==50.0.2",
    "cffi==2.1.1",
    "pycparser==3.12",
)
# Lambda's Python runtimes on arm64 run Amazon Linux 2023 (glibc 2.34), so wheels built for
# any of these manylinux tags load there.
LAYER_PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64", "manylinux_2_34_aarch64")
LAYER_FILE_NAME = "jwt-layer-arm64.zip"
BUILD_LAYER_COMMAND = "destkit aws build-layer"


class LayerMissingError(ConfigError):
    """The PyJWT layer zip has not been built yet: a setup step is missing, so ``destkit`` exits 2."""

    def __init__(self, message: str):
        super().__init__([message])


@dataclass(frozen=True)
class BuiltArchive:
    """A zip written to disk, with the hashes Pulumi and Lambda use."""

    path: Path
    sha256_hex: str
    sha256_base64: str
    """Base64 SHA-256 of the zip bytes: the value Lambda reports as ``CodeSha256``."""


def zip_bytes(entries: Iterable[tuple[str, bytes]]) -> bytes:
    """Return a zip of ``(name, content)`` entries with sorted names and fixed metadata."""
    ordered = sorted(entries, key=lambda entry: entry[0])
    names = [name for name, _ in ordered]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"duplicate archive entries: {duplicates}")

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in ordered:
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = FILE_MODE
            info.create_system = 3  # Unix, so the mode bits above are honoured.
            archive.writestr(info, content, compresslevel=COMPRESS_LEVEL)
    return buffer.getvalue()


def write_archive(content: bytes, build_dir: Path, stem: str) -> BuiltArchive:
    """Write ``content`` as ``<stem>-<hash>.zip`` in ``build_dir`` unless it is already there."""
    digest = hashlib.sha256(content)
    build_dir.mkdir(parents=True, exist_ok=True)
    path = build_dir / f"{stem}-{digest.hexdigest()[:16]}.zip"
    if not path.exists() or path.read_bytes() != content:
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(content)
        temporary.replace(path)
    return BuiltArchive(
        path=path,
        sha256_hex=digest.hexdigest(),
        sha256_base64=base64.b64encode(digest.digest()).decode("ascii"),
    )


def collect_tree(root: Path, prefix: str) -> list[tuple[str, bytes]]:
    """Read every file under ``root`` as ``(prefix/relative/path, bytes)``, skipping caches."""
    entries: list[tuple[str, bytes]] = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part in SKIPPED_DIRECTORIES for part in relative.parts):
            continue
        if not path.is_file() or path.suffix in SKIPPED_SUFFIXES:
            continue
        entries.append((f"{prefix}/{relative.as_posix()}", path.read_bytes()))
    return entries


def runtime_entries(package_root: Path | None = None) -> list[tuple[str, bytes]]:
    """Return the function code: ``destkit/__init__.py`` plus the ``destkit/runtime`` tree.

    Nothing else of the kit is packaged, so the functions carry no Pulumi code and no
    third-party dependency.
    """
    root = package_root or Path(destkit.__file__).parent
    init_file = root / "__init__.py"
    if not init_file.is_file():
        raise FileNotFoundError(f"{init_file} not found: pass the directory of the destkit package")
    entries = [("destkit/__init__.py", init_file.read_bytes())]
    entries.extend(collect_tree(root / "runtime", "destkit/runtime"))
    return entries


def build_runtime_archive(
    build_dir: Path = DEFAULT_BUILD_DIR, package_root: Path | None = None
) -> BuiltArchive:
    """Build the zip shared by the intake and authorizer functions."""
    return write_archive(zip_bytes(runtime_entries(package_root)), build_dir, "runtime")


def wheel_entries(wheels: Sequence[Path]) -> list[tuple[str, bytes]]:
    """Unpack wheels into layer entries under ``python/``, where Lambda adds layers to ``sys.path``.

    Wheels are zip files whose top level is the import tree plus ``*.dist-info``; ``*.data``
    directories (scripts, headers) are not importable and are left out.
    """
    entries: list[tuple[str, bytes]] = []
    for wheel in sorted(wheels, key=lambda path: path.name):
        if wheel.suffix != ".whl":
            raise ValueError(f"{wheel} is not a wheel (.whl) file")
        with zipfile.ZipFile(wheel) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                top = info.filename.split("/", 1)[0]
                if top.endswith(".data") or info.filename.endswith(SKIPPED_SUFFIXES):
                    continue
                entries.append((f"python/{info.filename}", archive.read(info)))
    return entries


def build_layer_archive(wheels: Sequence[Path], build_dir: Path = DEFAULT_BUILD_DIR) -> Path:
    """Build the layer zip from downloaded wheels and return its fixed path in ``build_dir``.

    The fixed name lets the program find the layer; its content hash goes to Lambda as the
    layer's ``source_code_hash``.
    """
    if not wheels:
        raise ValueError("no wheels given: the layer needs PyJWT and cryptography")
    content = zip_bytes(wheel_entries(wheels))
    build_dir.mkdir(parents=True, exist_ok=True)
    path = build_dir / LAYER_FILE_NAME
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(content)
    temporary.replace(path)
    return path


def require_layer(build_dir: Path = DEFAULT_BUILD_DIR) -> BuiltArchive:
    """Return the built layer zip, or raise LayerMissingError naming the command that builds it."""
    path = build_dir / LAYER_FILE_NAME
    if not path.is_file():
        raise LayerMissingError(
            f"{path} not found: the Lambda authorizer validates JWTs from the external issuer with "
            f"PyJWT and cryptography, packaged as a layer. Run `{BUILD_LAYER_COMMAND} --build-dir "
            f"{build_dir}` once (it downloads arm64 wheels with pip), then rerun"
        )
    content = path.read_bytes()
    digest = hashlib.sha256(content)
    return BuiltArchive(
        path=path,
        sha256_hex=digest.hexdigest(),
        sha256_base64=base64.b64encode(digest.digest()).decode("ascii"),
    )
