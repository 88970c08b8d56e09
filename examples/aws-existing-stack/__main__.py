"""Add an AEP destination to an existing AWS stack with the kit's components.

The platform team's shared stack already exports a customer-managed KMS key and the bucket that
collects S3 server access logs. This program reads both through a StackReference, deploys with
its own AWS provider (region and default tags of its own), and names resources by the team's
convention instead of the kit's ``<destination>-<environment>`` prefix. It reads its own config
namespace; the kit's components take typed arguments and never read ``pulumi.Config``.
"""

import pulumi
import pulumi_aws as aws

from destkit.aws import S3DropZone, S3DropZoneArgs, Sink, SinkArgs, StreamingEndpoint, StreamingEndpointArgs
from destkit.config import StreamingConfig

config = pulumi.Config()
team = config.require("team")
tenants = config.require_object("tenants")
tags = {"team": team, "cost-center": config.require("costCenter"), "service": "aep-intake"}

shared = pulumi.StackReference(config.require("sharedStack"))
kms_key_arn = shared.require_output("kms_key_arn")
access_log_bucket = shared.require_output("access_log_bucket")

provider = aws.Provider("growth-aws", region=config.require("region"), default_tags={"tags": tags})
in_account = pulumi.ResourceOptions(providers=[provider])

# The shared key's policy is the platform team's, so the components grant their writers access
# through KMS grants instead of assuming that IAM policies alone are enough (kms_key_managed=False).
sink = Sink(
    f"{team}-aep-sink",
    SinkArgs(tenants=tenants, tags=tags, kms_key_arn=kms_key_arn, log_bucket_name=access_log_bucket),
    opts=in_account,
)
endpoint = StreamingEndpoint(
    f"{team}-aep-intake",
    StreamingEndpointArgs(
        name_prefix=f"{team}-aep",
        tenants=tenants,
        sink_bucket_name=sink.bucket_name,
        sink_bucket_arn=sink.bucket_arn,
        kms_key_arn=kms_key_arn,
        streaming=StreamingConfig(throttle_rate=100, throttle_burst=200),
        tags=tags,
    ),
    opts=in_account,
)
drop_zone = S3DropZone(
    f"{team}-aep-batch",
    S3DropZoneArgs(tenants=tenants, tags=tags, kms_key_arn=kms_key_arn, log_bucket_name=access_log_bucket),
    opts=in_account,
)

pulumi.export("url", endpoint.url)
pulumi.export("token_url", endpoint.token_url)
pulumi.export("client_ids", pulumi.Output.all(**endpoint.client_ids))
pulumi.export("client_secrets", pulumi.Output.secret(pulumi.Output.all(**endpoint.client_secrets)))
pulumi.export("sink", sink.bucket_name)
pulumi.export("s3_bucket", drop_zone.bucket_name)
pulumi.export("s3_prefixes", drop_zone.prefixes)
