"""Each ``examples/<cloud>-existing-stack`` project plans under the mock engine, copied as a user would."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from destkit.cli.main import main
from destkit.plan.engine import PlanError, PlanResult, plan_stack, run_program
from destkit.plan.mocks import StackReferenceMocks

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "examples"


@dataclass(frozen=True)
class Example:
    """An example project, the shared stack it references and what it must take from that stack."""

    directory: str
    region: str
    shared_stack: str
    shared_outputs: dict[str, Any]
    provider_name: str
    name_prefix: str
    secret_output: str
    wired_outputs: tuple[str, ...]
    """Shared outputs whose values must reach the inputs of the example's resources."""
    reused_types: tuple[str, ...] = ()
    """Resource types the example must not create, because the shared stack provides them."""


AWS = Example(
    directory="aws-existing-stack",
    region="eu-central-1",
    shared_stack="acme/platform-shared/prod",
    shared_outputs={
        "kms_key_arn": "arn:aws:kms:eu-central-1:123456789012:key/0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9",
        "access_log_bucket": "acme-platform-access-logs",
    },
    provider_name="growth-aws",
    name_prefix="growth-aep",
    secret_output="client_secrets",
    wired_outputs=("kms_key_arn", "access_log_bucket"),
    reused_types=("aws:kms/key:Key",),
)
GCP = Example(
    directory="gcp-existing-stack",
    region="europe-west3",
    shared_stack="acme/platform-shared/prod",
    shared_outputs={
        "project_id": "acme-analytics-prod",
        "cmek_key_id": "projects/acme-platform-kms/locations/europe-west3/keyRings/shared/cryptoKeys/storage",
    },
    provider_name="analytics-gcp",
    name_prefix="analytics-aep",
    secret_output="tokens",
    wired_outputs=("project_id", "cmek_key_id"),
    reused_types=("gcp:kms/cryptoKey:CryptoKey", "gcp:kms/keyRing:KeyRing"),
)
AZURE = Example(
    directory="azure-existing-stack",
    region="germanywestcentral",
    shared_stack="acme/platform-shared/prod",
    shared_outputs={
        "resource_group_name": "acme-media-prod-rg",
        "log_analytics_workspace_id": (
            "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/acme-platform-rg/"
            "providers/Microsoft.OperationalInsights/workspaces/acme-logs"
        ),
    },
    provider_name="media-azure",
    name_prefix="media-aep",
    secret_output="blob_connection_strings",
    wired_outputs=("resource_group_name", "log_analytics_workspace_id"),
    reused_types=("azure-native:resources:ResourceGroup", "azure-native:operationalinsights:Workspace"),
)
ALL_EXAMPLES = [AWS, AZURE, GCP]


def _plan(example: Example, tmp_path: Path) -> PlanResult:
    project = tmp_path / example.directory
    shutil.copytree(EXAMPLES / example.directory, project)
    mocks = StackReferenceMocks({example.shared_stack: example.shared_outputs}, region=example.region)
    return plan_stack("dev", project, mocks=mocks, evaluate_compliance=False)


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, PlanResult]:
    """Plan each example once for the whole module: a plan takes seconds."""
    return {example.directory: _plan(example, tmp_path_factory.mktemp("example")) for example in ALL_EXAMPLES}


@pytest.fixture(params=ALL_EXAMPLES, ids=lambda example: example.directory)
def planned(request: pytest.FixtureRequest, plans: dict[str, PlanResult]) -> tuple[Example, PlanResult]:
    example: Example = request.param
    return example, plans[example.directory]


def _cloud_resources(result: PlanResult) -> list[Any]:
    return [r for r in result.resources if r.custom and not r.type.startswith(("pulumi:", "random:", "tls:"))]


def test_every_cloud_has_example():
    directories = {path.name for path in EXAMPLES.iterdir() if path.name.endswith("-existing-stack")}
    assert {example.directory for example in ALL_EXAMPLES} == directories


@pytest.mark.parametrize("example", ALL_EXAMPLES, ids=lambda example: example.directory)
def test_example_is_pulumi_project(example: Example):
    project = yaml.safe_load((EXAMPLES / example.directory / "Pulumi.yaml").read_text())
    assert project["runtime"]["name"] == "python"
    assert (EXAMPLES / example.directory / "Pulumi.dev.yaml").is_file()
    assert (EXAMPLES / example.directory / "__main__.py").is_file()


@pytest.mark.parametrize("example", ALL_EXAMPLES, ids=lambda example: example.directory)
def test_example_requires_kit(example: Example):
    import tomllib

    directory = EXAMPLES / example.directory
    lines = (directory / "requirements.txt").read_text().splitlines()
    requirements = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert requirements == ["../.."]
    project = tomllib.loads((directory / requirements[0] / "pyproject.toml").read_text())["project"]
    assert project["name"] == "aep-destination-kit"


