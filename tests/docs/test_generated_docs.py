"""The generated reference pages match the code they are generated from."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from destkit import docs
from destkit.config import KitConfig
from destkit.outputs import OUTPUTS

REPO_ROOT = Path(__file__).resolve().parents[2]


def _leaf_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    paths: list[str] = []
    for name, field in model.model_fields.items():
        path = f"{prefix}.{name}" if prefix else name
        child = docs._nested_model(field.annotation)
        if child is None:
            paths.append(path)
        else:
            suffix = "[]" if docs._is_list(field.annotation) else ""
            paths.extend(_leaf_paths(child, path + suffix))
    return paths


@pytest.mark.parametrize("page", docs.reference_pages(), ids=lambda page: page.relative_path)
def test_committed_page_current(page: docs.GeneratedPage):
    committed = (REPO_ROOT / page.relative_path).read_text()
    assert committed == page.render(), f"{page.relative_path} is stale: run {page.command}"


def test_configuration_lists_every_key():
    page = docs.render_configuration_markdown()
    missing = [path for path in _leaf_paths(KitConfig) if f"| `{path}` |" not in page]
    assert missing == []


def test_configuration_lists_enum_choices():
    rows = docs.render_configuration_markdown().splitlines()
    auth_row = next(row for row in rows if row.startswith("| `streaming.auth` |"))
    assert "`oauth2`, `bearer`, `basic`" in auth_row


def test_configuration_marks_required_key():
    rows = docs.render_configuration_markdown().splitlines()
    cloud_row = next(row for row in rows if row.startswith("| `destination.cloud` |"))
    assert "| required |" in cloud_row


def test_configuration_shows_bounds():
    rows = docs.render_configuration_markdown().splitlines()
    retention_row = next(row for row in rows if row.startswith("| `destination.log_retention_days` |"))
    assert ">= 1; <= 3653" in retention_row


def test_configuration_escapes_pipes():
    assert docs._cell("a|b") == "a\\|b"


def test_configuration_links_resolve():
    page = docs.render_configuration_markdown()
    anchors = {docs._anchor(line[3:].strip("`")) for line in page.splitlines() if line.startswith("## `")}
    links = {part.split(")")[0] for part in page.split("](#")[1:]}
    assert links - anchors == set()


def test_outputs_lists_every_output():
    page = docs._render_outputs()
    missing = [spec.name for spec in OUTPUTS if f"| `{spec.name}` |" not in page]
    assert missing == []


def test_stale_page_detected(tmp_path: Path):
    page = docs.GeneratedPage("docs/example.md", lambda: "fresh\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/example.md").write_text("old\n")
    assert [stale.relative_path for stale in docs.stale_pages([page], tmp_path)] == ["docs/example.md"]


def test_missing_page_is_stale(tmp_path: Path):
    page = docs.GeneratedPage("docs/example.md", lambda: "fresh\n")
    assert [stale.relative_path for stale in docs.stale_pages([page], tmp_path)] == ["docs/example.md"]


def test_write_pages_then_current(tmp_path: Path):
    page = docs.GeneratedPage("docs/example.md", lambda: "fresh\n")
    assert docs.write_pages([page], tmp_path) == ["docs/example.md"]
    assert list(docs.stale_pages([page], tmp_path)) == []


def test_write_pages_skips_unchanged(tmp_path: Path):
    page = docs.GeneratedPage("docs/example.md", lambda: "fresh\n")
    docs.write_pages([page], tmp_path)
    assert docs.write_pages([page], tmp_path) == []


def test_check_exits_1_when_stale(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert docs.main(["--check", "--root", str(tmp_path)]) == 1
    assert "stale: docs/configuration.md" in capsys.readouterr().err


def test_check_exits_0_when_current(tmp_path: Path):
    docs.main(["--root", str(tmp_path)])
    assert docs.main(["--check", "--root", str(tmp_path)]) == 0
