"""AWS components of the kit, each usable on its own in another Pulumi stack."""

from destkit.aws.dropzone import S3DropZone, S3DropZoneArgs
from destkit.aws.sftp import SftpDropZone, SftpDropZoneArgs
from destkit.aws.sink import Sink, SinkArgs
from destkit.aws.streaming import StreamingEndpoint, StreamingEndpointArgs

__all__ = [
    "S3DropZone",
    "S3DropZoneArgs",
    "SftpDropZone",
    "SftpDropZoneArgs",
    "Sink",
    "SinkArgs",
    "StreamingEndpoint",
    "StreamingEndpointArgs",
]
