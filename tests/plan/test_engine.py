"""The offline engine records what a program registers, with parents, secrets and outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_random as random
import pytest

from destkit.plan.engine import PlanError, find_project, load_stack_config, run_program
from destkit.plan.mocks import KitMocks


class _Pair(pulumi.ComponentResource):
    def __init__(self, name: str):
        super().__init__("destkit:test:Pair", name)
        self.key = aws.kms.Key(f"{name}-key", opts=pulumi.ResourceOptions(parent=self))
        self.password = random.RandomPassword(
            f"{name}-password", length=40, opts=pulumi.ResourceOptions(parent=self)
        )
        self.register_outputs({})


def _program() -> None:
    bucket = aws.s3.Bucket("data")
    pair = _Pair("pair")
    aws.s3.BucketPolicy("data-policy", bucket=bucket.id, policy=pulumi.Output.secret('{"Statement": []}'))
    pulumi.export("bucket", bucket.bucket)
    pulumi.export("key_arn", pair.key.arn)
    pulumi.export("plain_password", pair.password.result)
    pulumi.export("password", pulumi.Output.secret(pair.password.result))


def test_every_resource_recorded():
    # Registration order depends on when each resource's inputs resolve, so compare as sets.
    result = run_program(_program)
    assert sorted(r.name for r in result.resources) == ["data", "data-policy", "pair", "pair-key", "pair-password"]


def test_children_have_component_parent():
    result = run_program(_program)
    component = result.one("destkit:test:Pair")
    assert {r.name for r in result.children_of(component.urn)} == {"pair-key", "pair-password"}


def test_top_level_parent_is_none():
    result = run_program(_program)
    assert result.one("aws:s3/bucket:Bucket").parent is None


def test_urn_has_no_stack_type_prefix():
    result = run_program(_program, project="p", stack="s")
    assert result.one("aws:kms/key:Key").urn == "urn:pulumi:s::p::destkit:test:Pair$aws:kms/key:Key::pair-key"


def test_secret_input_unwrapped_and_listed():
    policy = run_program(_program).one("aws:s3/bucketPolicy:BucketPolicy")
    assert policy.inputs["policy"] == '{"Statement": []}'
    assert policy.secret_paths == ["policy"]


def test_reference_input_carries_physical_id():
    result = run_program(_program)
    bucket = result.one("aws:s3/bucket:Bucket")
    assert result.one("aws:s3/bucketPolicy:BucketPolicy").inputs["bucket"] == bucket.outputs["bucket"]


def test_arn_shaped_like_aws():
    result = run_program(_program, config={"aws:region": "eu-west-1"})
    assert result.outputs["key_arn"].startswith("arn:aws:kms:eu-west-1:123456789012:key/")


def test_provider_secret_not_secret_unless_marked():
    result = run_program(_program)
    assert "plain_password" not in result.secret_outputs


def test_marked_secret_output_listed():
    result = run_program(_program)
    assert result.secret_outputs == ["password"]


def test_sentinel_fills_provider_secrets():
    result = run_program(_program, mocks=KitMocks(secret_sentinel="SENTINEL"))
    assert result.outputs["password"] == "SENTINEL-pair-password-result"


def test_unknown_invoke_raises():
    def program() -> None:
        aws.ec2.get_ami(most_recent=True, owners=["amazon"])

    with pytest.raises(Exception, match="no mock for the invoke"):
        run_program(program)


def test_runs_are_isolated():
    run_program(_program)
    result = run_program(lambda: aws.s3.Bucket("only"))
    assert [r.name for r in result.resources] == ["only"]


def test_config_passed_as_json():
    seen = {}

    def program() -> None:
        seen["tenants"] = pulumi.Config("destkit").require_object("tenants")

    run_program(program, config={"destkit:tenants": ["a", "b"]})
    assert seen["tenants"] == ["a", "b"]


def test_find_project_from_subdirectory():
    project = find_project(Path(__file__).parent)
    assert project.name == "aep-destination-kit"


def test_missing_stack_names_known_stacks(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime: python\nstackConfigDir: stacks\n")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text("config: {}\n")
    with pytest.raises(PlanError, match=r"stack 'prod' not found.*dev"):
        load_stack_config(find_project(tmp_path), "prod")


def test_secure_value_replaced_by_placeholder(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  demo:token:\n    secure: AAABAMxyz\n  plain: 3\n")
    config = load_stack_config(find_project(tmp_path), "dev")
    assert config["demo:token"] != "AAABAMxyz"
    assert json.dumps(config["demo:plain"]) == "3"


def test_unreadable_stack_file_is_plan_error(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: [unclosed\n")
    with pytest.raises(PlanError, match="cannot read"):
        load_stack_config(find_project(tmp_path), "dev")
