"""The README and its Spanish translation show the same commands, and every command and link works."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from destkit.cli.main import build_parser
from destkit.plan.engine import find_project

REPO_ROOT = Path(__file__).resolve().parents[2]
READMES = [REPO_ROOT / "README.md", REPO_ROOT / "README.es.md"]
FIRST_COMMAND_MARKERS = ("<!-- plan-command -->", "<!-- test-command -->")


def _blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def _command_lines(path: Path) -> list[str]:
    lines = []
    for block in _blocks(path.read_text(), "sh"):
        lines.extend(line.strip() for line in block.splitlines() if line.strip())
    return lines


def _destkit_invocations(path: Path) -> list[list[str]]:
    invocations = []
    for line in _command_lines(path):
        for command in re.split(r"&&|\|", line):
            words = shlex.split(command)
            if words and words[0].endswith("destkit"):
                invocations.append(words[1:])
    return invocations


def test_spanish_has_same_commands():
    english, spanish = (_command_lines(path) for path in READMES)
    assert spanish == english


def test_spanish_has_same_diagram_shape():
    english, spanish = (_blocks(path.read_text(), "mermaid") for path in READMES)
    assert len(spanish) == len(english)
    assert [block.count("-->") for block in spanish] == [block.count("-->") for block in english]


def test_spanish_has_same_sections():
    english, spanish = (re.findall(r"^## ", path.read_text(), flags=re.MULTILINE) for path in READMES)
    assert len(spanish) == len(english)


@pytest.mark.parametrize("marker", FIRST_COMMAND_MARKERS)
def test_first_command_marker_kept(marker: str):
    lines = (REPO_ROOT / "README.md").read_text().splitlines()
    index = lines.index(marker)
    assert lines[index + 1] == "```sh"
    assert lines[index + 2].startswith("python3 -m venv .venv && .venv/bin/pip install -e ")


@pytest.mark.parametrize("readme", READMES, ids=lambda path: path.name)
def test_destkit_commands_parse(readme: Path, capsys: pytest.CaptureFixture[str]):
    parser = build_parser()
    invocations = _destkit_invocations(readme)
    assert invocations
    for arguments in invocations:
        parsed = parser.parse_args(arguments)
        assert parsed.handler is not None, arguments


@pytest.mark.parametrize("readme", READMES, ids=lambda path: path.name)
def test_named_stacks_exist(readme: Path):
    stacks = set(find_project(REPO_ROOT).stacks())
    named = set(re.findall(r"\| `([a-z0-9-]+)` \|", readme.read_text()))
    assert named
    assert named - stacks == set()


@pytest.mark.parametrize("readme", READMES, ids=lambda path: path.name)
def test_relative_links_resolve(readme: Path):
    targets = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme.read_text())
    local = [target for target in targets if "://" not in target]
    assert local
    assert [target for target in local if not (REPO_ROOT / target).exists()] == []


@pytest.mark.parametrize("readme", READMES, ids=lambda path: path.name)
def test_policy_pack_path_exists(readme: Path):
    paths = set(re.findall(r"--policy-pack (\S+)", readme.read_text()))
    assert paths
    assert [path for path in paths if not (REPO_ROOT / path / "PulumiPolicy.yaml").is_file()] == []
