"""The minimal VPC that hosts the SFTP endpoint when the user gives none.

One public subnet with a route to an internet gateway is enough for an internet-facing
Transfer Family VPC endpoint, which takes one Elastic IP per subnet. The default security
group is emptied, so nothing placed in the VPC by mistake is reachable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from destkit.aws import defaults


@dataclass
class MinimalVpc:
    """The VPC, its one public subnet and the resources that route it to the internet."""

    vpc: aws.ec2.Vpc
    subnet: aws.ec2.Subnet
    internet_gateway: aws.ec2.InternetGateway
    route_table: aws.ec2.RouteTable
    default_security_group: aws.ec2.DefaultSecurityGroup


def create_minimal_vpc(name: str, *, tags: Mapping[str, str], parent: pulumi.Resource) -> MinimalVpc:
    """Create a VPC with one public subnet for an internet-facing Transfer Family endpoint."""
    child = pulumi.ResourceOptions(parent=parent)
    vpc = aws.ec2.Vpc(
        f"{name}-vpc",
        cidr_block=defaults.SFTP_VPC_CIDR,
        enable_dns_support=True,
        enable_dns_hostnames=True,
        tags=dict(tags),
        opts=child,
    )

    # An empty default security group: no rule admits or emits traffic.
    default_security_group = aws.ec2.DefaultSecurityGroup(
        f"{name}-default-sg", vpc_id=vpc.id, tags=dict(tags), opts=child
    )
    internet_gateway = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags=dict(tags), opts=child)

    # NOTE: one subnet in an availability zone that AWS picks, so the endpoint is not zonally
    # redundant. Pass an existing VPC with two or three subnets for production.
    subnet = aws.ec2.Subnet(
        f"{name}-public",
        vpc_id=vpc.id,
        cidr_block=defaults.SFTP_SUBNET_CIDR,
        map_public_ip_on_launch=False,
        tags=dict(tags),
        opts=child,
    )
    route_table = aws.ec2.RouteTable(
        f"{name}-public-routes",
        vpc_id=vpc.id,
        routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=internet_gateway.id)],
        tags=dict(tags),
        opts=child,
    )
    aws.ec2.RouteTableAssociation(
        f"{name}-public-routes-association", subnet_id=subnet.id, route_table_id=route_table.id, opts=child
    )

    return MinimalVpc(
        vpc=vpc,
        subnet=subnet,
        internet_gateway=internet_gateway,
        route_table=route_table,
        default_security_group=default_security_group,
    )
