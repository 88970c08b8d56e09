"""The runtime's published contracts: routes, the error table, the OpenAPI document and its imports."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from destkit.runtime import routes
from destkit.runtime.errors import ERRORS, retried_under_best_effort, retried_under_configurable

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ROOT / "infra" / "destkit" / "runtime"
DOC = (ROOT / "docs" / "runtime.md").read_text("utf-8")
OPENAPI = json.loads((RUNTIME / "schemas" / "audiences.openapi.json").read_text("utf-8"))
# AEP retries these under one policy or the other, so permanent errors must avoid them.
RETRIED_SOMEWHERE = {403, 408, 409, 420, 429}


@pytest.mark.parametrize("code", sorted(ERRORS))
def test_error_documented_with_status(code: str):
    row = re.search(rf"^\| `{code}` \| (\d+) \|", DOC, re.MULTILINE)
    assert row is not None
    assert int(row.group(1)) == ERRORS[code].status


@pytest.mark.parametrize("code", sorted(set(ERRORS) - {"sink_unavailable", "internal_error"}))
def test_permanent_error_not_retried(code: str):
    status = ERRORS[code].status
    assert status not in RETRIED_SOMEWHERE
    assert status < 500
    assert not retried_under_best_effort(status)
    assert not retried_under_configurable(status)


def test_sink_error_retried_by_both():
    status = ERRORS["sink_unavailable"].status
    assert retried_under_best_effort(status)
    assert retried_under_configurable(status)


def test_openapi_paths_match_routes():
    assert set(OPENAPI["paths"]) == {routes.AUDIENCES_PATH, routes.AUDIENCE_ITEM_PATH}
    assert set(OPENAPI["paths"][routes.AUDIENCES_PATH]) == {"post"}
    assert set(OPENAPI["paths"][routes.AUDIENCE_ITEM_PATH]) == {"parameters", "put", "delete"}


def test_openapi_errors_have_message():
    assert "message" in OPENAPI["components"]["schemas"]["Error"]["required"]


def test_routes_documented():
    for path in (routes.INTAKE_PATH, routes.AUDIENCES_PATH, routes.AUDIENCE_ITEM_PATH, routes.TOKEN_PATH):
        assert f"`{path}`" in DOC


def test_runtime_never_imports_pulumi():
    offenders = [
        path.relative_to(ROOT).as_posix()
        for path in RUNTIME.rglob("*.py")
        if re.search(r"^\s*(import|from)\s+pulumi", path.read_text("utf-8"), re.MULTILINE)
    ]
    assert offenders == []


@pytest.mark.parametrize("module", ["destkit.runtime.aws.intake", "destkit.runtime.aws.authorizer"])
def test_handler_imports_no_third_party(module: str):
    probe = (
        f"import sys; sys.path.insert(0, {str(ROOT / 'infra')!r}); import {module}; "
        "print(sorted({name.split('.')[0] for name in sys.modules}))"
    )
    loaded = json.loads(
        subprocess.run([sys.executable, "-I", "-S", "-c", probe], capture_output=True, text=True, check=True)
        .stdout.replace("'", '"')
    )
    assert {"boto3", "botocore", "jwt", "cryptography", "pulumi", "pydantic"}.isdisjoint(loaded)
