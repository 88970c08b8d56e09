"""Add an AEP destination to an existing GCP project with the kit's components.

The platform team's shared stack exports the project id and a Cloud KMS key for CMEK. This program
reads both through a StackReference, deploys with its own Google provider (project, region and
default labels of its own), and names resources by the team's convention instead of the kit's
``<destination>-<environment>`` prefix. Tenants authenticate with bearer tokens that the
endpoint generates; they come back as the secret ``tokens`` output.
"""

import pulumi
import pulumi_gcp as gcp

from destkit.gcp.gcs_dropzone import GcsDropZone, GcsDropZoneArgs
from destkit.gcp.sink import Sink, SinkArgs
from destkit.gcp.streaming import StreamingEndpoint, StreamingEndpointArgs

config = pulumi.Config()
team = config.require("team")
region = config.require("region")
tenants = config.require_object("tenants")
labels = {"team": team, "cost-center": config.require("costCenter"), "service": "aep-intake"}
name_prefix = f"{team}-aep"

shared = pulumi.StackReference(config.require("sharedStack"))
project = shared.require_output("project_id")
kms_key_id = shared.require_output("cmek_key_id")

provider = gcp.Provider(f"{team}-gcp", project=project, region=region, default_labels=labels)
in_project = pulumi.ResourceOptions(providers=[provider])

# With kms_key_id set and no key_grant, each component grants the project's Cloud Storage service
# agent encrypt and decrypt on the shared key, which needs setIamPolicy on that key.
sink = Sink(
    f"{name_prefix}-sink",
    SinkArgs(tenants=tenants, location=region, project=project, labels=labels, kms_key_id=kms_key_id),
    opts=in_project,
)
endpoint = StreamingEndpoint(
    f"{name_prefix}-intake",
    StreamingEndpointArgs(
        tenants=tenants,
        project=project,
        region=region,
        prefix=name_prefix,
        sink_bucket=sink.bucket_name,
        auth_mode="bearer",
        labels=labels,
        kms_key_id=kms_key_id,
    ),
    opts=in_project,
)
drop_zone = GcsDropZone(
    f"{name_prefix}-batch",
    GcsDropZoneArgs(
        tenants=tenants,
        location=region,
        project=project,
        prefix=name_prefix,
        labels=labels,
        kms_key_id=kms_key_id,
    ),
    opts=in_project,
)

pulumi.export("url", endpoint.url)
pulumi.export("tokens", pulumi.Output.secret(pulumi.Output.all(**endpoint.tokens)))
pulumi.export("sink", sink.bucket_name)
pulumi.export("gcs_bucket", drop_zone.bucket_name)
pulumi.export("gcs_prefixes", drop_zone.prefixes)
pulumi.export("gcs_hmac_access_ids", pulumi.Output.all(**drop_zone.hmac_access_ids))
pulumi.export("gcs_hmac_secrets", pulumi.Output.secret(pulumi.Output.all(**drop_zone.hmac_secrets)))
