"""``SftpDropZone``: an AWS Transfer Family SFTP server in front of a hardened drop-zone bucket.

The server speaks SFTP only, with a pinned current security policy, through an
internet-facing VPC endpoint: one Elastic IP per subnet and a security group that admits
port 22 only from the configured CIDRs (AEP's published egress ranges by default). Each tenant
is a service-managed user jailed in a logical home directory on ``<tenant>/`` of the bucket,
signing in with an RSA key. Service-managed users cannot use passwords: Transfer Family
accepts only SSH keys for them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_tls as tls

from destkit import naming
from destkit.aws import defaults, kms
from destkit.aws.buckets import BucketSettings, HardenedBucket, build_bucket, build_log_bucket, check_bucket_names
from destkit.aws.network import MinimalVpc, create_minimal_vpc
from destkit.config import AEP_STORAGE_EGRESS_CIDRS
from destkit.outputs import sftp_private_key_outputs


@dataclass(frozen=True)
class SftpDropZoneArgs:
    """Settings of an :class:`SftpDropZone`."""

    tenants: Sequence[str]
    tags: Mapping[str, str] = field(default_factory=dict)
    allowed_cidrs: Sequence[str] = AEP_STORAGE_EGRESS_CIDRS
    """Source CIDRs that may connect to port 22. Default: AEP's published storage egress ranges."""
    public_keys: Mapping[str, str] = field(default_factory=dict)
    """OpenSSH RSA public key per tenant. A 4096-bit key pair is generated for the others."""
    bucket_name: pulumi.Input[str] | None = None
    """Existing drop-zone bucket (for example an S3DropZone's). A hardened bucket is created when unset."""
    bucket_arn: pulumi.Input[str] | None = None
    kms_key_arn: pulumi.Input[str] | None = None
    """Key that encrypts the bucket and the log group. A key with rotation is created when unset."""
    kms_key_managed: bool = False
    """True when the key's policy delegates to IAM (keys from ``destkit.aws.kms.create_key``)."""
    log_bucket_name: pulumi.Input[str] | None = None
    vpc_id: pulumi.Input[str] | None = None
    """Existing VPC for the endpoint. A minimal VPC with one public subnet is created when unset."""
    subnet_ids: Sequence[pulumi.Input[str]] = ()
    log_retention_days: int = defaults.LOG_RETENTION_DAYS
    expire_days: int | None = defaults.EXPIRE_DAYS
    protect: bool = True


@dataclass
class SftpUser:
    """One tenant's Transfer Family user, its role and its key."""

    tenant: str
    user_name: str
    user: aws.transfer.User
    role: aws.iam.Role
    policy: aws.iam.Policy
    ssh_key: aws.transfer.SshKey
    private_key: tls.PrivateKey | None
    """The generated key pair, or None when the tenant's public key was given."""


def transfer_user_name(tenant: str) -> str:
    """Return the Transfer Family user name of a tenant (3 to 100 characters)."""
    return f"aep-{tenant}"


def transfer_trust_policy(partition: str, account_id: str, region: str, source: str) -> dict[str, Any]:
    """Build a trust policy for transfer.amazonaws.com, scoped to this account's ``source`` ARNs.

    ``source`` is ``user`` for the users' role and ``server`` for the logging role.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TransferFamilyInThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": "transfer.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {"aws:SourceArn": f"arn:{partition}:transfer:{region}:{account_id}:{source}/*"},
                },
            }
        ],
    }


def sftp_user_policy(bucket_arn: str, tenant: str, key_arn: str, region: str) -> dict[str, Any]:
    """Build the policy of a tenant's Transfer user role: its own prefix, and the key through S3."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ListTenantPrefix",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": bucket_arn,
                "Condition": {"StringLike": {"s3:prefix": [f"{tenant}/", f"{tenant}/*"]}},
            },
            {
                "Sid": "ReadWriteTenantObjects",
                "Effect": "Allow",
                "Action": ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
                "Resource": f"{bucket_arn}/{tenant}/*",
            },
            kms.writer_kms_statement(key_arn, bucket_arn, region),
        ],
    }


