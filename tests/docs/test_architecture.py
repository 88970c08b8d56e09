"""``docs/architecture.md`` shows the current diagram of every shipped stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from destkit import docs

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def rendered() -> str:
    return docs.architecture_page(REPO_ROOT).render()


def test_architecture_page_current(rendered: str):
    committed = (REPO_ROOT / "docs/architecture.md").read_text()
    assert committed == rendered, f"docs/architecture.md is stale: run {docs.ARCHITECTURE_COMMAND}"


def test_every_stack_has_diagram(rendered: str):
    missing = [stack for stack in docs.SHIPPED_STACKS if f"## `{stack}`\n" not in rendered]
    assert missing == []


def test_one_mermaid_block_per_stack(rendered: str):
    assert rendered.count("```mermaid\n") == len(docs.SHIPPED_STACKS)


def test_empty_project_says_so(tmp_path: Path):
    (tmp_path / "Pulumi.yaml").write_text("name: empty\nruntime: python\nstackConfigDir: stacks\n")
    page = docs.architecture_page(tmp_path).render()
    assert "no stack files" in page
