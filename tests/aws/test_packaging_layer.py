"""The JWT layer is built from wheels into ``python/``, and its absence is a clear error.

Nothing is downloaded: a small fake wheel replaces PyJWT, and a stub replaces the pip step.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from destkit.aws import packaging
from destkit.cli import aws_layer
from destkit.cli.main import main


def _fake_wheel(directory: Path, name: str = "fakejwt") -> Path:
    wheel = directory / f"{name}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(f"{name}/__init__.py", "VERSION = '1.0'\n")
        archive.writestr(f"{name}/__pycache__/__init__.cpython-313.pyc", b"\x00")
        archive.writestr(f"{name}-1.0.dist-info/METADATA", f"Name: {name}\nVersion: 1.0\n")
        archive.writestr(f"{name}-1.0.data/scripts/{name}-cli", "#!/bin/sh\n")
    return wheel


def test_layer_entries_under_python(tmp_path):
    path = packaging.build_layer_archive([_fake_wheel(tmp_path)], tmp_path / "build")
    names = zipfile.ZipFile(path).namelist()
    assert names == ["python/fakejwt-1.0.dist-info/METADATA", "python/fakejwt/__init__.py"]


def test_layer_fixed_name(tmp_path):
    path = packaging.build_layer_archive([_fake_wheel(tmp_path)], tmp_path / "build")
    assert path == tmp_path / "build" / packaging.LAYER_FILE_NAME


def test_layer_reproducible(tmp_path):
    wheel = _fake_wheel(tmp_path)
    first = packaging.build_layer_archive([wheel], tmp_path / "one").read_bytes()
    second = packaging.build_layer_archive([wheel], tmp_path / "two").read_bytes()
    assert first == second


def test_layer_rejects_non_wheel(tmp_path):
    archive = tmp_path / "fakejwt-1.0.tar.gz"
    archive.write_bytes(b"not a wheel")
    with pytest.raises(ValueError, match=r"not a wheel"):
        packaging.build_layer_archive([archive], tmp_path / "build")


def test_layer_rejects_no_wheels(tmp_path):
    with pytest.raises(ValueError, match="no wheels"):
        packaging.build_layer_archive([], tmp_path / "build")


def test_require_layer_names_command(tmp_path):
    with pytest.raises(packaging.LayerMissingError, match="destkit aws build-layer"):
        packaging.require_layer(tmp_path)


def test_require_layer_hash(tmp_path):
    path = packaging.build_layer_archive([_fake_wheel(tmp_path)], tmp_path)
    assert packaging.require_layer(tmp_path).path == path


def test_build_layer_uses_pins(tmp_path):
    seen: dict[str, object] = {}

    def download(requirements: Path, destination: Path, python_version: str) -> None:
        seen["requirements"] = requirements.read_text().split()
        seen["python_version"] = python_version
        _fake_wheel(destination)

    aws_layer.build_layer(tmp_path / "build", "3.13", download)
    assert seen["requirements"] == list(packaging.LAYER_REQUIREMENTS)
    assert seen["python_version"] == "3.13"


def test_layer_pins_exact():
    assert all("==" in requirement for requirement in packaging.LAYER_REQUIREMENTS)


def test_build_layer_command(tmp_path, monkeypatch):
    monkeypatch.setattr(
        aws_layer, "pip_download", lambda requirements, destination, version: _fake_wheel(destination)
    )
    status = main(["aws", "build-layer", "--build-dir", str(tmp_path)])
    assert status == 0
    assert (tmp_path / packaging.LAYER_FILE_NAME).is_file()


def test_build_layer_pip_failure(tmp_path, monkeypatch):
    import subprocess

    def fail(requirements: Path, destination: Path, version: str) -> None:
        raise subprocess.CalledProcessError(1, ["pip", "download"])

    monkeypatch.setattr(aws_layer, "pip_download", fail)
    assert main(["aws", "build-layer", "--build-dir", str(tmp_path)]) == 1


def test_pip_download_arm64_only(tmp_path, monkeypatch):
    commands: list[list[str]] = []
    monkeypatch.setattr(aws_layer.subprocess, "run", lambda command, check: commands.append(command))
    aws_layer.pip_download(tmp_path / "requirements.txt", tmp_path, "3.13")
    command = commands[0]
    platforms = [command[i + 1] for i, part in enumerate(command) if part == "--platform"]
    assert "--only-binary=:all:" in command
    assert platforms == list(packaging.LAYER_PLATFORMS)
    assert all(platform.endswith("aarch64") for platform in platforms)
    assert command[command.index("--python-version") + 1] == "3.13"
