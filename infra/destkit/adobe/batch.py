"""Destination SDK objects for the batch (file-based) locations: S3, Blob, ADLS Gen2, GCS, SFTP, DLZ.

Each location gets its own destination server and destination configuration, because the server type,
the customer authentication, the customer data fields and the schedule differ per location.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from destkit.adobe.objects import (
    AdobeObject,
    RenderSettings,
    common_destination_fields,
    customer_field,
    fixed,
    from_customer,
    object_ref,
)
from destkit.adobe.outputs import StackOutputs

FILE_TYPES = ("csv", "parquet", "json")
COMPRESSIONS = ("none", "gzip", "bzip2", "lz4", "snappy")
# Cadences of Adobe's guardrails: one daily full export, or incremental exports every 3, 6, 8 or 12 hours.
ALL_FREQUENCIES = ("DAILY", "EVERY_3_HOURS", "EVERY_6_HOURS", "EVERY_8_HOURS", "EVERY_12_HOURS")

# Pattern from Adobe's customer-data-field examples for an S3 bucket name.
S3_BUCKET_PATTERN = (
    r"(?=^.{3,63}$)(?!^(\d+\.)+\d+$)(^(([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])\.)*"
    r"([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])$)"
)
# Characters Adobe allows in an S3 folder path.
FOLDER_PATH_PATTERN = r"^[A-Za-z0-9/!\-_.'()\"^\[\]+$%*]*$"


@dataclass(frozen=True)
class Location:
    """One batch location: how AEP reaches it, how exports are scheduled and which files it offers."""

    key: str
    title: str
    server_type: str
    spec_name: str
    connection_type: str
    auth_types: tuple[str, ...]
    frequencies: tuple[str, ...] = ALL_FREQUENCIES
    default_frequency: str = "DAILY"
    file_types: tuple[str, ...] = FILE_TYPES
    compressions: tuple[str, ...] = COMPRESSIONS
    default_file_type: str = "csv"
    default_compression: str = "gzip"


LOCATIONS: dict[str, Location] = {
    "s3": Location("s3", "Amazon S3", "FILE_BASED_S3", "fileBasedS3Destination", "S3", ("S3",)),
    "blob": Location(
        "blob",
        "Azure Blob Storage",
        "FILE_BASED_AZURE_BLOB",
        "fileBasedAzureBlobDestination",
        "Azure Blob",
        ("AZURE_CONNECTION_STRING",),
    ),
    # A data lake is read by query engines, which read Parquet in place, so Parquet is the default.
    "adls": Location(
        "adls",
        "Azure Data Lake Storage Gen2",
        "FILE_BASED_ADLS_GEN2",
        "fileBasedAdlsGen2Destination",
        "Azure Data Lake Storage",
        ("AZURE_SERVICE_PRINCIPAL",),
        default_file_type="parquet",
        default_compression="snappy",
    ),
    "gcs": Location(
        "gcs",
        "Google Cloud Storage",
        "FILE_BASED_GOOGLE_CLOUD",
        "fileBasedGoogleCloudStorageDestination",
        "Cloud storage",
        ("GOOGLE_CLOUD_STORAGE",),
    ),
    # Adobe recommends S3 or Blob over SFTP, so SFTP offers fewer, larger transfers. Files on an SFTP
    # host are usually read with command-line tools, so the codecs are those gzip and bzip2 tools
    # read; Spark's lz4 and snappy framing needs Spark or destkit.files.
    "sftp": Location(
        "sftp",
        "SFTP",
        "FILE_BASED_SFTP",
        "fileBasedSFTPDestination",
        "SFTP",
        ("SFTP_WITH_SSH_KEY",),
        frequencies=("DAILY", "EVERY_12_HOURS"),
        file_types=("csv", "json"),
        compressions=("none", "gzip", "bzip2"),
    ),
    "dlz": Location("dlz", "Data Landing Zone", "FILE_BASED_DLZ", "fileBasedDlzDestination", "DLZ", ()),
}


def configured_locations(outputs: StackOutputs, include_dlz: bool) -> list[str]:
    """Return the batch locations the outputs describe (DLZ is Adobe-hosted, so it is opt-in)."""
    present = []
    if outputs.get("s3_bucket"):
        present.append("s3")
    if outputs.tenant_map("blob_connection_strings") or outputs.tenant_map("blob_containers"):
        present.append("blob")
    if outputs.tenant_map("adls_urls"):
        present.append("adls")
    if outputs.get("gcs_bucket"):
        present.append("gcs")
    if outputs.get("sftp_host"):
        present.append("sftp")
    if include_dlz:
        present.append("dlz")
    return present


def _file_configurations() -> dict[str, Any]:
    # The customer picks the format and codec; the CSV options are fixed to AEP's defaults, which
    # destkit.files reads without extra settings.
    return {
        "fileType": from_customer("fileType"),
        "compression": from_customer("compression"),
        "csvOptions": {
            "sep": fixed(","),
            "quote": fixed('"'),
            "escape": fixed("\\"),
            "header": fixed("true"),
            "nullValue": fixed(""),
            "emptyValue": fixed(""),
        },
    }


def _format_fields(location: Location) -> list[dict[str, Any]]:
    return [
        customer_field("fileType", "File type", enum=list(location.file_types), default=location.default_file_type),
        customer_field(
            "compression", "Compression", enum=list(location.compressions), default=location.default_compression
        ),
    ]


def _server_spec(location: Location, outputs: StackOutputs, settings: RenderSettings) -> dict[str, Any]:
    if location.key == "s3":
        return {"bucket": fixed(str(outputs.get("s3_bucket"))), "path": from_customer("path")}
    if location.key == "gcs":
        return {"bucket": fixed(str(outputs.get("gcs_bucket"))), "path": from_customer("path")}
    if location.key == "blob":
        return {"container": from_customer("container"), "path": from_customer("path")}
    if location.key == "adls":
        return {"path": from_customer("path")}
    if location.key == "sftp":
        return {
            "rootDirectory": from_customer("rootDirectory"),
            "hostName": fixed(str(outputs.get("sftp_host"))),
            "port": int(outputs.get("sftp_port") or 22),
            "encryptionMode": "None",
        }
    return {"path": fixed(settings.dlz_path), "useCase": fixed(settings.dlz_use_case)}


def _customer_fields(location: Location) -> list[dict[str, Any]]:
    if location.key == "s3":
        return [customer_field("path", "Folder path", pattern=FOLDER_PATH_PATTERN)]
    if location.key == "gcs":
        return [customer_field("path", "Folder path")]
    if location.key == "blob":
        return [customer_field("container", "Container"), customer_field("path", "Folder path")]
    if location.key == "adls":
        return [
            customer_field(
                "path",
                "Folder path (abfss://<file system>@<account>.dfs.core.windows.net/<folder>)",
                pattern=r"^abfss?://[^@/]+@[^/]+\.dfs\.core\.windows\.net(/.*)?$",
            )
        ]
    if location.key == "sftp":
        return [customer_field("rootDirectory", "Root directory")]
    return []


def batch_objects(location_key: str, outputs: StackOutputs, settings: RenderSettings) -> list[AdobeObject]:
    """Render the destination server and destination configuration of one batch location."""
    location = LOCATIONS[location_key]
    server_key = f"{location.key}-server"
    server = {
        "name": f"{settings.name}-{location.key}",
        "destinationServerType": location.server_type,
        location.spec_name: _server_spec(location, outputs, settings),
        "fileConfigurations": _file_configurations(),
    }

    auth_rule = "CUSTOMER_AUTHENTICATION" if location.auth_types else "NONE"
    destination = {
        **common_destination_fields(settings, f"{settings.title} ({location.title})"),
        "customerAuthenticationConfigurations": [{"authType": auth} for auth in location.auth_types],
        "customerEncryptionConfigurations": [],
        "customerDataFields": _customer_fields(location) + _format_fields(location),
        "uiAttributes": {
            "documentationLink": settings.documentation_link,
            "category": "cloudStorage",
            "connectionType": location.connection_type,
            "frequency": "Batch",
            "monitoringSupported": True,
            "flowRunsSupported": True,
        },
        "schemaConfig": {"profileRequired": True, "segmentRequired": True, "identityRequired": True},
        "destinationDelivery": [
            {
                "deliveryMatchers": [{"type": "SOURCE", "value": ["batch"]}],
                "authenticationRule": auth_rule,
                "destinationServerId": object_ref(server_key),
            }
        ],
        "batchConfig": {
            "allowMandatoryFieldSelection": True,
            "allowDedupeKeyFieldSelection": True,
            "defaultExportMode": "DAILY_FULL_EXPORT",
            "allowedExportModes": ["DAILY_FULL_EXPORT", "FIRST_FULL_THEN_INCREMENTAL"],
            "allowedScheduleFrequency": list(location.frequencies),
            "defaultFrequency": location.default_frequency,
            "defaultStartTime": "00:00",
            "filenameConfig": {
                "allowedFilenameAppendOptions": [
                    "SEGMENT_ID",
                    "SEGMENT_NAME",
                    "DESTINATION_INSTANCE_ID",
                    "DESTINATION_INSTANCE_NAME",
                    "ORGANIZATION_NAME",
                    "SANDBOX_NAME",
                    "DATETIME",
                    "CUSTOM_TEXT",
                ],
                "defaultFilenameAppendOptions": ["DATETIME"],
                # SEGMENT_ID keeps every file name unique, which destkit.files relies on to group parts.
                "defaultFilename": "%DESTINATION%_%SEGMENT_ID%",
            },
            "segmentGroupingEnabled": False,
        },
        "backfillHistoricalProfileData": True,
    }
    if settings.audience_template_keys.get("batch"):
        destination["segmentMappingConfig"] = {
            "mapExperiencePlatformSegmentName": False,
            "mapExperiencePlatformSegmentId": True,
            "mapUserInput": False,
            "audienceTemplateId": object_ref(settings.audience_template_keys["batch"]),
        }
    else:
        destination["segmentMappingConfig"] = {
            "mapExperiencePlatformSegmentName": False,
            "mapExperiencePlatformSegmentId": True,
            "mapUserInput": False,
        }
    return [
        AdobeObject(server_key, "destination-server", server),
        AdobeObject(f"{location.key}-destination", "destination", destination),
    ]
