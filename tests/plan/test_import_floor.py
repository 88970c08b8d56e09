"""Each cloud's import floor imports exactly the provider submodules its plan loads."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FLOORS = sorted((ROOT / "bench").glob("import_floor_*.py"))
STACK_BY_CLOUD = {"aws": "aws-dev", "azure": "azure-dev", "gcp": "gcp-dev"}


def _floor_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    return sorted(name for name in names if name.count(".") == 1 and name.startswith("pulumi_"))


@pytest.mark.parametrize("floor", FLOORS, ids=lambda p: p.stem)
def test_floor_matches_plan(floor):
    cloud = floor.stem.removeprefix("import_floor_")
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "loaded_provider_modules.py"), "--stack", STACK_BY_CLOUD[cloud]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert _floor_imports(floor) == completed.stdout.split()
