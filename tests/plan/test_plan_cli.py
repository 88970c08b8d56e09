"""destkit plan end to end: exit statuses, the JSON schema, and no secret in any output."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from destkit.cli.main import main
from destkit.docs import SHIPPED_STACKS
from destkit.plan.engine import find_project, plan_stack
from destkit.plan.mocks import KitMocks
from destkit.plan.render import to_json, to_text

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "infra" / "destkit" / "plan" / "plan.schema.json").read_text())
SENTINEL = "SENTINEL7f3a9c"



def _project(tmp_path: Path, stack_yaml: str, main: str | None = None) -> Path:
    program = main or str(ROOT / "infra")
    (tmp_path / "Pulumi.yaml").write_text(f"name: demo\nruntime: python\nmain: {program}\nstackConfigDir: stacks\n")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(stack_yaml)
    return tmp_path


def test_shipped_stacks_exist():
    assert set(SHIPPED_STACKS) <= set(find_project(ROOT).stacks())


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_plan_json_matches_schema(stack, capsys):
    status = main(["plan", "--stack", stack, "--json", "--project-dir", str(ROOT)])
    document = json.loads(capsys.readouterr().out)
    jsonschema.validate(document, SCHEMA)
    assert status == 0


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_generated_secrets_never_printed(stack):
    result = plan_stack(stack, ROOT, mocks=KitMocks(secret_sentinel=SENTINEL))
    assert any(SENTINEL in json.dumps(value) for value in result.outputs.values()), "sentinel never reached outputs"
    assert SENTINEL not in to_text(result)
    assert SENTINEL not in to_json(result)


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_secret_outputs_masked(stack):
    document = json.loads(to_json(plan_stack(stack, ROOT)))
    assert document["secret_outputs"], "a shipped stack with no secret output"
    for name in document["secret_outputs"]:
        assert document["outputs"][name] == "[secret]"


def test_text_plan_ends_with_summary(capsys):
    main(["plan", "--stack", "aws-dev", "--project-dir", str(ROOT)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith("Summary: ")


def test_unknown_stack_exits_2(capsys):
    status = main(["plan", "--stack", "nope", "--project-dir", str(ROOT)])
    assert status == 2
    assert "stack 'nope' not found" in capsys.readouterr().err


def test_invalid_config_exits_2(tmp_path, capsys):
    stack_yaml = "config:\n  aws:region: eu-west-1\n  destkit:destination:\n    name: Acme\n    cloud: aws\n"
    project = _project(tmp_path, stack_yaml)
    status = main(["plan", "--stack", "dev", "--project-dir", str(project)])
    assert status == 2
    assert "destkit:destination.name" in capsys.readouterr().err


def test_invalid_config_registers_nothing(tmp_path, capsys):
    stack_yaml = (
        "config:\n  aws:region: eu-west-1\n  destkit:destination:\n    name: acme\n    cloud: aws\n  destkit:bogus: 1\n"
    )
    project = _project(tmp_path, stack_yaml)
    status = main(["plan", "--stack", "dev", "--project-dir", str(project), "--json"])
    assert status == 2
    assert capsys.readouterr().out == ""


def test_mandatory_violation_exits_1(tmp_path, capsys):
    program = tmp_path / "program"
    program.mkdir()
    (program / "__main__.py").write_text("import pulumi_aws as aws\naws.s3.Bucket('open')\n")
    stack_yaml = "config:\n  aws:region: eu-west-1\n  destkit:destination:\n    name: acme\n    cloud: aws\n"
    project = _project(tmp_path, stack_yaml, str(program))
    status = main(["plan", "--stack", "dev", "--project-dir", str(project)])
    assert status == 1
    assert "VIOLATED" in capsys.readouterr().out


def test_program_crash_exits_3(tmp_path, capsys):
    program = tmp_path / "program"
    program.mkdir()
    (program / "__main__.py").write_text("raise RuntimeError('boom')\n")
    project = _project(tmp_path, "config: {}\n", str(program))
    status = main(["plan", "--stack", "dev", "--project-dir", str(project)])
    assert status == 3
    assert "internal error: RuntimeError: boom" in capsys.readouterr().err


def test_missing_stack_argument_exits_2(capsys):
    assert main(["plan"]) == 2


def test_no_command_exits_2(capsys):
    assert main([]) == 2


def test_missing_region_exits_2(tmp_path, capsys):
    project = _project(tmp_path, "config:\n  destkit:destination:\n    name: acme\n    cloud: aws\n")
    status = main(["plan", "--stack", "dev", "--project-dir", str(project)])
    assert status == 2
    assert "aws:region missing" in capsys.readouterr().err


def test_unquoted_review_date_accepted(tmp_path, capsys):
    stack_yaml = (
        "config:\n  aws:region: eu-west-1\n  destkit:destination:\n    name: acme\n    cloud: aws\n"
        "  destkit:exceptions:\n    - control: lambda-optional\n      resource: acme-dev-intake\n"
        "      reason: no VPC for a public intake endpoint\n      review_by: 2027-01-31\n"
    )
    project = _project(tmp_path, stack_yaml)
    status = main(["plan", "--stack", "dev", "--project-dir", str(project)])
    assert status == 0


def test_unknown_exception_control_exits_2(tmp_path, capsys):
    stack_yaml = (
        "config:\n  aws:region: eu-west-1\n  destkit:destination:\n    name: acme\n    cloud: aws\n"
        "  destkit:exceptions:\n    - control: no-such-control\n      resource: x\n"
        "      reason: a reason long enough\n      review_by: '2027-01-31'\n"
    )
    status = main(["plan", "--stack", "dev", "--project-dir", str(_project(tmp_path, stack_yaml))])
    assert status == 2
    assert "destkit:exceptions[0].control: 'no-such-control'" in capsys.readouterr().err


def test_unknown_namespace_warns(tmp_path, caplog):
    stack_yaml = (
        "config:\n  aws:region: eu-west-1\n  destkt:tags:\n    team: data\n"
        "  destkit:destination:\n    name: acme\n    cloud: aws\n"
    )
    main(["plan", "--stack", "dev", "--project-dir", str(_project(tmp_path, stack_yaml))])
    assert "namespace 'destkt'" in caplog.text


def test_project_dir_without_project_exits_2(tmp_path, capsys):
    status = main(["plan", "--stack", "aws-dev", "--project-dir", str(tmp_path)])
    assert status == 2
    assert "no Pulumi.yaml found" in capsys.readouterr().err
