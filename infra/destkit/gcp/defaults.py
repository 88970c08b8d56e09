"""Secure defaults for every GCP component of the kit, kept in one place.

Components read these values instead of hard-coding them, so a reviewer can check the kit's
GCP posture on one page. ``docs/gcp.md`` lists them per component.
"""

from __future__ import annotations

from collections.abc import Mapping

# Cloud Functions (2nd gen) runtime of every function the kit deploys.
FUNCTION_RUNTIME = "python312"
FUNCTION_MAX_INSTANCES = 20
TOKEN_FUNCTION_MEMORY = "256M"  # noqa: S105 - a memory size, not a credential

# Cloud KMS: rotate every 90 days (the longest period CIS GCP 1.10 accepts), and keep destroyed
# key versions recoverable for 30 days.
KMS_ROTATION_PERIOD = "7776000s"
KMS_DESTROY_SCHEDULED_DURATION = "2592000s"

# Soft delete keeps deleted objects for 7 days, the minimum the kit's soft-delete control requires.
SOFT_DELETE_SECONDS = 7 * 24 * 3600

# Lifecycle of landing buckets, in days.
EXPIRE_DAYS = 30
NONCURRENT_VERSION_DAYS = 7
ABORT_MULTIPART_DAYS = 1
# Function source archives: Cloud Functions copies the source at build time.
SOURCE_EXPIRE_DAYS = 365

# Pub/Sub keeps undelivered object-created notifications for 7 days.
TOPIC_MESSAGE_RETENTION = "604800s"

# The IAM Credentials API that signs the managed issuer's tokens (signJwt), and the public JWKS
# Google serves for every service account's system-managed keys. Only the deployed token
# function calls the first one; API Gateway fetches the second.
IAM_CREDENTIALS_URL = "https://iamcredentials.googleapis.com/v1"
SERVICE_ACCOUNT_JWKS_URL = "https://www.googleapis.com/service_accounts/v1/jwk/{email}"
# signJwt rejects an `exp` claim more than 12 hours in the future (IAM Credentials API reference,
# projects.serviceAccounts.signJwt), so managed-issuer tokens on GCP live at most 12 hours.
SIGN_JWT_MAX_LIFETIME_HOURS = 12

# IAP TCP forwarding connects from this range (Google Cloud IAP documentation, "Using IAP for TCP
# forwarding"); administrators reach the SFTP instance only from it.
IAP_TCP_FORWARDING_RANGE = "35.235.240.0/20"

# Compute Engine instance of the experimental SFTP drop zone.
SFTP_MACHINE_TYPE = "e2-small"
SFTP_IMAGE = "debian-cloud/debian-12"
SFTP_BOOT_DISK_GB = 20
SFTP_PORT = 22
SFTP_RSA_BITS = 4096
SFTP_ROOT = "/srv/sftp"
SFTP_KEYS_DIR = "/etc/destkit/authorized_keys"
SFTP_GROUP = "destkit-sftp"

# Audit log types enabled for Cloud Storage: data writes, data reads and admin reads.
STORAGE_AUDIT_LOG_TYPES = ("ADMIN_READ", "DATA_READ", "DATA_WRITE")


def labels(extra: Mapping[str, str], destination: str, environment: str) -> dict[str, str]:
    """Build the labels for every labelled resource: the config's tags plus the kit's two."""
    merged = dict(extra)
    merged["destkit-destination"] = destination
    merged["destkit-environment"] = environment
    return merged
