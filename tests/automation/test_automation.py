"""The Automation API helpers: CLI discovery, config from the typed models, output capture."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from pulumi import automation as auto

from destkit import automation
from destkit.automation import PulumiCliNotFoundError, StackTarget
from destkit.config import parse_config

TOKEN = "t" * 40
RAW = {
    "destination": {"name": "acme", "cloud": "aws"},
    "tenants": ["retail", "media"],
    "streaming": {"auth": "bearer", "throttle_rate": 200},
    "exceptions": [
        {
            "control": "s3-replication",
            "resource": "acme-sink",
            "reason": "single-region by design",
            "review_by": "2027-06-30",
        }
    ],
    "secrets": {"bearer_tokens": {"retail": TOKEN, "media": TOKEN.upper()}},
}


def _executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


class _FakeStack:
    """Stands in for ``auto.Stack``: records the arguments and plays back canned CLI lines."""

    def __init__(self, outputs: dict[str, auto.OutputValue] | None = None):
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.outputs = outputs or {}

    def preview(self, **kwargs: Any) -> Any:
        self.calls.append(("preview", kwargs))
        kwargs["on_output"]("+ aws:s3/bucket:Bucket create")
        return SimpleNamespace(change_summary={auto.OpType.CREATE: 3, auto.OpType.SAME: 1})

    def up(self, **kwargs: Any) -> Any:
        self.calls.append(("up", kwargs))
        kwargs["on_output"]("Resources: 3 created")
        summary = SimpleNamespace(result="succeeded", resource_changes={"create": 3})
        return SimpleNamespace(summary=summary, outputs=self.outputs)


def _as_stack(fake: _FakeStack) -> auto.Stack:
    return cast(auto.Stack, fake)


# -- CLI discovery --------------------------------------------------------------------------------


def test_missing_cli_names_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PulumiCliNotFoundError, match="install the Pulumi CLI"):
        automation.find_pulumi_cli()


def test_missing_cli_root_names_path(tmp_path: Path):
    with pytest.raises(PulumiCliNotFoundError, match=str(tmp_path / "bin" / "pulumi")):
        automation.find_pulumi_cli(tmp_path)


def test_non_executable_cli_rejected(tmp_path: Path):
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "pulumi").write_text("")
    with pytest.raises(PulumiCliNotFoundError):
        automation.find_pulumi_cli(tmp_path)


def test_cli_found_in_root(tmp_path: Path):
    cli = _executable(tmp_path / "bin" / "pulumi")
    assert automation.find_pulumi_cli(tmp_path) == str(cli)


def test_cli_found_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    cli = _executable(tmp_path / "bin" / "pulumi")
    monkeypatch.setenv("PATH", str(cli.parent))
    assert automation.find_pulumi_cli() == str(cli)


def test_select_stack_fails_before_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(auto, "create_or_select_stack", pytest.fail)
    with pytest.raises(PulumiCliNotFoundError, match="not on PATH"):
        automation.select_stack(StackTarget("aws-dev", project_dir=tmp_path), config=parse_config(RAW))


# -- stack selection against a recording stand-in for the CLI ------------------------------------


FAKE_CLI = """#!/bin/sh
printf '%s backend=%s\\n' "$*" "$PULUMI_BACKEND_URL" >> "$FAKE_PULUMI_LOG"
if [ "$1" = version ]; then echo v3.272.0; fi
exit 0
"""


@pytest.fixture
def recorded_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A ``bin/pulumi`` that records its arguments and the backend URL it was given, one line per call."""
    cli = _executable(tmp_path / "cli" / "bin" / "pulumi")
    cli.write_text(FAKE_CLI)
    log = tmp_path / "calls.log"
    monkeypatch.setenv("FAKE_PULUMI_LOG", str(log))
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: sample\nruntime: python\n")
    automation.select_stack(
        StackTarget("dev", project_dir=project, backend_url="file:///state", cli_root=tmp_path / "cli"),
        config=parse_config(RAW),
        provider_config={"aws:region": "eu-west-1"},
    )
    return log, project


def _calls(log: Path) -> list[str]:
    return log.read_text().splitlines()


def test_select_stack_selects_named_stack(recorded_cli: tuple[Path, Path]):
    log, _ = recorded_cli
    assert any(call.startswith("--non-interactive stack select --stack dev") for call in _calls(log))


def test_select_stack_passes_backend(recorded_cli: tuple[Path, Path]):
    log, _ = recorded_cli
    assert all(call.endswith("backend=file:///state") for call in _calls(log) if "stack select" in call)


def test_select_stack_sets_provider_key(recorded_cli: tuple[Path, Path]):
    log, _ = recorded_cli
    set_all = next(call for call in _calls(log) if " config set-all " in call)
    assert "--plaintext aws:region=eu-west-1" in set_all


