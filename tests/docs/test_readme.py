"""The README and its Spanish translation show the same commands, and every command and link works."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from destkit.cli.main import build_parser
from destkit.docs import SHIPPED_STACKS

REPO_ROOT = Path(__file__).resolve().parents[2]
READMES = [REPO_ROOT / "README.md", REPO_ROOT / "README.es.md"]
FIRST_COMMAND_MARKERS = ("<!-- plan-command -->", "<!-- test-command -->")


def _blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def _command_lines(path: Path) -> list[str]:
    lines: list[str] = []
    for block in _blocks(path.read_text(), "sh"):
        lines.extend(line.strip() for line in block.splitlines() if line.strip())
    return lines


def _destkit_invocations(path: Path) -> list[list[str]]:
    invocations: list[list[str]] = []
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
    stacks = set(SHIPPED_STACKS)
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


# -- claims of the guide ------------------------------------------------------------------------------


def _stack_config(stack: str) -> Any:
    from destkit.config import parse_config

    raw = yaml.safe_load((REPO_ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    values = {key.removeprefix("destkit:"): value for key, value in raw.items() if key.startswith("destkit:")}
    values.pop("secrets", None)
    return parse_config(values)


def _within_aep_ranges(cidrs: list[str] | None) -> bool:
    from destkit.config import AEP_STORAGE_EGRESS_CIDRS

    return bool(cidrs) and set(cidrs or ()) <= set(AEP_STORAGE_EGRESS_CIDRS)


# The quick-start table of the README: what each shipped stack deploys.
QUICK_START_CLAIMS: dict[str, list[tuple[str, Callable[[Any], bool]]]] = {
    "aws-dev": [
        ("OAuth 2.0", lambda c: c.streaming.auth.value == "oauth2"),
        ("managed OAuth 2.0 issuer", lambda c: c.streaming.oauth2.issuer.value == "managed"),
        ("audience API", lambda c: c.streaming.audience_api),
        ("S3 drop zone", lambda c: c.batch.s3.enabled),
        ("SFTP drop zone", lambda c: c.batch.sftp.enabled),
    ],
    "aws-prod": [
        ("existing KMS key", lambda c: c.aws.kms_key_arn is not None),
        ("existing VPC", lambda c: c.aws.vpc is not None),
        ("custom domain", lambda c: c.streaming.custom_domain is not None),
        ("S3 writers limited to AEP's ranges", lambda c: _within_aep_ranges(c.batch.s3.allowed_cidrs)),
    ],
    "azure-dev": [
        ("managed OAuth 2.0 issuer", lambda c: c.streaming.oauth2.issuer.value == "managed"),
        ("audience API", lambda c: c.streaming.audience_api),
        ("Blob drop zone", lambda c: c.batch.blob.enabled),
        ("ADLS Gen2 drop zone", lambda c: c.batch.adls.enabled),
        ("SFTP drop zone", lambda c: c.batch.sftp.enabled),
    ],
    "gcp-dev": [
        ("managed OAuth 2.0 issuer", lambda c: c.streaming.oauth2.issuer.value == "managed"),
        ("audience API", lambda c: c.streaming.audience_api),
        ("GCS drop zone", lambda c: c.batch.gcs.enabled),
        ("experimental SFTP server", lambda c: c.batch.sftp.enabled and c.batch.sftp.experimental),
    ],
}


@pytest.mark.parametrize("stack", sorted(QUICK_START_CLAIMS))
def test_quick_start_row_true(stack: str):
    config = _stack_config(stack)
    false_claims = [claim for claim, holds in QUICK_START_CLAIMS[stack] if not holds(config)]
    assert false_claims == []


def test_components_never_read_config():
    offenders = [
        str(path.relative_to(REPO_ROOT))
        for cloud in ("aws", "azure", "gcp")
        for path in sorted((REPO_ROOT / "infra" / "destkit" / cloud).glob("*.py"))
        if "pulumi.Config(" in path.read_text()
    ]
    assert offenders == []


@pytest.mark.parametrize(
    "output",
    [
        "client_secrets",
        "s3_secret_access_keys",
        "sftp_private_keys",
        "blob_connection_strings",
        "adls_client_secrets",
        "gcs_hmac_secrets",
    ],
)
def test_generated_credentials_are_secret(output: str):
    from destkit.outputs import BY_NAME

    assert BY_NAME[output].secret is True


def _provider_settings(readme: Path) -> dict[str, list[str]]:
    lines = readme.read_text().split("<!-- provider-settings -->\n")[1].splitlines()
    settings: dict[str, list[str]] = {}
    for line in lines[2:]:
        if not line.startswith("| "):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        settings[cells[0]] = re.findall(r"`([^`]+)`", cells[1])
    return settings


@pytest.mark.parametrize("readme", READMES, ids=lambda path: path.name)
def test_provider_settings_in_stacks(readme: Path):
    settings = _provider_settings(readme)
    assert set(settings) == {"aws", "azure", "gcp"}
    for stack in SHIPPED_STACKS:
        raw = yaml.safe_load((REPO_ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
        cloud = raw["destkit:destination"]["cloud"]
        for key in settings[cloud]:
            namespace_key, _, path = key.partition(".")
            value = raw.get(namespace_key)
            if path:
                value = (value or {}).get(path)
            assert value, f"{stack} does not set {key}"
