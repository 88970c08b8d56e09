"""Batch checks shared by every location: write, list, read back and delete sample exports.

These are the actions AEP documents for its writer (S3 lists them as PutObject, ListBucket,
GetObject and DeleteObject). Each location module supplies a ``Store`` that performs them with the
tenant's writer credentials exactly as AEP stores them.
"""

from __future__ import annotations

from typing import Protocol

from destkit.files import ExportFileError, read_export_bytes
from destkit.verify.checklist import Checklist
from destkit.verify.samples import expected_rows, sample_files


class StoreError(Exception):
    """A storage call failed; the message names the action, the object and the cause."""


class Store(Protocol):
    def put(self, name: str, data: bytes) -> None: ...

    def list(self, prefix: str) -> list[str]: ...

    def get(self, name: str) -> bytes: ...

    def delete(self, name: str) -> None: ...


def join(prefix: str, name: str) -> str:
    """Join a folder and a name with one slash, keeping a leading slash (absolute SFTP roots)."""
    return f"{prefix.rstrip('/')}/{name}" if prefix else name


def round_trip(store: Store, area: str, tenant: str, folder: str, run_id: str, checklist: Checklist) -> None:
    """Write one sample export per format under ``folder``, then list, read back and delete each."""
    files, skipped = sample_files(run_id)
    directory = join(folder, f"destkit-verify-{run_id}")
    for sample in files:
        key = join(directory, sample.name)
        label = f"{sample.file_type} export"
        try:
            store.put(key, sample.data)
        except StoreError as error:
            checklist.failed(area, tenant, f"write {label}", str(error))
            continue
        checklist.passed(area, tenant, f"write {label}", key)

        try:
            listed = store.list(directory)
            if key in listed:
                checklist.passed(area, tenant, f"list {label}")
            else:
                checklist.failed(area, tenant, f"list {label}", f"{key} missing from the listing of {directory}")
        except StoreError as error:
            checklist.failed(area, tenant, f"list {label}", str(error))

        try:
            table = read_export_bytes(store.get(key), sample.name)
            if table.rows == expected_rows(sample.file_type):
                checklist.passed(area, tenant, f"read back {label}")
            else:
                checklist.failed(area, tenant, f"read back {label}", "the rows read back differ from those written")
        except (StoreError, ExportFileError) as error:
            checklist.failed(area, tenant, f"read back {label}", str(error))

        try:
            store.delete(key)
            checklist.passed(area, tenant, f"delete {label}")
        except StoreError as error:
            checklist.failed(area, tenant, f"delete {label}", str(error))
    for format_name in skipped:
        checklist.passed(area, tenant, "format not checked", format_name)
