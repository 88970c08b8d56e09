"""Offline plans of the aws-dev and aws-prod stacks: storage resources, outputs, compliance.

Counts cover the storage side only (the KMS key, the access-log bucket, the Sink and the drop
zones), so the streaming endpoint can add its resources without changing these numbers.
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections import Counter

import pytest

from destkit.outputs import BY_NAME
from destkit.plan.engine import PlanResult, plan_stack
from destkit.plan.model import PlannedResource

STORAGE_COMPONENTS = ("destkit:aws:Sink", "destkit:aws:S3DropZone", "destkit:aws:SftpDropZone")


@pytest.fixture(scope="module")
def dev() -> PlanResult:
    return plan_stack("aws-dev")


@pytest.fixture(scope="module")
def prod() -> PlanResult:
    return plan_stack("aws-prod")


def _storage(plan: PlanResult, prefix: str) -> list[PlannedResource]:
    components = {r.urn for r in plan.resources if r.type in STORAGE_COMPONENTS}
    top_level = (f"{prefix}-key", f"{prefix}-key-alias", f"{prefix}-access-logs")
    return [
        r
        for r in plan.resources
        if r.urn in components or r.parent in components or r.name.startswith(top_level)
    ]


def _counts(plan: PlanResult, prefix: str) -> Counter[str]:
    return Counter(r.type for r in _storage(plan, prefix))


# Three buckets (access logs, sink, S3 drop zone), each with seven side-cars, of which the
# access-log bucket has no BucketLogging and no BucketNotification.
BUCKET_SIDECARS = {
    "aws:s3/bucket:Bucket": 3,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 3,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": 3,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 3,
    "aws:s3/bucketVersioning:BucketVersioning": 3,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 3,
    "aws:s3/bucketPolicy:BucketPolicy": 3,
    "aws:s3/bucketLogging:BucketLogging": 2,
    "aws:s3/bucketNotification:BucketNotification": 2,
}


def _writers_and_sftp(tenants: int, generated_keys: int) -> dict[str, int]:
    return {
        "aws:iam/group:Group": tenants,
        "aws:iam/user:User": tenants,
        "aws:iam/userGroupMembership:UserGroupMembership": tenants,
        "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": tenants,
        "aws:iam/accessKey:AccessKey": tenants,
        "aws:secretsmanager/secret:Secret": tenants,
        "aws:secretsmanager/secretVersion:SecretVersion": tenants,
        # One writer policy per tenant, one SFTP user policy per tenant, one logging policy.
        "aws:iam/policy:Policy": 2 * tenants + 1,
        "aws:iam/role:Role": tenants + 1,
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment": tenants + 1,
        "aws:transfer/server:Server": 1,
        "aws:transfer/user:User": tenants,
        "aws:transfer/sshKey:SshKey": tenants,
        "tls:index/privateKey:PrivateKey": generated_keys,
        "aws:cloudwatch/logGroup:LogGroup": 1,
        "aws:ec2/securityGroup:SecurityGroup": 1,
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": 6,
    }


def test_dev_storage_counts(dev):
    expected = {
        **BUCKET_SIDECARS,
        **_writers_and_sftp(tenants=2, generated_keys=2),
        "destkit:aws:Sink": 1,
        "destkit:aws:S3DropZone": 1,
        "destkit:aws:SftpDropZone": 1,
        "aws:kms/key:Key": 1,
        "aws:kms/alias:Alias": 1,
        "aws:ec2/vpc:Vpc": 1,
        "aws:ec2/subnet:Subnet": 1,
        "aws:ec2/internetGateway:InternetGateway": 1,
        "aws:ec2/routeTable:RouteTable": 1,
        "aws:ec2/routeTableAssociation:RouteTableAssociation": 1,
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": 1,
        "aws:ec2/eip:Eip": 1,
    }
    assert dict(_counts(dev, "acme-aep-dev")) == expected


def test_prod_storage_counts(prod):
    expected = {
        **BUCKET_SIDECARS,
        **_writers_and_sftp(tenants=3, generated_keys=3),
        "destkit:aws:Sink": 1,
        "destkit:aws:S3DropZone": 1,
        "destkit:aws:SftpDropZone": 1,
        # The existing key is not changed; each S3 writer and SFTP user role gets a grant.
        "aws:kms/grant:Grant": 6,
        # The existing VPC has two subnets, so the endpoint takes two Elastic IPs.
        "aws:ec2/eip:Eip": 2,
    }
    assert dict(_counts(prod, "acme-aep-prod")) == expected


def test_sftp_shares_s3_bucket(dev):
    bucket = dev.one("aws:s3/bucket:Bucket", "acme-aep-dev-s3-bucket")
    user = dev.one("aws:transfer/user:User", "acme-aep-dev-sftp-retail-eu-user")
    assert user.inputs["homeDirectoryMappings"][0]["target"] == f"/{bucket.outputs['bucket']}/retail-eu"


def test_dev_key_encrypts_all_buckets(dev):
    key = dev.one("aws:kms/key:Key", "acme-aep-dev-key")
    data = [
        r for r in dev.find("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
        if r.name != "acme-aep-dev-access-logs-encryption"
    ]
    for encryption in data:
        default = encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
        assert default["kmsMasterKeyId"] == key.outputs["arn"], encryption.name


def test_prod_uses_existing_key(prod):
    assert prod.find("aws:kms/key:Key") == []
    encryption = prod.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "acme-aep-prod-s3-encryption",
    )
    assert encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == (
        "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )


def test_prod_uses_existing_vpc(prod):
    server = prod.one("aws:transfer/server:Server", "acme-aep-prod-sftp-server")
    assert prod.find("aws:ec2/vpc:Vpc") == []
    assert server.inputs["endpointDetails"]["subnetIds"] == ["subnet-0a1b2c3d4e5f60719", "subnet-0a1b2c3d4e5f6071a"]


def test_prod_writers_limited_to_aep_ranges(prod):
    policy = json.loads(prod.one("aws:s3/bucketPolicy:BucketPolicy", "acme-aep-prod-s3-policy").inputs["policy"])
    assert policy["Statement"][-1]["Condition"]["NotIpAddress"]["aws:SourceIp"][0] == "52.247.108.70/32"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_outputs_in_table(stack, request):
    plan: PlanResult = request.getfixturevalue(stack)
    assert set(plan.outputs) - set(BY_NAME) == set()


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_secret_outputs_secret(stack, request):
    plan: PlanResult = request.getfixturevalue(stack)
    secret_names = {name for name in plan.outputs if BY_NAME[name].secret}
    assert secret_names - set(plan.secret_outputs) == set()


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_storage_outputs_present(stack, request):
    plan: PlanResult = request.getfixturevalue(stack)
    expected = {
        "cloud",
        "region",
        "tenants",
        "sink",
        "sink_prefixes",
        "s3_bucket",
        "s3_prefixes",
        "s3_access_key_ids",
        "s3_secret_access_keys",
        "sftp_host",
        "sftp_port",
        "sftp_usernames",
        "sftp_private_keys",
        "sftp_root_directories",
    }
    assert expected - set(plan.outputs) == set()


def test_dev_output_values(dev):
    assert dev.outputs["cloud"] == "aws"
    assert dev.outputs["region"] == "eu-west-1"
    assert dev.outputs["sftp_port"] == 22
    assert dev.outputs["s3_prefixes"] == {"retail-eu": "retail-eu/", "retail-us": "retail-us/"}
    assert dev.outputs["sftp_usernames"] == {"retail-eu": "aep-retail-eu", "retail-us": "aep-retail-us"}


def test_dev_per_tenant_secrets(dev):
    assert sorted(dev.outputs["s3_secret_access_keys"]) == ["retail-eu", "retail-us"]
    assert sorted(dev.outputs["sftp_private_keys"]) == ["retail-eu", "retail-us"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_mandatory_violation(stack, request):
    plan: PlanResult = request.getfixturevalue(stack)
    violated = [
        (c.control, c.resource.split("::")[-1])
        for c in plan.compliance
        if c.status == "violated" and c.enforcement == "mandatory"
    ]
    assert violated == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_storage_not_violated(stack, request):
    plan: PlanResult = request.getfixturevalue(stack)
    prefix = f"acme-aep-{stack}"
    storage_urns = {r.urn for r in _storage(plan, prefix)}
    violated = [
        (c.control, c.resource) for c in plan.compliance if c.status == "violated" and c.resource in storage_urns
    ]
    assert violated == []


def test_every_waiver_has_reason(dev):
    for waiver in dev.waivers:
        assert len(waiver.reason) >= 10, waiver
        assert waiver.review_by is not None, waiver


def _takes_tags(type_token: str) -> bool:
    package, module_path, class_name = type_token.split(":")
    if package != "aws":
        return False
    module = importlib.import_module(f"pulumi_aws.{module_path.split('/')[0]}")
    resource_class = getattr(module, class_name)
    return "tags" in inspect.signature(resource_class._internal_init).parameters


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_storage_resources_tagged(stack, request):
    plan: PlanResult = request.getfixturevalue(stack)
    untagged = [
        r.name
        for r in _storage(plan, f"acme-aep-{stack}")
        if not r.component
        and _takes_tags(r.type)
        and (r.inputs.get("tags") or {}).get("destkit:destination") != "acme-aep"
    ]
    assert untagged == []