@pytest.mark.parametrize("example", ALL_EXAMPLES, ids=lambda example: example.directory)
def test_stack_file_in_own_namespace(example: Example):
    project = yaml.safe_load((EXAMPLES / example.directory / "Pulumi.yaml").read_text())["name"]
    config = yaml.safe_load((EXAMPLES / example.directory / "Pulumi.dev.yaml").read_text())["config"]
    assert [key for key in config if not key.startswith(project + ":")] == []


def test_example_registers_components(planned: tuple[Example, PlanResult]):
    _, result = planned
    assert [r for r in result.resources if r.component and r.type.startswith("destkit:")]


def test_example_uses_own_provider(planned: tuple[Example, PlanResult]):
    example, result = planned
    marker = f"::{example.provider_name}::"
    other = [r.name for r in _cloud_resources(result) if marker not in (r.provider or "")]
    assert other == []


def test_example_uses_own_naming(planned: tuple[Example, PlanResult]):
    example, result = planned
    components = [r.name for r in result.resources if r.component]
    assert [name for name in components if not name.startswith(example.name_prefix)] == []


def test_example_reuses_shared_resources(planned: tuple[Example, PlanResult]):
    example, result = planned
    for type_token in example.reused_types:
        assert result.find(type_token) == [], type_token


def test_example_wires_shared_outputs(planned: tuple[Example, PlanResult]):
    example, result = planned
    inputs = str([r.inputs for r in result.resources])
    for output_name in example.wired_outputs:
        assert str(example.shared_outputs[output_name]) in inputs, output_name


def test_example_secret_output_masked(planned: tuple[Example, PlanResult]):
    example, result = planned
    assert example.secret_output in result.secret_outputs


def test_example_outputs_resolved(planned: tuple[Example, PlanResult]):
    _, result = planned
    assert [name for name, value in result.outputs.items() if value is None] == []


@pytest.mark.parametrize("example", [AWS, GCP], ids=lambda example: example.directory)
def test_example_exports_https_url(example: Example, plans: dict[str, PlanResult]):
    assert str(plans[example.directory].outputs["url"]).startswith("https://")


def test_example_without_shared_outputs_fails(tmp_path: Path):
    project = tmp_path / AWS.directory
    shutil.copytree(EXAMPLES / AWS.directory, project)
    with pytest.raises(PlanError, match="no outputs for the stack reference 'acme/platform-shared/prod'"):
        plan_stack("dev", project, mocks=StackReferenceMocks({}), evaluate_compliance=False)


def test_example_cli_plan_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    project = tmp_path / AWS.directory
    shutil.copytree(EXAMPLES / AWS.directory, project)
    status = main(["plan", "--stack", "dev", "--project-dir", str(project)])
    assert status == 2
    assert "cannot read other stacks" in capsys.readouterr().err


def test_stack_reference_marks_secrets():
    def program() -> None:
        shared = pulumi.StackReference("acme/shared/prod")
        pulumi.export("token", shared.get_output("token"))
        pulumi.export("bucket", shared.get_output("bucket"))

    mocks = StackReferenceMocks(
        {"acme/shared/prod": {"token": "t0k3n", "bucket": "b"}},
        secret_outputs={"acme/shared/prod": ("token",)},
    )
    result = run_program(program, mocks=mocks)
    assert result.secret_outputs == ["token"]
    assert result.outputs["bucket"] == "b"


def test_aws_example_reuses_log_bucket(plans: dict[str, PlanResult]):
    result = plans[AWS.directory]
    names = sorted(bucket.name for bucket in result.find("aws:s3/bucket:Bucket"))
    assert names == ["growth-aep-batch-bucket", "growth-aep-sink-bucket"]


@pytest.mark.parametrize("example", ALL_EXAMPLES, ids=lambda example: example.directory)
def test_readme_lists_shared_outputs(example: Example):
    program = (EXAMPLES / example.directory / "__main__.py").read_text()
    readme = (EXAMPLES / example.directory / "README.md").read_text()
    used = re.findall(r'require_output\("([a-z_]+)"\)', program)
    assert used
    assert [name for name in used if f"| `{name}` |" not in readme] == []


@pytest.mark.parametrize("example", ALL_EXAMPLES, ids=lambda example: example.directory)
def test_readme_lists_config_keys(example: Example):
    config = yaml.safe_load((EXAMPLES / example.directory / "Pulumi.dev.yaml").read_text())["config"]
    readme = (EXAMPLES / example.directory / "README.md").read_text()
    assert [key for key in config if f"| `{key}` |" not in readme] == []


@pytest.mark.parametrize("example", ALL_EXAMPLES, ids=lambda example: example.directory)
def test_readme_names_every_output(example: Example, plans: dict[str, PlanResult]):
    readme = (EXAMPLES / example.directory / "README.md").read_text()
    outputs = plans[example.directory].outputs
    assert [name for name in outputs if f"`{name}`" not in readme] == []
