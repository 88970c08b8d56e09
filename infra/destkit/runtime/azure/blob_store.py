"""The ``Store`` protocol on Azure Blob Storage, with create-only writes (``If-None-Match: *``).

azure-storage-blob is imported when the first client is built: the function package ships it, and
the module stays importable without it. Blob metadata names must be C# identifiers, so the core's
``received-at`` becomes ``received_at``.
"""

from __future__ import annotations

from typing import Any

from destkit.runtime.store import StoreUnavailable, check_key

# Short timeouts, so a hung store turns into a 503 response before the gateway gives up.
CONNECTION_TIMEOUT_SECONDS = 3
READ_TIMEOUT_SECONDS = 8
RETRY_TOTAL = 2


def make_container_client(account_url: str, container: str, credential: Any = None) -> Any:
    """Build a container client; without ``credential`` it signs in with the app's managed identity."""
    from azure.storage.blob import ContainerClient

    if credential is None:
        from azure.identity import ManagedIdentityCredential

        credential = ManagedIdentityCredential()
    return ContainerClient(
        account_url,
        container,
        credential=credential,
        connection_timeout=CONNECTION_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retry_total=RETRY_TOTAL,
    )


def blob_metadata(metadata: dict[str, str]) -> dict[str, str]:
    """Rename metadata keys to valid blob metadata names (letters, digits and underscores)."""
    return {key.replace("-", "_"): value for key, value in metadata.items()}


class BlobStore:
    def __init__(self, container_client: Any):
        self.container = container_client

    def put_if_absent(self, key: str, data: bytes, metadata: dict[str, str]) -> bool:
        from azure.core.exceptions import AzureError, ResourceExistsError

        try:
            self._upload(key, data, metadata, overwrite=False)
        except ResourceExistsError:
            return False
        except AzureError as error:
            raise _unavailable("write", key, error) from error
        return True

    def put(self, key: str, data: bytes, metadata: dict[str, str]) -> None:
        from azure.core.exceptions import AzureError

        try:
            self._upload(key, data, metadata, overwrite=True)
        except AzureError as error:
            raise _unavailable("write", key, error) from error

    def _upload(self, key: str, data: bytes, metadata: dict[str, str], *, overwrite: bool) -> None:
        from azure.storage.blob import ContentSettings

        # overwrite=False sends If-None-Match: *, so an existing blob makes the service return 409.
        self.container.upload_blob(
            check_key(key),
            data,
            overwrite=overwrite,
            metadata=blob_metadata(metadata),
            content_settings=ContentSettings(content_type="application/json"),
        )

    def get(self, key: str) -> bytes | None:
        from azure.core.exceptions import AzureError, ResourceNotFoundError

        try:
            return bytes(self.container.download_blob(check_key(key)).readall())
        except ResourceNotFoundError:
            return None
        except AzureError as error:
            raise _unavailable("read", key, error) from error

    def delete(self, key: str) -> bool:
        from azure.core.exceptions import AzureError, ResourceNotFoundError

        try:
            self.container.delete_blob(check_key(key))
        except ResourceNotFoundError:
            return False
        except AzureError as error:
            raise _unavailable("delete", key, error) from error
        return True

    def list(self, prefix: str) -> list[str]:
        from azure.core.exceptions import AzureError

        try:
            return sorted(blob.name for blob in self.container.list_blobs(name_starts_with=prefix))
        except AzureError as error:
            raise _unavailable("list", prefix, error) from error


def _unavailable(action: str, key: str, error: Exception) -> StoreUnavailable:
    code = getattr(error, "error_code", None) or type(error).__name__
    return StoreUnavailable(f"Blob Storage {action} of {key} failed: {code}")
