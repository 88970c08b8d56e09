"""``render_mermaid`` draws components, resources and the data flow from AEP to the stores."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest

from destkit.cli.main import main
from destkit.plan.diagram import render_mermaid
from destkit.plan.engine import PlanResult, run_program


class _Intake(pulumi.ComponentResource):
    def __init__(self, name: str, sink_name: pulumi.Input[str]):
        super().__init__("destkit:test:Intake", name)
        child = pulumi.ResourceOptions(parent=self)
        aws.apigateway.RestApi(f"{name}-api", opts=child)
        for role in ("intake", "authorizer"):
            aws.iam.Role(f"{name}-{role}-role", assume_role_policy="{}", opts=child)
        aws.lambda_.Function(
            f"{name}-fn",
            role="arn:aws:iam::123456789012:role/intake",
            code=pulumi.AssetArchive({}),
            environment={"variables": {"SINK_BUCKET": sink_name}},
            opts=child,
        )
        self.register_outputs({})


class _Store(pulumi.ComponentResource):
    def __init__(
        self, name: str, bucket_name: str, nested: bool = False, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("destkit:test:Store", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = aws.s3.Bucket(name, bucket=bucket_name, opts=child)
        aws.s3.BucketNotification(f"{name}-events", bucket=self.bucket.bucket, eventbridge=True, opts=child)
        if nested:
            _Store(f"{name}-logs", f"{bucket_name}-logs", opts=child)
        self.register_outputs({})


def _program() -> None:
    sink = _Store("sink", "acme-sink")
    _Intake("intake", sink.bucket.bucket)
    drop = aws.s3.Bucket("drop", bucket="acme-drop")
    aws.kms.Key("key")
    _Store('quoted-"name"', "acme-quoted")
    pulumi.export("sink", sink.bucket.bucket)
    pulumi.export("s3_bucket", drop.bucket)
    pulumi.export("auth_type", "oauth2")


@pytest.fixture(scope="module")
def diagram() -> str:
    return render_mermaid(run_program(_program))


def _node_id(diagram: str, label: str) -> str:
    line = next(line for line in diagram.splitlines() if f'["{label}"]' in line)
    return line.strip().split("[")[0]


def test_diagram_is_flowchart(diagram: str):
    assert diagram.startswith("flowchart LR\n")


def test_aep_node_present(diagram: str):
    assert 'aep(["Adobe Experience Platform"])' in diagram


def test_component_is_subgraph(diagram: str):
    assert '["test.Intake: intake"]' in diagram


def test_aep_reaches_gateway(diagram: str):
    gateway = _node_id(diagram, "apigateway.RestApi<br/>intake-api")
    assert f'aep -->|"HTTPS POST, oauth2"| {gateway}' in diagram


def test_gateway_reaches_function(diagram: str):
    gateway = _node_id(diagram, "apigateway.RestApi<br/>intake-api")
    function = _node_id(diagram, "lambda.Function<br/>intake-fn")
    assert f"{gateway} --> {function}" in diagram


def test_function_writes_sink(diagram: str):
    function = _node_id(diagram, "lambda.Function<br/>intake-fn")
    sink = _node_id(diagram, "s3.Bucket<br/>sink")
    assert f'{function} -->|"one object per request"| {sink}' in diagram


def test_aep_drops_batch_files(diagram: str):
    drop = _node_id(diagram, "s3.Bucket<br/>drop")
    assert f'aep -->|"batch files"| {drop}' in diagram


def test_sink_notifies_ingestion(diagram: str):
    sink = _node_id(diagram, "s3.Bucket<br/>sink")
    assert f'{sink} -.->|"object-created events"| ingestion' in diagram


def test_drop_zone_without_notification(diagram: str):
    drop = _node_id(diagram, "s3.Bucket<br/>drop")
    assert f"{drop} -.->" not in diagram


def test_other_resources_counted(diagram: str):
    assert '["iam.Role ×2"]' in diagram


def test_single_resource_not_counted(diagram: str):
    assert '["s3.BucketNotification"]' in diagram


def test_stack_resources_grouped(diagram: str):
    assert '["stack destkit-test"]' in diagram


def test_quote_in_name_escaped(diagram: str):
    assert '["test.Store: quoted-#quot;name#quot;"]' in diagram


def test_subgraphs_balanced(diagram: str):
    opened = sum(1 for line in diagram.splitlines() if line.strip().startswith("subgraph "))
    closed = sum(1 for line in diagram.splitlines() if line.strip() == "end")
    assert opened == closed


def test_node_ids_unique(diagram: str):
    ids = [line.strip().split("[")[0] for line in diagram.splitlines() if '["' in line and "-->" not in line]
    assert len(ids) == len(set(ids))


def test_nested_component_inside_parent():
    def program() -> None:
        _Store("outer", "acme-outer", nested=True)

    lines = render_mermaid(run_program(program)).splitlines()
    outer = next(i for i, line in enumerate(lines) if '["test.Store: outer"]' in line)
    inner = next(i for i, line in enumerate(lines) if '["test.Store: outer-logs"]' in line)
    assert inner > outer
    assert lines[inner].index("subgraph") > lines[outer].index("subgraph")


def test_empty_plan_has_aep_only():
    empty = PlanResult(
        project="p", stack="s", cloud=None, resources=[], outputs={}, secret_outputs=[], waivers=[]
    )
    assert render_mermaid(empty) == 'flowchart LR\n  aep(["Adobe Experience Platform"])\n'


def test_label_escapes_quotes():
    from destkit.plan.diagram import _escape

    assert _escape('a"<b>') == "a#quot;#lt;b#gt;"


def test_plan_cli_writes_diagram(tmp_path: Path):
    (tmp_path / "Pulumi.yaml").write_text("name: sample\nruntime: python\nstackConfigDir: stacks\n")
    (tmp_path / "__main__.py").write_text(
        textwrap.dedent(
            """
            import pulumi
            import pulumi_aws as aws

            bucket = aws.s3.Bucket("drop", bucket="sample-drop")
            pulumi.export("s3_bucket", bucket.bucket)
            """
        )
    )
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks/Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    target = tmp_path / "plan.mmd"

    status = main(["plan", "--stack", "dev", "--project-dir", str(tmp_path), "--diagram", str(target)])

    assert status == 0
    assert 'aep -->|"batch files"| r1' in target.read_text()


def test_container_names_from_outputs():
    from destkit.plan.diagram import _output_names

    names = _output_names({"a": "account/intake", "b": "abfss://landing@account.dfs.core.windows.net/"})
    assert {"account", "intake", "landing"} <= names


def test_url_not_split_into_names():
    from destkit.plan.diagram import _output_names

    assert _output_names("https://example.invalid/a") == {"https://example.invalid/a"}
