"""SftpDropZone under the mock engine: server, network, users and keys as registered."""

from __future__ import annotations

import base64
import json

import pulumi
import pytest

from destkit.aws import sftp
from destkit.aws.sftp import SftpDropZone, SftpDropZoneArgs
from destkit.config import AEP_STORAGE_EGRESS_CIDRS
from destkit.plan.engine import PlanResult, run_program
from destkit.plan.mocks import AWS_ACCOUNT_ID

NAME = "acme-dev-sftp"
TENANTS = ["retail-eu", "retail-us"]
EXISTING_KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SUPPLIED_KEY = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 tenant@example"


def _run(args: SftpDropZoneArgs) -> PlanResult:
    def program() -> None:
        component = SftpDropZone(NAME, args)
        pulumi.export("host", component.host)
        pulumi.export("bucket_name", component.bucket_name)
        pulumi.export("bucket_arn", component.bucket_arn)
        pulumi.export("key_arn", component.key_arn)
        keys = component.private_keys()
        if keys:
            pulumi.export("private_keys", pulumi.Output.all(**keys))

    return run_program(program)


@pytest.fixture(scope="module")
def plan() -> PlanResult:
    return _run(SftpDropZoneArgs(tenants=TENANTS, log_retention_days=400))


@pytest.fixture(scope="module")
def existing_vpc_plan() -> PlanResult:
    return _run(
        SftpDropZoneArgs(
            tenants=["retail-eu"],
            vpc_id="vpc-0a1b2c3d4e5f60718",
            subnet_ids=("subnet-0a1b2c3d4e5f60719", "subnet-0a1b2c3d4e5f6071a"),
            bucket_name="acme-dev-s3-bucket-1234567",
            bucket_arn="arn:aws:s3:::acme-dev-s3-bucket-1234567",
            kms_key_arn=EXISTING_KEY,
            public_keys={"retail-eu": SUPPLIED_KEY},
        )
    )


def _server(plan: PlanResult):
    return plan.one("aws:transfer/server:Server", f"{NAME}-server")


def test_sftp_component_type(plan):
    assert plan.one("destkit:aws:SftpDropZone", NAME).component


def test_sftp_children_named_after_component(plan):
    children = [r for r in plan.resources if not r.component]
    assert all(r.name.startswith(f"{NAME}-") for r in children)


def test_server_sftp_only(plan):
    assert _server(plan).inputs["protocols"] == ["SFTP"]


def test_server_security_policy(plan):
    assert _server(plan).inputs["securityPolicyName"] == "TransferSecurityPolicy-2025-03"


def test_server_service_managed(plan):
    assert _server(plan).inputs["identityProviderType"] == "SERVICE_MANAGED"


def test_server_vpc_endpoint(plan):
    server = _server(plan)
    details = server.inputs["endpointDetails"]
    eip = plan.one("aws:ec2/eip:Eip", f"{NAME}-eip-0")
    assert server.inputs["endpointType"] == "VPC"
    assert details["addressAllocationIds"] == [eip.outputs["allocationId"]]
    assert len(details["securityGroupIds"]) == 1
    assert details["securityGroupIds"][0].startswith("sg-")
    assert len(details["subnetIds"]) == 1


def test_server_logs_to_kit_group(plan):
    server = _server(plan)
    group = plan.one("aws:cloudwatch/logGroup:LogGroup", f"{NAME}-log-group")
    role = plan.one("aws:iam/role:Role", f"{NAME}-logging-role")
    assert server.inputs["structuredLogDestinations"] == [group.outputs["arn"] + ":*"]
    assert server.inputs["loggingRole"] == role.outputs["arn"]


def test_log_group_retention_and_key(plan):
    group = plan.one("aws:cloudwatch/logGroup:LogGroup", f"{NAME}-log-group")
    assert group.inputs["retentionInDays"] == 400
    assert group.inputs["kmsKeyId"] == plan.outputs["key_arn"]


def test_logging_role_trust_exact(plan):
    role = plan.one("aws:iam/role:Role", f"{NAME}-logging-role")
    assert json.loads(role.inputs["assumeRolePolicy"]) == sftp.transfer_trust_policy(
        "aws", AWS_ACCOUNT_ID, "us-east-1", "server"
    )


def test_logging_policy_exact(plan):
    group = plan.one("aws:cloudwatch/logGroup:LogGroup", f"{NAME}-log-group")
    policy = plan.one("aws:iam/policy:Policy", f"{NAME}-logging-policy")
    assert json.loads(policy.inputs["policy"]) == sftp.transfer_logging_policy(group.outputs["arn"])


