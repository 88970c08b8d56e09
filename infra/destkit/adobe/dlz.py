"""Copy AEP exports out of Adobe's Data Landing Zone into the partner's own storage (``destkit dlz pull``).

AEP writes Data Landing Zone exports to an Adobe-provisioned Azure Blob container and deletes them
after 7 days. Adobe's credentials API returns a SAS URI for that container. A file counts as new when
the target has no object of the same name and size, so a pull run on a schedule copies each export once
and a rerun after a failure resumes where it stopped.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Protocol

from destkit.adobe.authoring import AccessToken, AdobeCredentials
from destkit.adobe.http import AdobeApiError, request_json

LOG = logging.getLogger("destkit.dlz")

CREDENTIALS_PATH = "/data/foundation/connectors/landingzone/credentials"


class DlzError(Exception):
    """The pull failed: the landing zone or the target could not be read or written."""


@dataclass(frozen=True)
class DlzCredentials:
    container_name: str
    storage_account_name: str
    sas_uri: str


def fetch_dlz_credentials(platform_url: str, token: AccessToken, credentials: AdobeCredentials) -> DlzCredentials:
    """Request the landing zone's container SAS URI from Adobe's credentials API."""
    url = platform_url.rstrip("/") + CREDENTIALS_PATH + "?" + urllib.parse.urlencode({"type": "dlz_destination"})
    headers = {
        "Authorization": f"Bearer {token.value}",
        "x-api-key": credentials.client_id,
        "x-gw-ims-org-id": credentials.org_id,
        "x-sandbox-name": credentials.sandbox,
    }
    body = request_json("GET", url, headers=headers).body
    if not isinstance(body, dict):
        raise AdobeApiError("the landing zone credentials response is not a JSON object")
    values = {key: body.get(key) for key in ("containerName", "storageAccountName", "SASUri")}
    missing = [key for key, value in values.items() if not isinstance(value, str) or not value]
    if missing:
        raise AdobeApiError(f"the landing zone credentials response lacks {', '.join(missing)}")
    return DlzCredentials(str(values["containerName"]), str(values["storageAccountName"]), str(values["SASUri"]))


class Target(Protocol):
    """Storage that receives pulled exports."""

    def size_of(self, name: str) -> int | None:
        """Return the size of the stored object ``name``, or None when it does not exist."""

    def write(self, name: str, source: BinaryIO, size: int) -> None:
        """Store ``size`` bytes from ``source`` as ``name`` so that it appears only when complete."""


@dataclass
class LocalTarget:
    root: Path

    def _path(self, name: str) -> Path:
        relative = PurePosixPath(name)
        if relative.is_absolute() or ".." in relative.parts:
            raise DlzError(f"blob name {name!r} would leave the target directory: skipped")
        return self.root.joinpath(*relative.parts)

    def size_of(self, name: str) -> int | None:
        path = self._path(name)
        return path.stat().st_size if path.is_file() else None

    def write(self, name: str, source: BinaryIO, size: int) -> None:
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        with partial.open("wb") as handle:
            shutil.copyfileobj(source, handle)
        partial.replace(path)


@dataclass
class BlobTarget:
    container: Any  # azure.storage.blob.ContainerClient
    prefix: str = ""

    def size_of(self, name: str) -> int | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return int(self.container.get_blob_client(self.prefix + name).get_blob_properties().size)
        except ResourceNotFoundError:
            return None

    def write(self, name: str, source: BinaryIO, size: int) -> None:
        # A block blob becomes visible only when its block list is committed, so readers never see
        # a partial file.
        self.container.get_blob_client(self.prefix + name).upload_blob(source, length=size, overwrite=True)


@dataclass
class S3Target:
    client: Any  # boto3 S3 client
    bucket: str
    prefix: str = ""

    def size_of(self, name: str) -> int | None:
        from botocore.exceptions import ClientError

        try:
            return int(self.client.head_object(Bucket=self.bucket, Key=self.prefix + name)["ContentLength"])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def write(self, name: str, source: BinaryIO, size: int) -> None:
        self.client.upload_fileobj(source, self.bucket, self.prefix + name)


@dataclass
class PullReport:
    copied: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _landing_blobs(container: Any, prefix: str) -> Iterator[tuple[str, int]]:
    for blob in container.list_blobs(name_starts_with=prefix or None):
        name = str(blob.name)
        if name.endswith("/"):
            continue
        yield name, int(blob.size)


def pull(container: Any, target: Target, prefix: str = "") -> PullReport:
    """Copy every landing-zone blob under ``prefix`` that the target lacks (by name and size)."""
    from azure.core.exceptions import AzureError

    report = PullReport()
    try:
        blobs = list(_landing_blobs(container, prefix))
    except AzureError as error:
        raise DlzError(f"cannot list the landing zone container: {error}") from error

    for name, size in blobs:
        try:
            if target.size_of(name) == size:
                report.skipped.append(name)
                continue
            with tempfile.TemporaryFile() as spool:
                container.get_blob_client(name).download_blob().readinto(spool)
                if spool.tell() != size:
                    raise DlzError(f"downloaded {spool.tell()} bytes of {name}, expected {size} from the listing")
                spool.seek(0)
                target.write(name, spool, size)
            report.copied.append(name)
        except (AzureError, DlzError, OSError) as error:
            LOG.error("copying %s failed: %s", name, error)
            report.failed.append(name)
    return report


def container_from_sas(sas_uri: str) -> Any:
    try:
        from azure.storage.blob import ContainerClient
    except ImportError as error:  # pragma: no cover - azure-storage-blob is a test dependency of the kit
        raise DlzError("dlz pull needs the azure-storage-blob package: pip install azure-storage-blob") from error
    return ContainerClient.from_container_url(sas_uri)
