"""Azure Blob checks with each tenant's connection string, the credential AEP's Blob destination holds.

Isolation, as a Blob connection string provides it: an account-key connection string reaches every
container of its storage account. Tenants are therefore separated only when each has its own account
(``destkit:batch.blob.isolation: account_per_tenant``). The check reports which case the stack is in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from destkit.adobe.outputs import StackOutputs
from destkit.verify.batch import StoreError, round_trip
from destkit.verify.checklist import Checklist

AREA = "blob"


def _fail(action: str, target: str, error: Exception) -> StoreError:
    code = getattr(error, "error_code", None) or type(error).__name__
    message = str(getattr(error, "reason", "") or error).splitlines()[0]
    return StoreError(f"{action} {target} failed: {code}: {message}")


@dataclass
class BlobStore:
    container: Any  # azure.storage.blob.ContainerClient

    @property
    def label(self) -> str:
        return str(self.container.container_name)

    def put(self, name: str, data: bytes) -> None:
        try:
            self.container.upload_blob(name, data, overwrite=True)
        except Exception as error:  # azure-core raises several unrelated types
            raise _fail("write", f"{self.label}/{name}", error) from error

    def list(self, prefix: str) -> list[str]:
        try:
            return [str(blob.name) for blob in self.container.list_blobs(name_starts_with=prefix or None)]
        except Exception as error:
            raise _fail("list", f"{self.label}/{prefix}", error) from error

    def get(self, name: str) -> bytes:
        try:
            return bytes(self.container.download_blob(name).readall())
        except Exception as error:
            raise _fail("read", f"{self.label}/{name}", error) from error

    def delete(self, name: str) -> None:
        try:
            self.container.delete_blob(name)
        except Exception as error:
            raise _fail("delete", f"{self.label}/{name}", error) from error


def verify_blob(outputs: StackOutputs, checklist: Checklist, run_id: str) -> None:
    from azure.storage.blob import BlobServiceClient

    connection_strings = outputs.tenant_map("blob_connection_strings")
    containers = outputs.tenant_map("blob_containers")
    tenants = [str(t) for t in outputs.get("tenants") or []]
    services: dict[str, Any] = {}
    for tenant in tenants:
        if tenant not in connection_strings or tenant not in containers:
            checklist.failed(AREA, tenant, "writer credentials", "blob_connection_strings or blob_containers missing")
            continue
        try:
            service = BlobServiceClient.from_connection_string(str(connection_strings[tenant]))
        except ValueError as error:
            checklist.failed(AREA, tenant, "connection string is valid", str(error))
            continue
        services[tenant] = service
        store = BlobStore(service.get_container_client(str(containers[tenant])))
        round_trip(store, AREA, tenant, "", run_id, checklist)

    for tenant, service in services.items():
        for other in tenants:
            if other == tenant or other not in containers:
                continue
            probe = BlobStore(service.get_container_client(str(containers[other])))
            try:
                probe.list("")
            except StoreError:
                checklist.passed(AREA, tenant, f"cannot reach {other}'s container")
                continue
            checklist.passed(
                AREA,
                tenant,
                f"isolation from {other}",
                f"{tenant}'s connection string lists {other}'s container: an account-key connection string "
                "reaches the whole storage account; use one account per tenant to separate them",
            )