def test_ingress_only_allowed_cidrs(plan):
    rules = plan.find("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert sorted(r.inputs["cidrIpv4"] for r in rules) == sorted(AEP_STORAGE_EGRESS_CIDRS)


def test_ingress_port_22_tcp(plan):
    for rule in plan.find("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
        assert (rule.inputs["ipProtocol"], rule.inputs["fromPort"], rule.inputs["toPort"]) == ("tcp", 22, 22)


def test_no_egress_rules(plan):
    group = plan.one("aws:ec2/securityGroup:SecurityGroup", f"{NAME}-sg")
    assert "egress" not in group.inputs
    assert plan.find("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule") == []


def test_minimal_vpc_created(plan):
    assert len(plan.find("aws:ec2/vpc:Vpc")) == 1
    assert len(plan.find("aws:ec2/subnet:Subnet")) == 1
    assert len(plan.find("aws:ec2/internetGateway:InternetGateway")) == 1


def test_default_security_group_emptied(plan):
    group = plan.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", f"{NAME}-default-sg")
    assert "ingress" not in group.inputs
    assert "egress" not in group.inputs


def test_users_logical_home(plan):
    for tenant in TENANTS:
        user = plan.one("aws:transfer/user:User", f"{NAME}-{tenant}-user")
        assert user.inputs["homeDirectoryType"] == "LOGICAL"
        assert user.inputs["homeDirectoryMappings"] == [
            {"entry": "/", "target": f"/{plan.outputs['bucket_name']}/{tenant}"}
        ]


def test_user_names(plan):
    names = sorted(r.inputs["userName"] for r in plan.find("aws:transfer/user:User"))
    assert names == ["aep-retail-eu", "aep-retail-us"]


def test_users_without_password(plan):
    for user in plan.find("aws:transfer/user:User"):
        assert "password" not in json.dumps(user.inputs).lower()


def test_user_role_trust_exact(plan):
    role = plan.one("aws:iam/role:Role", f"{NAME}-retail-eu-role")
    assert json.loads(role.inputs["assumeRolePolicy"]) == sftp.transfer_trust_policy(
        "aws", AWS_ACCOUNT_ID, "us-east-1", "user"
    )


def test_user_policy_registered_exact(plan):
    policy = plan.one("aws:iam/policy:Policy", f"{NAME}-retail-us-policy")
    expected = sftp.sftp_user_policy(plan.outputs["bucket_arn"], "retail-us", plan.outputs["key_arn"], "us-east-1")
    assert json.loads(policy.inputs["policy"]) == expected


def test_generated_keys_rsa_4096(plan):
    for key in plan.find("tls:index/privateKey:PrivateKey"):
        assert (key.inputs["algorithm"], key.inputs["rsaBits"]) == ("RSA", 4096)


def test_ssh_key_from_generated_pair(plan):
    key = plan.one("tls:index/privateKey:PrivateKey", f"{NAME}-retail-eu-key")
    ssh_key = plan.one("aws:transfer/sshKey:SshKey", f"{NAME}-retail-eu-ssh-key")
    assert ssh_key.inputs["body"] == key.outputs["publicKeyOpenssh"]


def test_private_keys_secret(plan):
    assert "private_keys" in plan.secret_outputs


def test_private_keys_base64_pem(plan):
    key = plan.one("tls:index/privateKey:PrivateKey", f"{NAME}-retail-eu-key")
    encoded = plan.outputs["private_keys"]["retail-eu"]
    assert base64.b64decode(encoded).decode() == key.outputs["privateKeyPem"]


def test_own_bucket_when_none_given(plan):
    assert sorted(r.name for r in plan.find("aws:s3/bucket:Bucket")) == [f"{NAME}-bucket", f"{NAME}-logs-bucket"]


def test_existing_vpc_not_created(existing_vpc_plan):
    assert existing_vpc_plan.find("aws:ec2/vpc:Vpc") == []


def test_existing_vpc_eip_per_subnet(existing_vpc_plan):
    server = _server(existing_vpc_plan)
    assert server.inputs["endpointDetails"]["vpcId"] == "vpc-0a1b2c3d4e5f60718"
    assert len(existing_vpc_plan.find("aws:ec2/eip:Eip")) == 2
    assert len(server.inputs["endpointDetails"]["addressAllocationIds"]) == 2


def test_existing_bucket_not_created(existing_vpc_plan):
    assert existing_vpc_plan.find("aws:s3/bucket:Bucket") == []


def test_supplied_public_key_used(existing_vpc_plan):
    ssh_key = existing_vpc_plan.one("aws:transfer/sshKey:SshKey", f"{NAME}-retail-eu-ssh-key")
    assert ssh_key.inputs["body"] == SUPPLIED_KEY
    assert existing_vpc_plan.find("tls:index/privateKey:PrivateKey") == []


def test_supplied_key_no_private_output(existing_vpc_plan):
    assert "private_keys" not in existing_vpc_plan.outputs


def test_existing_key_grant_for_user_role(existing_vpc_plan):
    grant = existing_vpc_plan.one("aws:kms/grant:Grant", f"{NAME}-retail-eu-grant")
    role = existing_vpc_plan.one("aws:iam/role:Role", f"{NAME}-retail-eu-role")
    assert grant.inputs["granteePrincipal"] == role.outputs["arn"]
    assert grant.inputs["operations"] == ["Decrypt", "GenerateDataKey"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (SftpDropZoneArgs(tenants=[]), "tenants is empty"),
        (SftpDropZoneArgs(tenants=["a"], allowed_cidrs=()), "allowed_cidrs is empty"),
        (SftpDropZoneArgs(tenants=["a"], bucket_name="b-123"), "both bucket_name and bucket_arn"),
        (SftpDropZoneArgs(tenants=["a"], vpc_id="vpc-0a1b2c3d"), "subnet_ids is empty"),
        (SftpDropZoneArgs(tenants=["a"], subnet_ids=("subnet-0a1b2c3d",)), "without vpc_id"),
        (SftpDropZoneArgs(tenants=["a"], public_keys={"b": SUPPLIED_KEY}), "unknown tenants"),
        (SftpDropZoneArgs(tenants=["a"], public_keys={"a": "ssh-ed25519 AAAAC3Nza"}), "RSA"),
        (SftpDropZoneArgs(tenants=["a"], public_keys={"a": "ssh-dss AAAAB3Nza"}), "RSA"),
        (SftpDropZoneArgs(tenants=["a-very-very-long-tenant-id"]), "generated name"),
    ],
)
def test_invalid_args_rejected(args, message):
    with pytest.raises(ValueError, match=message):
        SftpDropZone("acme-production-europe-sftp", args)