def transfer_logging_policy(log_group_arn: str) -> dict[str, Any]:
    """Build the logging role's policy: write to the kit's log group only."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteServerLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                "Resource": [log_group_arn, f"{log_group_arn}:*"],
            }
        ],
    }


class SftpDropZone(pulumi.ComponentResource):
    """Transfer Family SFTP server with one key-only, jailed user per tenant."""

    server: aws.transfer.Server
    host: pulumi.Output[str]
    port: int
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    key_arn: pulumi.Output[str]
    key: aws.kms.Key | None
    parts: HardenedBucket | None
    log_bucket: HardenedBucket | None
    network: MinimalVpc | None
    security_group: aws.ec2.SecurityGroup
    elastic_ips: list[aws.ec2.Eip]
    log_group: aws.cloudwatch.LogGroup
    logging_role: aws.iam.Role
    users: dict[str, SftpUser]
    grants: list[aws.kms.Grant]

    def __init__(self, name: str, args: SftpDropZoneArgs, opts: pulumi.ResourceOptions | None = None):
        _check_args(name, args)
        super().__init__("destkit:aws:SftpDropZone", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        context = kms.lookup_account_context(parent=self)
        self.port = defaults.SFTP_PORT

        self._set_up_key(name, args, context)
        self._set_up_bucket(name, args, context)
        self._set_up_network(name, args)

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-log-group",
            name=f"/aws/transfer/{name}",
            retention_in_days=args.log_retention_days,
            kms_key_id=self.key_arn,
            tags=dict(args.tags),
            opts=child,
        )
        logging_trust = pulumi.Output.all(context.partition, context.account_id, context.region).apply(
            lambda values: transfer_trust_policy(values[0], values[1], values[2], "server")
        )
        self.logging_role = aws.iam.Role(
            f"{name}-logging-role",
            description=f"Lets the SFTP server {name} write its logs",
            assume_role_policy=pulumi.Output.json_dumps(logging_trust),
            tags=dict(args.tags),
            opts=child,
        )
        logging_policy = aws.iam.Policy(
            f"{name}-logging-policy",
            description=f"Writes to the log group of the SFTP server {name} only",
            policy=pulumi.Output.json_dumps(self.log_group.arn.apply(transfer_logging_policy)),
            tags=dict(args.tags),
            opts=child,
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-logging-policy-attachment",
            role=self.logging_role.name,
            policy_arn=logging_policy.arn,
            opts=child,
        )

        self.server = aws.transfer.Server(
            f"{name}-server",
            protocols=["SFTP"],
            identity_provider_type="SERVICE_MANAGED",
            domain="S3",
            security_policy_name=defaults.TRANSFER_SECURITY_POLICY,
            endpoint_type="VPC",
            endpoint_details=aws.transfer.ServerEndpointDetailsArgs(
                vpc_id=self._vpc_id,
                subnet_ids=self._subnet_ids,
                address_allocation_ids=[eip.allocation_id for eip in self.elastic_ips],
                security_group_ids=[self.security_group.id],
            ),
            logging_role=self.logging_role.arn,
            structured_log_destinations=[self.log_group.arn.apply(lambda arn: f"{arn}:*")],
            force_destroy=False,
            tags=dict(args.tags),
            opts=child,
        )
        self.host = self.server.endpoint

        self.users = {
            tenant: self._create_user(name, tenant, args, context) for tenant in args.tenants
        }
        self.grants = []
        if not self._key_managed:
            self.grants = kms.create_writer_grants(
                name,
                key_arn=self.key_arn,
                grantees=[(tenant, user.role.arn) for tenant, user in self.users.items()],
                parent=self,
            )

        self.register_outputs({"host": self.host, "port": self.port, "bucket_name": self.bucket_name})

    def user_names(self) -> dict[str, str]:
        """Return each tenant's SFTP user name."""
        return {tenant: user.user_name for tenant, user in self.users.items()}

    def root_directories(self) -> dict[str, str]:
        """Return each tenant's root directory as the SFTP client sees it (its logical home)."""
        return {tenant: "/" for tenant in self.users}

    def private_keys(self) -> dict[str, pulumi.Output[str]]:
        """Return each generated private key as a base64-encoded PEM Pulumi secret."""
        return sftp_private_key_outputs({tenant: user.private_key for tenant, user in self.users.items()})

    def _set_up_key(self, name: str, args: SftpDropZoneArgs, context: kms.AccountContext) -> None:
        self._key_managed = args.kms_key_managed
        if args.kms_key_arn is None:
            self.key = kms.create_key(
                f"{name}-key",
                description=f"Encrypts the SFTP drop zone {name}",
                tags=args.tags,
                protect=args.protect,
                context=context,
                parent=self,
            )
            self.key_arn = self.key.arn
            self._key_managed = True
        else:
            self.key = None
            self.key_arn = pulumi.Output.from_input(args.kms_key_arn)

    def _set_up_bucket(self, name: str, args: SftpDropZoneArgs, context: kms.AccountContext) -> None:
        self.parts = None
        self.log_bucket = None
        if args.bucket_name is not None and args.bucket_arn is not None:
            self.bucket_name = pulumi.Output.from_input(args.bucket_name)
            self.bucket_arn = pulumi.Output.from_input(args.bucket_arn)
            return

        log_bucket_name: pulumi.Input[str]
        if args.log_bucket_name is None:
            self.log_bucket = build_log_bucket(
                f"{name}-logs", tags=args.tags, account_id=context.account_id, protect=args.protect, parent=self
            )
            log_bucket_name = self.log_bucket.bucket.bucket
        else:
            log_bucket_name = args.log_bucket_name
        settings = BucketSettings(
            tags=args.tags,
            kms_key_arn=self.key_arn,
            log_bucket=log_bucket_name,
            log_prefix=f"{name}/",
            expire_days=args.expire_days,
            protect=args.protect,
        )
        self.parts = build_bucket(name, settings, self)
        self.bucket_name = self.parts.bucket.bucket
        self.bucket_arn = self.parts.bucket.arn

    def _set_up_network(self, name: str, args: SftpDropZoneArgs) -> None:
        child = pulumi.ResourceOptions(parent=self)
        self.network = None
        if args.vpc_id is None:
            self.network = create_minimal_vpc(name, tags=args.tags, parent=self)
            self._vpc_id: pulumi.Input[str] = self.network.vpc.id
            self._subnet_ids: list[pulumi.Input[str]] = [self.network.subnet.id]
        else:
            self._vpc_id = args.vpc_id
            self._subnet_ids = list(args.subnet_ids)

        # A Transfer Family VPC endpoint takes exactly one Elastic IP per subnet.
        self.elastic_ips = [
            aws.ec2.Eip(f"{name}-eip-{index}", domain="vpc", tags=dict(args.tags), opts=child)
            for index in range(len(self._subnet_ids))
        ]
        # No egress rule: the endpoint accepts connections and never opens its own.
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            description="SFTP from the allowed CIDRs only",
            vpc_id=self._vpc_id,
            tags=dict(args.tags),
            opts=child,
        )
        for index, cidr in enumerate(args.allowed_cidrs):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-ingress-{index}",
                security_group_id=self.security_group.id,
                description=f"SFTP from {cidr}",
                cidr_ipv4=cidr,
                ip_protocol="tcp",
                from_port=defaults.SFTP_PORT,
                to_port=defaults.SFTP_PORT,
                tags=dict(args.tags),
                opts=child,
            )

    def _create_user(
        self, name: str, tenant: str, args: SftpDropZoneArgs, context: kms.AccountContext
    ) -> SftpUser:
        child = pulumi.ResourceOptions(parent=self)
        trust = pulumi.Output.all(context.partition, context.account_id, context.region).apply(
            lambda values: transfer_trust_policy(values[0], values[1], values[2], "user")
        )
        role = aws.iam.Role(
            f"{name}-{tenant}-role",
            description=f"SFTP user of tenant {tenant}: its prefix of the drop zone only",
            assume_role_policy=pulumi.Output.json_dumps(trust),
            tags=dict(args.tags),
            opts=child,
        )
        document = pulumi.Output.all(self.bucket_arn, self.key_arn, context.region).apply(
            lambda values: sftp_user_policy(values[0], tenant, values[1], values[2])
        )
        policy = aws.iam.Policy(
            f"{name}-{tenant}-policy",
            description=f"SFTP user of tenant {tenant}: read, write and delete under {tenant}/",
            policy=pulumi.Output.json_dumps(document),
            tags=dict(args.tags),
            opts=child,
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-{tenant}-policy-attachment", role=role.name, policy_arn=policy.arn, opts=child
        )

        user_name = transfer_user_name(tenant)
        user = aws.transfer.User(
            f"{name}-{tenant}-user",
            server_id=self.server.id,
            user_name=user_name,
            role=role.arn,
            home_directory_type="LOGICAL",
            home_directory_mappings=[
                aws.transfer.UserHomeDirectoryMappingArgs(
                    entry="/", target=pulumi.Output.concat("/", self.bucket_name, f"/{tenant}")
                )
            ],
            tags=dict(args.tags),
            opts=child,
        )

        private_key = None
        public_key: pulumi.Input[str]
        if tenant in args.public_keys:
            public_key = args.public_keys[tenant].strip()
        else:
            private_key = tls.PrivateKey(
                f"{name}-{tenant}-key", algorithm="RSA", rsa_bits=defaults.SFTP_RSA_BITS, opts=child
            )
            public_key = private_key.public_key_openssh
        ssh_key = aws.transfer.SshKey(
            f"{name}-{tenant}-ssh-key",
            server_id=self.server.id,
            user_name=user.user_name,
            body=public_key,
            opts=child,
        )
        return SftpUser(
            tenant=tenant,
            user_name=user_name,
            user=user,
            role=role,
            policy=policy,
            ssh_key=ssh_key,
            private_key=private_key,
        )


