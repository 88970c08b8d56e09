"""The GitHub Actions templates under ``examples/ci`` have the jobs, steps and inputs they need."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from destkit.cli.main import build_parser
from destkit.plan.engine import find_project

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((REPO_ROOT / "examples" / "ci").glob("*.yml"))
CI_DOC = (REPO_ROOT / "docs" / "ci.md").read_text()


def _load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the bare key `on` as the boolean true.
    document["on"] = document.pop(True, document.get("on"))
    return document


def _steps(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in job["steps"] if str(step.get("uses", "")).startswith(action + "@")]


def _run_text(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) for step in job["steps"])


@pytest.fixture(scope="module", params=TEMPLATES, ids=lambda path: path.name)
def workflow(request: pytest.FixtureRequest) -> dict[str, Any]:
    return _load(request.param)


@pytest.fixture(scope="module", params=TEMPLATES, ids=lambda path: path.name)
def template_text(request: pytest.FixtureRequest) -> str:
    return request.param.read_text()


def test_templates_exist():
    assert TEMPLATES


def test_triggers_pull_request_and_main(workflow: dict[str, Any]):
    assert "pull_request" in workflow["on"]
    assert workflow["on"]["push"]["branches"] == ["main"]


def test_no_pull_request_target(workflow: dict[str, Any]):
    assert "pull_request_target" not in workflow["on"]


def test_default_permissions_read_only(workflow: dict[str, Any]):
    assert workflow["permissions"] == {"contents": "read"}


# -- plan job -------------------------------------------------------------------------------------


def test_plan_runs_readme_test_command(workflow: dict[str, Any]):
    readme = (REPO_ROOT / "README.md").read_text().splitlines()
    test_command = readme[readme.index("<!-- test-command -->") + 2]
    assert test_command in _run_text(workflow["jobs"]["plan"]).splitlines()


def test_plan_runs_destkit_plan(workflow: dict[str, Any]):
    assert re.search(r"destkit plan --stack \"\$stack\" --policy-config", _run_text(workflow["jobs"]["plan"]))


def test_plan_loops_over_stack_files(workflow: dict[str, Any]):
    assert "for file in stacks/Pulumi.*.yaml" in _run_text(workflow["jobs"]["plan"])


def test_plan_uses_no_secrets(workflow: dict[str, Any]):
    assert "secrets." not in json.dumps(workflow["jobs"]["plan"])


def test_plan_has_no_oidc(workflow: dict[str, Any]):
    assert "id-token" not in json.dumps(workflow["jobs"]["plan"].get("permissions", {}))


def test_plan_flags_exist():
    plan_parser = build_parser()._subparsers._group_actions[0].choices["plan"]
    flags = {option for action in plan_parser._actions for option in action.option_strings}
    assert {"--stack", "--policy-config", "--diagram"} <= flags


def test_plan_uploads_artifact(workflow: dict[str, Any]):
    upload = _steps(workflow["jobs"]["plan"], "actions/upload-artifact")
    assert upload[0]["with"]["name"] == "destkit-plan"


def test_stack_list_step_lists_every_stack(workflow: dict[str, Any], tmp_path: Path):
    step = next(step for step in workflow["jobs"]["plan"]["steps"] if step.get("id") == "stacks")
    output_file = tmp_path / "github_output"
    env = {**os.environ, "GITHUB_OUTPUT": str(output_file)}
    subprocess.run(["bash", "-eo", "pipefail", "-c", step["run"]], cwd=REPO_ROOT, env=env, check=True)
    listed = json.loads(output_file.read_text().strip().removeprefix("stacks="))
    assert listed == find_project(REPO_ROOT).stacks()


# -- preview job ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def preview(workflow: dict[str, Any]) -> dict[str, Any]:
    return workflow["jobs"]["preview"]


def _pulumi_step(job: dict[str, Any]) -> dict[str, Any]:
    steps = _steps(job, "pulumi/actions")
    assert len(steps) == 1
    return steps[0]


def test_preview_skips_forks(preview: dict[str, Any]):
    assert "github.event.pull_request.head.repo.full_name == github.repository" in preview["if"]


def test_fork_notice_runs_for_forks(workflow: dict[str, Any]):
    notice = workflow["jobs"]["fork-notice"]
    assert "github.event.pull_request.head.repo.full_name != github.repository" in notice["if"]
    assert "::notice" in _run_text(notice)


def test_preview_needs_plan(preview: dict[str, Any]):
    assert preview["needs"] == "plan"


def test_preview_matrix_from_plan(preview: dict[str, Any]):
    assert preview["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.plan.outputs.stacks) }}"


def test_preview_uses_pulumi_actions_v7(preview: dict[str, Any]):
    assert _pulumi_step(preview)["uses"] == "pulumi/actions@v7"


def test_preview_command(preview: dict[str, Any]):
    assert _pulumi_step(preview)["with"]["command"] == "preview"


def test_preview_diff_and_comment(preview: dict[str, Any]):
    inputs = _pulumi_step(preview)["with"]
    assert inputs["diff"] is True
    assert inputs["comment-on-pr"] is True


def test_preview_policy_pack_exists(workflow: dict[str, Any], preview: dict[str, Any]):
    pack_input = _pulumi_step(preview)["with"]["policyPacks"]
    pack = pack_input.replace("${{ env.POLICY_PACK }}", workflow["env"]["POLICY_PACK"])
    assert (REPO_ROOT / pack / "PulumiPolicy.yaml").is_file()


def test_preview_policy_config_from_plan(preview: dict[str, Any]):
    assert _pulumi_step(preview)["with"]["policyPackConfigs"] == "plan/${{ matrix.stack }}.policy.json"


def test_preview_self_managed_backend(preview: dict[str, Any]):
    assert _pulumi_step(preview)["with"]["cloud-url"] == "${{ vars.PULUMI_BACKEND_URL }}"


def test_preview_passphrase_from_secrets(preview: dict[str, Any]):
    env = _pulumi_step(preview)["env"]
    assert env["PULUMI_CONFIG_PASSPHRASE"] == "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"


def test_preview_has_oidc_permission(preview: dict[str, Any]):
    assert preview["permissions"]["id-token"] == "write"
    assert preview["permissions"]["pull-requests"] == "write"


@pytest.mark.parametrize(
    "action", ["aws-actions/configure-aws-credentials", "azure/login", "google-github-actions/auth"]
)
def test_preview_signs_in_with_oidc(preview: dict[str, Any], action: str):
    steps = _steps(preview, action)
    assert len(steps) == 1
    assert "secrets." not in json.dumps(steps[0])


def test_preview_downloads_plan(preview: dict[str, Any]):
    assert _steps(preview, "actions/download-artifact")[0]["with"]["name"] == "destkit-plan"


# -- up job ---------------------------------------------------------------------------------------


def test_up_only_on_main_push(workflow: dict[str, Any]):
    condition = workflow["jobs"]["up"]["if"]
    assert "github.event_name == 'push'" in condition
    assert "github.ref == 'refs/heads/main'" in condition


def test_up_is_optional(workflow: dict[str, Any]):
    assert "vars.PULUMI_UP_STACKS != ''" in workflow["jobs"]["up"]["if"]


def test_up_behind_environment(workflow: dict[str, Any]):
    assert workflow["jobs"]["up"]["environment"] == "production"


def test_up_command(workflow: dict[str, Any]):
    assert _pulumi_step(workflow["jobs"]["up"])["with"]["command"] == "up"


def test_up_runs_policy_pack(workflow: dict[str, Any]):
    assert _pulumi_step(workflow["jobs"]["up"])["with"]["policyPacks"] == "${{ env.POLICY_PACK }}"


@pytest.mark.parametrize("job", ["preview", "up"])
def test_backend_checked_before_pulumi(workflow: dict[str, Any], job: str):
    steps = workflow["jobs"][job]["steps"]
    check = next(i for i, step in enumerate(steps) if step.get("if") == "vars.PULUMI_BACKEND_URL == ''")
    pulumi_step = _pulumi_step(workflow["jobs"][job])
    assert check < steps.index(pulumi_step)
    assert "exit 1" in steps[check]["run"]


# -- the whole template ---------------------------------------------------------------------------


def test_actions_pinned_to_version(workflow: dict[str, Any]):
    unpinned = [
        step["uses"]
        for job in workflow["jobs"].values()
        for step in job["steps"]
        if "uses" in step and not re.search(r"@v\d+$|@[0-9a-f]{40}$", step["uses"])
    ]
    assert unpinned == []


def test_secrets_documented(template_text: str):
    names = set(re.findall(r"secrets\.([A-Z_]+)", template_text))
    assert names
    assert [name for name in sorted(names) if f"`{name}`" not in CI_DOC] == []


def test_variables_documented(template_text: str):
    names = set(re.findall(r"vars\.([A-Z_]+)", template_text))
    assert names
    assert [name for name in sorted(names) if f"`{name}`" not in CI_DOC] == []
