"""The Function App package: deterministic, runnable layout, no Pulumi code."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

from destkit.azure.packaging import build_function_package, package_entries


def _names() -> list[str]:
    return [name for name, _ in package_entries()]


def test_package_has_entry_point():
    assert "function_app.py" in _names()


def test_package_has_host_json_v2():
    host = dict(package_entries())["host.json"]
    assert json.loads(host)["version"] == "2.0"


def test_package_lists_runtime_requirements():
    requirements = dict(package_entries())["requirements.txt"].decode()
    assert "azure-storage-blob" in requirements
    assert "azure-identity" in requirements


def test_package_has_azure_adapter():
    assert "destkit/runtime/azure/function_app.py" in _names()


def test_package_has_no_pulumi_code():
    assert not [
        name for name in _names() if name.startswith(("destkit/azure/", "destkit/aws/", "destkit/plan/"))
    ]


def test_package_bytes_stable(tmp_path: Path):
    first = build_function_package(tmp_path / "a")
    second = build_function_package(tmp_path / "b")
    assert first.sha256_hex == second.sha256_hex


def test_unpacked_package_serves_three_functions(tmp_path: Path):
    built = build_function_package(tmp_path)
    root = tmp_path / "unpacked"
    zipfile.ZipFile(io.BytesIO(built.path.read_bytes())).extractall(root)
    script = (
        "import destkit, function_app; "
        f"print(destkit.__file__.startswith({str(root)!r}), len(function_app.app.get_functions()))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True
    )
    assert completed.stdout.split() == ["True", "3"]
