"""Add AEP batch drop zones to an existing Azure resource group with the kit's components.

The platform team's shared stack exports a resource group and a Log Analytics workspace. This
program reads both through a StackReference and deploys into that group with its own azure-native
provider (subscription and location of its own), sending diagnostics to the shared workspace.
Resources are named by the team's prefix instead of the kit's ``<destination>-<environment>``.
AEP's Blob destination writes with a connection string per tenant, and its SFTP destination with
an RSA key per tenant. Both come back as secret outputs.
"""

import pulumi
import pulumi_azure_native as azure_native

from destkit.azure.blob_dropzone import BlobDropZone, BlobDropZoneArgs
from destkit.azure.sftp import SftpDropZone, SftpDropZoneArgs
from destkit.config import AEP_STORAGE_EGRESS_CIDRS

config = pulumi.Config()
team = config.require("team")
location = config.require("location")
tenants = config.require_object("tenants")
tags = {"team": team, "cost-center": config.require("costCenter"), "service": "aep-dropzones"}
name_prefix = f"{team}-aep"

shared = pulumi.StackReference(config.require("sharedStack"))
resource_group_name = shared.require_output("resource_group_name")
workspace_id = shared.require_output("log_analytics_workspace_id")

provider = azure_native.Provider(
    f"{team}-azure", subscription_id=config.require("subscriptionId"), location=location
)
in_subscription = pulumi.ResourceOptions(providers=[provider])

blob = BlobDropZone(
    f"{name_prefix}-blob",
    BlobDropZoneArgs(
        tenants=tenants,
        prefix=name_prefix,
        resource_group_name=resource_group_name,
        location=location,
        workspace_id=workspace_id,
        tags=tags,
    ),
    opts=in_subscription,
)
sftp = SftpDropZone(
    f"{name_prefix}-sftp",
    SftpDropZoneArgs(
        tenants=tenants,
        prefix=name_prefix,
        resource_group_name=resource_group_name,
        location=location,
        workspace_id=workspace_id,
        allowed_cidrs=list(AEP_STORAGE_EGRESS_CIDRS),
        tags=tags,
    ),
    opts=in_subscription,
)

pulumi.export("blob_containers", blob.container_names)
pulumi.export("blob_connection_strings", pulumi.Output.secret(pulumi.Output.all(**blob.connection_strings)))
pulumi.export("sftp_host", sftp.host)
pulumi.export("sftp_port", sftp.port)
pulumi.export("sftp_usernames", pulumi.Output.all(**sftp.user_names()))
pulumi.export("sftp_private_keys", pulumi.Output.secret(pulumi.Output.all(**sftp.private_keys())))