def test_select_stack_sends_secrets_as_secret(recorded_cli: tuple[Path, Path]):
    log, _ = recorded_cli
    set_all = next(call for call in _calls(log) if " config set-all " in call)
    secret_part = set_all.split("--secret destkit:secrets=", 1)
    assert len(secret_part) == 2
    assert TOKEN not in secret_part[0]
    assert TOKEN in secret_part[1]


# -- config from the typed models -----------------------------------------------------------------


@pytest.fixture
def values() -> dict[str, auto.ConfigValue]:
    return automation.config_values(parse_config(RAW))


def test_config_keys_are_namespaced(values: dict[str, auto.ConfigValue]):
    assert sorted(values) == [
        "destkit:destination",
        "destkit:exceptions",
        "destkit:secrets",
        "destkit:streaming",
        "destkit:tenants",
    ]


def test_config_round_trips(values: dict[str, auto.ConfigValue]):
    raw = {key.removeprefix("destkit:"): json.loads(value.value) for key, value in values.items()}
    assert parse_config(raw) == parse_config(RAW)


def test_config_omits_unset_defaults(values: dict[str, auto.ConfigValue]):
    assert json.loads(values["destkit:streaming"].value) == {"auth": "bearer", "throttle_rate": 200}


def test_config_dates_are_iso(values: dict[str, auto.ConfigValue]):
    assert json.loads(values["destkit:exceptions"].value)[0]["review_by"] == "2027-06-30"


def test_secrets_marked_secret(values: dict[str, auto.ConfigValue]):
    assert values["destkit:secrets"].secret is True


def test_secret_value_only_in_secret(values: dict[str, auto.ConfigValue]):
    plain = [value.value for value in values.values() if not value.secret]
    assert not any(TOKEN in text or TOKEN.upper() in text for text in plain)


def test_plain_values_not_secret(values: dict[str, auto.ConfigValue]):
    assert values["destkit:tenants"].secret is False


def test_no_secrets_no_secret_key():
    values = automation.config_values(parse_config({"destination": {"name": "acme", "cloud": "gcp"}}))
    assert "destkit:secrets" not in values


# -- preview and up -------------------------------------------------------------------------------


def test_preview_captures_output():
    report = automation.preview(_as_stack(_FakeStack()))
    assert report.output == ["+ aws:s3/bucket:Bucket create"]


def test_preview_forwards_output():
    seen: list[str] = []
    automation.preview(_as_stack(_FakeStack()), on_output=seen.append)
    assert seen == ["+ aws:s3/bucket:Bucket create"]


def test_preview_summary_by_operation():
    report = automation.preview(_as_stack(_FakeStack()))
    assert report.change_summary == {"create": 3, "same": 1}


def test_preview_passes_policy_pack():
    stack = _FakeStack()
    pack, pack_config = Path("infra/destkit/policy/pack"), Path("waivers.json")
    automation.preview(_as_stack(stack), policy_packs=[pack], policy_pack_configs=[pack_config])
    arguments = stack.calls[0][1]
    assert arguments["policy_packs"] == ["infra/destkit/policy/pack"]
    assert arguments["policy_pack_configs"] == ["waivers.json"]


def test_preview_without_pack_passes_none():
    stack = _FakeStack()
    automation.preview(_as_stack(stack))
    assert stack.calls[0][1]["policy_packs"] is None


def test_up_masks_secret_outputs():
    outputs = {"url": auto.OutputValue("https://x", False), "tokens": auto.OutputValue({"a": TOKEN}, True)}
    stack = _FakeStack(outputs)
    report = automation.up(_as_stack(stack))
    assert report.outputs == {"url": "https://x", "tokens": "[secret]"}


def test_up_hides_secrets_from_cli():
    stack = _FakeStack()
    automation.up(_as_stack(stack))
    assert stack.calls[0][1]["show_secrets"] is False


def test_up_reveals_when_asked():
    stack = _FakeStack({"tokens": auto.OutputValue({"a": TOKEN}, True)})
    report = automation.up(_as_stack(stack), reveal_secrets=True)
    assert report.outputs == {"tokens": {"a": TOKEN}}


def test_up_reports_result():
    report = automation.up(_as_stack(_FakeStack()))
    assert report.result == "succeeded"
    assert report.resource_changes == {"create": 3}


# -- policy pack config ---------------------------------------------------------------------------


def test_policy_pack_config_has_waivers(tmp_path: Path):
    path = automation.write_policy_pack_config("aws-dev", tmp_path / "waivers.json")
    pack_config = json.loads(path.read_text())
    assert pack_config
    assert all(policy["waivers"] for policy in pack_config.values())


def test_policy_pack_config_unknown_stack(tmp_path: Path):
    from destkit.plan.engine import PlanError

    with pytest.raises(PlanError, match="not-a-stack"):
        automation.write_policy_pack_config("not-a-stack", tmp_path / "waivers.json")
