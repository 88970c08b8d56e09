"""S3DropZone under the mock engine: writers, policies, grants and secrets as registered."""

from __future__ import annotations

import json

import pulumi
import pytest

from destkit.aws import dropzone
from destkit.aws.dropzone import S3DropZone, S3DropZoneArgs
from destkit.plan.engine import PlanResult, run_program

NAME = "acme-dev-s3"
TENANTS = ["retail-eu", "retail-us"]
EXISTING_KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
EXTERNAL_ID = "0123ABCD4567EF89@AdobeOrg"


def _run(args: S3DropZoneArgs) -> PlanResult:
    def program() -> None:
        component = S3DropZone(NAME, args)
        pulumi.export("bucket_arn", component.bucket_arn)
        pulumi.export("key_arn", component.key_arn)
        pulumi.export("access_key_ids", pulumi.Output.all(**component.access_key_ids()))
        pulumi.export("secret_access_keys", pulumi.Output.all(**component.secret_access_keys()))
        pulumi.export("role_arns", pulumi.Output.all(**component.role_arns()))

    return run_program(program)


@pytest.fixture(scope="module")
def keys_plan() -> PlanResult:
    return _run(S3DropZoneArgs(tenants=TENANTS))


@pytest.fixture(scope="module")
def role_plan() -> PlanResult:
    return _run(S3DropZoneArgs(tenants=TENANTS, writer="assume_role", external_id=EXTERNAL_ID))


def _policy_document(plan: PlanResult, tenant: str) -> dict:
    policy = plan.one("aws:iam/policy:Policy", f"{NAME}-{tenant}-writer-policy")
    return json.loads(policy.inputs["policy"])


def test_dropzone_component_type(keys_plan):
    assert keys_plan.one("destkit:aws:S3DropZone", NAME).component


def test_dropzone_children_named_after_component(keys_plan):
    children = [r for r in keys_plan.resources if not r.component]
    assert all(r.name.startswith(f"{NAME}-") for r in children)


def test_writer_policy_registered_exact(keys_plan):
    for tenant in TENANTS:
        expected = dropzone.writer_policy(
            keys_plan.outputs["bucket_arn"], tenant, keys_plan.outputs["key_arn"], "us-east-1"
        )
        assert _policy_document(keys_plan, tenant) == expected, tenant


def test_writer_policy_per_tenant_prefix(keys_plan):
    statement = _policy_document(keys_plan, "retail-eu")["Statement"][2]
    assert statement["Resource"].endswith("/retail-eu/*")


def test_one_user_per_tenant(keys_plan):
    names = sorted(r.name for r in keys_plan.find("aws:iam/user:User"))
    assert names == [f"{NAME}-retail-eu-writer", f"{NAME}-retail-us-writer"]


def test_users_tagged_as_writers(keys_plan):
    for user in keys_plan.find("aws:iam/user:User"):
        assert user.inputs["tags"] == {"destkit-aep-writer": "true"}


def test_no_console_login(keys_plan):
    assert keys_plan.find("aws:iam/userLoginProfile:UserLoginProfile") == []


def test_no_user_policies(keys_plan):
    assert keys_plan.find("aws:iam/userPolicy:UserPolicy") == []
    assert keys_plan.find("aws:iam/userPolicyAttachment:UserPolicyAttachment") == []


def test_policy_attached_to_group(keys_plan):
    attachment = keys_plan.one(
        "aws:iam/groupPolicyAttachment:GroupPolicyAttachment", f"{NAME}-retail-eu-writers-policy"
    )
    group = keys_plan.one("aws:iam/group:Group", f"{NAME}-retail-eu-writers")
    policy = keys_plan.one("aws:iam/policy:Policy", f"{NAME}-retail-eu-writer-policy")
    assert attachment.inputs["group"] == group.outputs["name"]
    assert attachment.inputs["policyArn"] == policy.outputs["arn"]


def test_user_in_tenant_group(keys_plan):
    membership = keys_plan.one(
        "aws:iam/userGroupMembership:UserGroupMembership", f"{NAME}-retail-us-writer-membership"
    )
    group = keys_plan.one("aws:iam/group:Group", f"{NAME}-retail-us-writers")
    assert membership.inputs["groups"] == [group.outputs["name"]]


def test_one_access_key_per_user(keys_plan):
    assert len(keys_plan.find("aws:iam/accessKey:AccessKey")) == len(TENANTS)


def test_secret_access_keys_secret(keys_plan):
    assert "secret_access_keys" in keys_plan.secret_outputs


def test_access_key_ids_plain(keys_plan):
    assert "access_key_ids" not in keys_plan.secret_outputs
    assert sorted(keys_plan.outputs["access_key_ids"]) == TENANTS


def test_key_copy_in_secrets_manager(keys_plan):
    secret = keys_plan.one("aws:secretsmanager/secret:Secret", f"{NAME}-retail-eu-writer-secret")
    assert secret.inputs["kmsKeyId"] == keys_plan.outputs["key_arn"]


