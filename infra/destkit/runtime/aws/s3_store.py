"""The ``Store`` protocol on Amazon S3, with create-only writes through ``If-None-Match: *``.

boto3 is imported when the first client is built: the Lambda runtime provides it, and the module stays
importable (and fast to import) without it.
"""

from __future__ import annotations

from destkit.runtime.errors import StoreUnavailable
from destkit.runtime.keys import check_key

# typing stays out of the Lambda cold start; annotations are strings under the __future__ import.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# S3 returns 412 PreconditionFailed when the key exists, and 409 ConditionalRequestConflict when a
# concurrent conditional write to the same key is in flight; both mean another request stored it.
_ALREADY_EXISTS = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})
_NOT_FOUND = frozenset({"NoSuchKey", "404", "NotFound"})


def make_s3_client(
    endpoint_url: str | None = None,
    region: str | None = None,
    connect_timeout: float = 3.0,
    read_timeout: float = 8.0,
    max_attempts: int = 2,
) -> Any:
    """Build an S3 client with short timeouts, so a hung store yields 503 before the gateway's 29 s.

    Two attempts of at most 3 + 8 seconds each stay under API Gateway's 29-second integration timeout.
    """
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"max_attempts": max_attempts, "mode": "standard"},
    )
    return boto3.client("s3", endpoint_url=endpoint_url, region_name=region, config=config)


class S3Store:
    def __init__(self, bucket: str, client: Any = None):
        self.bucket = bucket
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = make_s3_client()
        return self._client

    def put_if_absent(self, key: str, data: bytes, metadata: dict[str, str]) -> bool:
        try:
            self._put_object(key, data, metadata, IfNoneMatch="*")
        except _boto_errors() as error:
            if _error_code(error) in _ALREADY_EXISTS:
                return False
            raise _unavailable("write", key, error) from error
        return True

    def put(self, key: str, data: bytes, metadata: dict[str, str]) -> None:
        try:
            self._put_object(key, data, metadata)
        except _boto_errors() as error:
            raise _unavailable("write", key, error) from error

    def _put_object(self, key: str, data: bytes, metadata: dict[str, str], **conditions: str) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=check_key(key),
            Body=data,
            Metadata=metadata,
            ContentType="application/json",
            **conditions,
        )

    def get(self, key: str) -> bytes | None:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=check_key(key))
            return response["Body"].read()
        except _boto_errors() as error:
            if _error_code(error) in _NOT_FOUND:
                return None
            raise _unavailable("read", key, error) from error

    def delete(self, key: str) -> bool:
        # S3's DeleteObject succeeds for missing keys, so existence is checked first.
        try:
            self.client.head_object(Bucket=self.bucket, Key=check_key(key))
        except _boto_errors() as error:
            if _error_code(error) in _NOT_FOUND:
                return False
            raise _unavailable("read", key, error) from error
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except _boto_errors() as error:
            raise _unavailable("delete", key, error) from error
        return True

    def list(self, prefix: str) -> list[str]:
        keys: list[str] = []
        try:
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                keys.extend(item["Key"] for item in page.get("Contents", []))
        except _boto_errors() as error:
            raise _unavailable("list", prefix, error) from error
        return sorted(keys)


def _boto_errors() -> tuple[type[Exception], ...]:
    # Evaluated only when an exception is raised, after boto3 has been imported by the client.
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError)


def _error_code(error: Exception) -> str | None:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code is not None else None
    return None


def _unavailable(action: str, key: str, error: Exception) -> StoreUnavailable:
    code = _error_code(error) or type(error).__name__
    return StoreUnavailable(f"S3 {action} of {key} failed: {code}")
