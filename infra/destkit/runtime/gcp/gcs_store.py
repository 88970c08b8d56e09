"""A ``Store`` on Cloud Storage; creates use the ``ifGenerationMatch=0`` precondition.

``ifGenerationMatch=0`` makes a write succeed only when no live object has the name, so two
deliveries of the same batch store one object: the second gets 412 Precondition Failed, which
``put_if_absent`` reports as False. Transient failures (429, 5xx, timeouts, connection errors)
raise ``StoreUnavailable`` so the intake responds with 503 and AEP retries.
"""

from __future__ import annotations

from typing import Any

from google.api_core import exceptions as api_exceptions
from google.auth import exceptions as auth_exceptions
from google.cloud import storage
from google.cloud.storage.retry import DEFAULT_RETRY

from destkit.runtime.store import StoreUnavailable, check_key

# Failures a later retry may fix. Permission and not-found errors on the bucket are configuration
# errors: they propagate and the intake responds with 500, which is logged.
_TRANSIENT = (
    api_exceptions.TooManyRequests,
    api_exceptions.InternalServerError,
    api_exceptions.BadGateway,
    api_exceptions.ServiceUnavailable,
    api_exceptions.GatewayTimeout,
    api_exceptions.RetryError,
    auth_exceptions.TransportError,
    ConnectionError,
    TimeoutError,
)
TIMEOUT_SECONDS = 10.0
# The client library retries transient errors for up to 120 s by default, far beyond the function's
# 29-second budget. The store gives up sooner and lets the intake respond with 503 so AEP retries.
RETRY_SECONDS = 8.0


class GcsStore:
    def __init__(
        self,
        bucket: str,
        client: storage.Client,
        timeout: float = TIMEOUT_SECONDS,
        retry_seconds: float = RETRY_SECONDS,
    ):
        self.bucket = client.bucket(bucket)
        self.timeout = timeout
        self.retry = DEFAULT_RETRY.with_timeout(retry_seconds)

    def put_if_absent(self, key: str, data: bytes, metadata: dict[str, str]) -> bool:
        blob = self.bucket.blob(check_key(key))
        blob.metadata = dict(metadata)
        try:
            blob.upload_from_string(
                data,
                content_type="application/json",
                if_generation_match=0,
                timeout=self.timeout,
                retry=self.retry,
            )
        except api_exceptions.PreconditionFailed:
            return False
        except _TRANSIENT as error:
            raise StoreUnavailable(f"cannot write {key}: {type(error).__name__}") from error
        return True

    def put(self, key: str, data: bytes, metadata: dict[str, str]) -> None:
        blob = self.bucket.blob(check_key(key))
        blob.metadata = dict(metadata)
        try:
            blob.upload_from_string(
                data, content_type="application/json", timeout=self.timeout, retry=self.retry
            )
        except _TRANSIENT as error:
            raise StoreUnavailable(f"cannot write {key}: {type(error).__name__}") from error

    def get(self, key: str) -> bytes | None:
        try:
            data: bytes = self.bucket.blob(check_key(key)).download_as_bytes(
                timeout=self.timeout, retry=self.retry
            )
        except api_exceptions.NotFound:
            return None
        except _TRANSIENT as error:
            raise StoreUnavailable(f"cannot read {key}: {type(error).__name__}") from error
        return data

    def metadata(self, key: str) -> dict[str, str] | None:
        blob = self.bucket.get_blob(check_key(key), timeout=self.timeout, retry=self.retry)
        return None if blob is None else dict(blob.metadata or {})

    def delete(self, key: str) -> bool:
        try:
            self.bucket.blob(check_key(key)).delete(timeout=self.timeout, retry=self.retry)
        except api_exceptions.NotFound:
            return False
        except _TRANSIENT as error:
            raise StoreUnavailable(f"cannot delete {key}: {type(error).__name__}") from error
        return True

    def list(self, prefix: str) -> list[str]:
        try:
            blobs: Any = self.bucket.client.list_blobs(
                self.bucket, prefix=prefix, timeout=self.timeout, retry=self.retry
            )
            return sorted(blob.name for blob in blobs)
        except _TRANSIENT as error:
            raise StoreUnavailable(f"cannot list {prefix}: {type(error).__name__}") from error
