"""Secure defaults for every AWS component of the kit, kept in one place.

Components read these values instead of hard-coding them, so a reviewer can check the
kit's AWS posture on one page. ``docs/aws.md`` lists them per component.
"""

from __future__ import annotations

from collections.abc import Mapping

# Lambda runtime and architecture of every function the kit deploys. arm64 (Graviton) costs less
# per GB-second than x86_64. Review the runtime pin when Lambda deprecates python3.13.
LAMBDA_RUNTIME = "python3.13"
LAMBDA_ARCHITECTURE = "arm64"

# Retention of every CloudWatch log group the kit creates, in days, when the config gives none.
LOG_RETENTION_DAYS = 365

# KMS: a deletion waiting period of 30 days (the maximum) and yearly automatic rotation.
KMS_DELETION_WINDOW_DAYS = 30
KMS_ROTATION_PERIOD_DAYS = 365

# Lifecycle of landing buckets (drop zones and the sink), in days.
EXPIRE_DAYS = 30
NONCURRENT_VERSION_DAYS = 7
ABORT_MULTIPART_DAYS = 1
# The access-log bucket keeps logs longer than the data they describe.
ACCESS_LOG_EXPIRE_DAYS = 400

# Requests over TLS older than 1.2 are denied by every bucket policy.
MIN_TLS_VERSION = "1.2"

# AWS Transfer Family security policy: TransferSecurityPolicy-2025-03 is the newest general SFTP
# policy that pulumi-aws 7.51 lists. The provider default (2018-11) fails CKV_AWS_380, which
# rejects policies older than 24 months, so review this value once a year.
TRANSFER_SECURITY_POLICY = "TransferSecurityPolicy-2025-03"
SFTP_PORT = 22

# AEP writes from AWS account 670664943635 through this IAM user (Adobe's Amazon S3
# destination documentation, "assumed role" authentication).
ADOBE_S3_WRITER_PRINCIPAL = "arn:aws:iam::670664943635:user/destinations-adobe-user"

# The S3 actions Adobe documents for its Amazon S3 destination; nothing more is granted.
AEP_S3_OBJECT_ACTIONS = (
    "s3:DeleteObject",
    "s3:GetObject",
    "s3:ListMultipartUploadParts",
    "s3:PutObject",
)
AEP_S3_BUCKET_ACTIONS = ("s3:GetBucketLocation", "s3:ListBucket")

# KMS actions a writer needs on the bucket's key: GenerateDataKey for every upload, Decrypt for
# multipart uploads (S3 decrypts the parts to assemble them) and for reading objects back.
WRITER_KMS_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey*")
# The same rights as KMS grant operations, which take no wildcards.
WRITER_KMS_GRANT_OPERATIONS = ("Decrypt", "GenerateDataKey")

# Minimal VPC for the SFTP endpoint when none is given.
SFTP_VPC_CIDR = "10.42.0.0/24"
SFTP_SUBNET_CIDR = "10.42.0.0/26"

# RSA key size of generated SFTP key pairs. AEP accepts only RSA keys for SFTP.
SFTP_RSA_BITS = 4096


def tags(extra: Mapping[str, str], destination: str, environment: str) -> dict[str, str]:
    """Build the tags for every taggable resource: the config's tags plus the kit's two."""
    merged = dict(extra)
    merged["destkit:destination"] = destination
    merged["destkit:environment"] = environment
    return merged