def _check_args(name: str, args: SftpDropZoneArgs) -> None:
    if not args.tenants:
        raise ValueError(f"SftpDropZone {name!r}: tenants is empty; give at least one tenant id")
    if not args.allowed_cidrs:
        raise ValueError(f"SftpDropZone {name!r}: allowed_cidrs is empty; list the CIDRs AEP connects from")
    if (args.bucket_name is None) != (args.bucket_arn is None):
        raise ValueError(f"SftpDropZone {name!r}: give both bucket_name and bucket_arn, or neither")
    if args.vpc_id is not None and not args.subnet_ids:
        raise ValueError(f"SftpDropZone {name!r}: vpc_id is set but subnet_ids is empty; list 1 to 3 subnets")
    if args.vpc_id is None and args.subnet_ids:
        raise ValueError(f"SftpDropZone {name!r}: subnet_ids is set without vpc_id; give the VPC too")
    unknown = sorted(set(args.public_keys) - set(args.tenants))
    if unknown:
        raise ValueError(f"SftpDropZone {name!r}: public_keys has unknown tenants {unknown}")
    for tenant, key in args.public_keys.items():
        if not key.strip().startswith("ssh-rsa "):
            raise ValueError(
                f"SftpDropZone {name!r}: the public key of tenant {tenant!r} is not an OpenSSH RSA key; "
                "AEP signs in with RSA keys only, so give an 'ssh-rsa AAAA...' key"
            )
    logging_role = naming.autonamed(f"{name}-logging-role")
    naming.check_name_fits("SftpDropZone", name, logging_role, naming.iam_name_problem(logging_role))
    if args.bucket_name is None:
        check_bucket_names("SftpDropZone", name, with_log_bucket=args.log_bucket_name is None)
    for tenant in args.tenants:
        role = naming.autonamed(f"{name}-{tenant}-role")
        naming.check_name_fits("SftpDropZone", name, role, naming.iam_name_problem(role))
        user = transfer_user_name(tenant)
        naming.check_name_fits("SftpDropZone", name, user, naming.transfer_user_problem(user))
