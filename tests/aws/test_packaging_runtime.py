"""The function zip is byte-for-byte reproducible and carries only the runtime code."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import destkit
from destkit.aws import packaging

PACKAGE_ROOT = Path(destkit.__file__).parent


def _fake_package(root: Path) -> Path:
    package = root / "destkit"
    (package / "runtime" / "aws").mkdir(parents=True)
    (package / "__init__.py").write_text('__version__ = "0"\n')
    (package / "runtime" / "__init__.py").write_text("")
    (package / "runtime" / "aws" / "intake.py").write_text("def handler(event, context):\n    return {}\n")
    (package / "runtime" / "__pycache__").mkdir()
    (package / "runtime" / "__pycache__" / "core.cpython-311.pyc").write_bytes(b"\x00compiled")
    (package / "runtime" / "stale.pyc").write_bytes(b"\x00compiled")
    (package / "config.py").write_text("import pulumi\n")
    return package


def test_runtime_zip_identical_across_builds(tmp_path):
    first = packaging.build_runtime_archive(tmp_path / "one")
    second = packaging.build_runtime_archive(tmp_path / "two")
    assert first.path.read_bytes() == second.path.read_bytes()


def test_runtime_zip_ignores_mtimes(tmp_path):
    package = _fake_package(tmp_path / "src")
    before = packaging.build_runtime_archive(tmp_path / "build", package)
    os.utime(package / "runtime" / "aws" / "intake.py", (1_900_000_000, 1_900_000_000))
    after = packaging.build_runtime_archive(tmp_path / "build", package)
    assert before.sha256_hex == after.sha256_hex


def test_runtime_zip_changes_with_content(tmp_path):
    package = _fake_package(tmp_path / "src")
    before = packaging.build_runtime_archive(tmp_path / "build", package)
    (package / "runtime" / "aws" / "intake.py").write_text("def handler(event, context):\n    return 1\n")
    after = packaging.build_runtime_archive(tmp_path / "build", package)
    assert before.path != after.path


def test_runtime_zip_entries_sorted(tmp_path):
    built = packaging.build_runtime_archive(tmp_path)
    names = zipfile.ZipFile(built.path).namelist()
    assert names == sorted(names)


def test_runtime_zip_fixed_metadata(tmp_path):
    built = packaging.build_runtime_archive(tmp_path)
    infos = zipfile.ZipFile(built.path).infolist()
    assert {info.date_time for info in infos} == {packaging.FIXED_ZIP_TIMESTAMP}
    assert {info.external_attr for info in infos} == {packaging.FILE_MODE}


def test_runtime_zip_skips_caches(tmp_path):
    package = _fake_package(tmp_path / "src")
    built = packaging.build_runtime_archive(tmp_path / "build", package)
    names = zipfile.ZipFile(built.path).namelist()
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def test_runtime_zip_only_runtime(tmp_path):
    package = _fake_package(tmp_path / "src")
    built = packaging.build_runtime_archive(tmp_path / "build", package)
    names = zipfile.ZipFile(built.path).namelist()
    assert names == ["destkit/__init__.py", "destkit/runtime/__init__.py", "destkit/runtime/aws/intake.py"]


def test_runtime_zip_has_handlers(tmp_path):
    names = zipfile.ZipFile(packaging.build_runtime_archive(tmp_path).path).namelist()
    assert "destkit/runtime/aws/intake.py" in names
    assert "destkit/runtime/aws/authorizer.py" in names


def test_runtime_zip_named_by_hash(tmp_path):
    built = packaging.build_runtime_archive(tmp_path)
    assert built.path.name == f"runtime-{built.sha256_hex[:16]}.zip"


def test_runtime_zip_lambda_hash(tmp_path):
    built = packaging.build_runtime_archive(tmp_path)
    expected = base64.b64encode(hashlib.sha256(built.path.read_bytes()).digest()).decode()
    assert built.sha256_base64 == expected


def test_runtime_missing_package(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"__init__\.py not found"):
        packaging.runtime_entries(tmp_path)


def test_zip_rejects_duplicates():
    with pytest.raises(ValueError, match="duplicate archive entries"):
        packaging.zip_bytes([("a.py", b"1"), ("a.py", b"2")])


def test_zip_order_independent():
    assert packaging.zip_bytes([("b", b"2"), ("a", b"1")]) == packaging.zip_bytes([("a", b"1"), ("b", b"2")])


def test_runtime_zip_imports_without_site_packages(tmp_path):
    # -S leaves site-packages off sys.path, so a third-party import at module level fails here.
    built = packaging.build_runtime_archive(tmp_path / "build")
    zipfile.ZipFile(built.path).extractall(tmp_path / "code")
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "import destkit.runtime.aws.intake, destkit.runtime.aws.authorizer"
    )
    completed = subprocess.run(
        [sys.executable, "-S", "-c", script, str(tmp_path / "code")], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