def test_secret_version_is_secret(keys_plan):
    version = keys_plan.one(
        "aws:secretsmanager/secretVersion:SecretVersion", f"{NAME}-retail-eu-writer-secret-version"
    )
    assert version.secret_paths == ["secretString"]


def test_secret_version_content(keys_plan):
    version = keys_plan.one(
        "aws:secretsmanager/secretVersion:SecretVersion", f"{NAME}-retail-eu-writer-secret-version"
    )
    assert sorted(json.loads(version.inputs["secretString"])) == ["access_key_id", "secret_access_key"]


def test_access_key_waivers(keys_plan):
    waived = {(w.control, w.resource) for w in keys_plan.waivers}
    for tenant in TENANTS:
        assert ("writer-user-hygiene", f"{NAME}-{tenant}-writer-key") in waived
        assert ("secret-rotation", f"{NAME}-{tenant}-writer-secret") in waived


def test_created_key_needs_no_grant(keys_plan):
    assert keys_plan.find("aws:kms/grant:Grant") == []


def test_role_trust_registered_exact(role_plan):
    for tenant in TENANTS:
        role = role_plan.one("aws:iam/role:Role", f"{NAME}-{tenant}-writer")
        assert json.loads(role.inputs["assumeRolePolicy"]) == dropzone.adobe_trust_policy(EXTERNAL_ID)


def test_role_marked_undocumented(role_plan):
    role = role_plan.one("aws:iam/role:Role", f"{NAME}-retail-eu-writer")
    assert "not documented for Destination SDK" in role.inputs["description"]


def test_role_mode_has_no_users(role_plan):
    assert role_plan.find("aws:iam/user:User") == []
    assert role_plan.find("aws:iam/accessKey:AccessKey") == []


def test_role_policy_attached(role_plan):
    attachment = role_plan.one(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment", f"{NAME}-retail-eu-writer-policy"
    )
    role = role_plan.one("aws:iam/role:Role", f"{NAME}-retail-eu-writer")
    assert attachment.inputs["role"] == role.outputs["name"]


def test_role_mode_no_inline_policies(role_plan):
    for role in role_plan.find("aws:iam/role:Role"):
        assert "inlinePolicies" not in role.inputs
        assert "managedPolicyArns" not in role.inputs


def test_role_arns_output(role_plan):
    assert sorted(role_plan.outputs["role_arns"]) == TENANTS


def test_role_mode_records_no_waiver(role_plan):
    assert [w for w in role_plan.waivers if w.control == "writer-user-hygiene"] == []


def test_existing_key_grants_per_writer():
    plan = _run(S3DropZoneArgs(tenants=TENANTS, kms_key_arn=EXISTING_KEY))
    grants = {g.name: g.inputs for g in plan.find("aws:kms/grant:Grant")}
    user = plan.one("aws:iam/user:User", f"{NAME}-retail-eu-writer")
    assert grants[f"{NAME}-retail-eu-grant"] == {
        "keyId": EXISTING_KEY,
        "granteePrincipal": user.outputs["arn"],
        "operations": ["Decrypt", "GenerateDataKey"],
    }
    assert len(grants) == len(TENANTS)


def test_existing_managed_key_no_grants():
    plan = _run(S3DropZoneArgs(tenants=TENANTS, kms_key_arn=EXISTING_KEY, kms_key_managed=True))
    assert plan.find("aws:kms/grant:Grant") == []


def test_allowed_cidrs_in_bucket_policy():
    plan = _run(S3DropZoneArgs(tenants=TENANTS, allowed_cidrs=["52.247.108.70/32"]))
    policy = json.loads(plan.one("aws:s3/bucketPolicy:BucketPolicy", f"{NAME}-policy").inputs["policy"])
    assert policy["Statement"][-1] == dropzone.source_address_statement(
        plan.outputs["bucket_arn"], ["52.247.108.70/32"]
    )


def test_no_cidrs_no_address_statement(keys_plan):
    policy = json.loads(keys_plan.one("aws:s3/bucketPolicy:BucketPolicy", f"{NAME}-policy").inputs["policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["DenyInsecureTransport", "DenyTlsBelow12"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (S3DropZoneArgs(tenants=[]), "tenants is empty"),
        (S3DropZoneArgs(tenants=["a"], writer="assume_role"), "requires external_id"),
        (S3DropZoneArgs(tenants=["a"], writer="keys"), "writer 'keys' is invalid"),  # type: ignore[arg-type]
        (S3DropZoneArgs(tenants=["a-very-long-tenant-id-name"]), "generated name"),
    ],
)
def test_invalid_args_rejected(args, message):
    with pytest.raises(ValueError, match=message):
        S3DropZone("acme-production-europe-s3", args)


def test_long_name_rejected_before_registration():
    with pytest.raises(ValueError, match="choose a shorter component name"):
        S3DropZone("x" * 60, S3DropZoneArgs(tenants=["a"]))
