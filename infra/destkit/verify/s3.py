"""S3 checks with each tenant's writer access key, the credential AEP's S3 destination holds.

Isolation, as AEP's documented writer policy provides it: object actions are granted on the tenant's
folder only, so writing into another tenant's folder must fail. ``s3:ListBucket`` is granted on the
whole bucket, so a writer's listing reaches every tenant's object names. The check reports that
listing as a fact instead of failing on it.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from destkit.adobe.outputs import StackOutputs
from destkit.verify.batch import StoreError, join, round_trip
from destkit.verify.checklist import Checklist

AREA = "s3"

# The IAM action each call needs, so a denial names the permission to add.
ACTIONS = {"put": "s3:PutObject", "list": "s3:ListBucket", "get": "s3:GetObject", "delete": "s3:DeleteObject"}


def _fail(action: str, target: str, error: Exception) -> StoreError:
    from botocore.exceptions import ClientError

    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        if code in ("AccessDenied", "403", "Forbidden") and target.startswith("gs://"):
            return StoreError(f"{code} for {action} on {target}: the HMAC key's service account lacks access")
        if code in ("AccessDenied", "403", "Forbidden"):
            return StoreError(
                f"{code} for {ACTIONS[action]} on {target}: the writer policy must allow {ACTIONS[action]}"
            )
        return StoreError(f"{action} {target} failed: {code} {error.response.get('Error', {}).get('Message', '')}")
    return StoreError(f"{action} {target} failed: {error}")


@dataclass
class S3Store:
    client: Any
    bucket: str
    scheme: str = "s3"

    def put(self, name: str, data: bytes) -> None:
        try:
            self.client.put_object(Bucket=self.bucket, Key=name, Body=data)
        except Exception as error:  # botocore raises several unrelated types
            raise _fail("put", f"{self.scheme}://{self.bucket}/{name}", error) from error

    def list(self, prefix: str) -> list[str]:
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
            return [item["Key"] for page in pages for item in page.get("Contents", [])]
        except Exception as error:
            raise _fail("list", f"{self.scheme}://{self.bucket}/{prefix}", error) from error

    def get(self, name: str) -> bytes:
        try:
            return bytes(self.client.get_object(Bucket=self.bucket, Key=name)["Body"].read())
        except Exception as error:
            raise _fail("get", f"{self.scheme}://{self.bucket}/{name}", error) from error

    def delete(self, name: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=name)
        except Exception as error:
            raise _fail("delete", f"{self.scheme}://{self.bucket}/{name}", error) from error


def verify_s3(
    outputs: StackOutputs, checklist: Checklist, run_id: str, endpoint_url: str | None, region: str | None
) -> None:
    import boto3

    bucket = str(outputs.get("s3_bucket"))
    prefixes = outputs.tenant_map("s3_prefixes")
    key_ids = outputs.tenant_map("s3_access_key_ids")
    secrets = outputs.tenant_map("s3_secret_access_keys")
    tenants = [str(t) for t in outputs.get("tenants") or []]
    stores = {}
    for tenant in tenants:
        if tenant not in key_ids or tenant not in secrets:
            if outputs.tenant_map("s3_role_arns").get(tenant):
                checklist.failed(
                    AREA,
                    tenant,
                    "writer credentials",
                    "the writer is an assumed role that only AEP's AWS account can assume: verify cannot act as it",
                )
            else:
                checklist.failed(
                    AREA, tenant, "writer credentials", "s3_access_key_ids or s3_secret_access_keys missing"
                )
            continue
        client = boto3.client(
            "s3",
            aws_access_key_id=key_ids[tenant],
            aws_secret_access_key=secrets[tenant],
            endpoint_url=endpoint_url,
            region_name=region or str(outputs.get("region") or "us-east-1"),
        )
        stores[tenant] = S3Store(client, bucket)
        round_trip(stores[tenant], AREA, tenant, str(prefixes.get(tenant, "")), run_id, checklist)

    for tenant, store in stores.items():
        _isolation(store, tenant, tenants, prefixes, run_id, checklist)


def _isolation(
    store: S3Store, tenant: str, tenants: list[str], prefixes: dict[str, Any], run_id: str, checklist: Checklist
) -> None:
    for other in tenants:
        if other == tenant or other not in prefixes:
            continue
        key = join(str(prefixes[other]), f"destkit-verify-{run_id}/written-by-{tenant}.txt")
        try:
            store.put(key, b"isolation probe\n")
        except StoreError:
            checklist.passed(AREA, tenant, f"cannot write into {other}'s folder")
            continue
        checklist.failed(
            AREA,
            tenant,
            f"cannot write into {other}'s folder",
            f"{tenant}'s writer wrote s3://{store.bucket}/{key}; scope its policy to its own folder",
        )
        with contextlib.suppress(StoreError):
            store.delete(key)

    try:
        names = store.list("")
    except StoreError:
        checklist.passed(AREA, tenant, "bucket listing", "denied outside the tenant's folder")
        return
    own = str(prefixes.get(tenant, ""))
    foreign = [name for name in names if not name.startswith(own.strip("/") + "/")]
    checklist.passed(
        AREA,
        tenant,
        "bucket listing",
        f"reaches the whole bucket ({len(foreign)} object name(s) outside its folder), as AEP's documented "
        "policy grants s3:ListBucket on the bucket",
    )
