"""Cloud Storage checks with each tenant's HMAC key, the credential AEP's GCS destination holds.

AEP reaches Cloud Storage through its XML API with an HMAC access id and secret, which the XML API
accepts in AWS Signature Version 4 form, so an S3 client pointed at the XML endpoint acts exactly like
AEP's writer. Isolation: the kit scopes each tenant's service account to its own folder, so writing
into another tenant's folder must fail.
"""

from __future__ import annotations

import contextlib
from typing import Any

from destkit.adobe.outputs import StackOutputs
from destkit.verify.batch import StoreError, join, round_trip
from destkit.verify.checklist import Checklist
from destkit.verify.s3 import S3Store

AREA = "gcs"


def verify_gcs(outputs: StackOutputs, checklist: Checklist, run_id: str, endpoint_url: str | None) -> None:
    import boto3
    from botocore.config import Config

    if not endpoint_url:
        checklist.failed(AREA, "", "XML API endpoint", "no endpoint given: pass --gcs-endpoint")
        return
    # The XML API rejects the flexible checksum headers that botocore adds by default.
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path"},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    bucket = str(outputs.get("gcs_bucket"))
    prefixes = outputs.tenant_map("gcs_prefixes")
    ids = outputs.tenant_map("gcs_hmac_access_ids")
    secrets = outputs.tenant_map("gcs_hmac_secrets")
    tenants = [str(t) for t in outputs.get("tenants") or []]
    stores: dict[str, Any] = {}
    for tenant in tenants:
        if tenant not in ids or tenant not in secrets:
            checklist.failed(AREA, tenant, "writer credentials", "gcs_hmac_access_ids or gcs_hmac_secrets missing")
            continue
        client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            aws_access_key_id=str(ids[tenant]),
            aws_secret_access_key=str(secrets[tenant]),
            region_name="auto",
            config=config,
        )
        stores[tenant] = S3Store(client, bucket, scheme="gs")
        round_trip(stores[tenant], AREA, tenant, str(prefixes.get(tenant, "")), run_id, checklist)

    for tenant, store in stores.items():
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
                f"{tenant}'s HMAC key wrote gs://{bucket}/{key}; limit its service account to its own folder",
            )
            with contextlib.suppress(StoreError):
                store.delete(key)
