"""Sample data that verify sends: a profile batch rendered from the message template, and export files."""

from __future__ import annotations

import gzip
import io
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from destkit.adobe.pebble import render
from destkit.adobe.streaming import message_template

SAMPLE_ROWS: list[dict[str, Any]] = [
    {"email_sha256": "9f2ce41a", "segmentMembership": "realized", "tier": "gold"},
    {"email_sha256": "44b07c02", "segmentMembership": "exited", "tier": None},
]


def sample_profiles(run_id: str) -> list[dict[str, Any]]:
    """Return two profiles in the shape AEP passes to message templates (target schema)."""
    audience = str(uuid.uuid5(uuid.NAMESPACE_URL, f"destkit-verify/{run_id}"))
    return [
        {
            "segmentMembership": {
                "ups": {audience: {"lastQualificationTime": "2025-03-02T08:15:00Z", "status": "realized"}}
            },
            "identityMap": {"email_sha256": [{"id": f"destkit-verify-{run_id}-1"}]},
            "attributes": {"tier": {"value": "gold"}, "postcode": {}},
        },
        {
            "segmentMembership": {
                "ups": {audience: {"lastQualificationTime": "2025-03-02T08:15:00Z", "status": "exited"}}
            },
            "identityMap": {"email_sha256": [{"id": f"destkit-verify-{run_id}-2"}]},
            "attributes": {},
        },
    ]


def sample_batch(run_id: str) -> bytes:
    """Render the kit's message template on the sample profiles, as AEP would before posting."""
    return render(message_template(), {"input": {"profiles": sample_profiles(run_id)}}).encode()


@dataclass(frozen=True)
class SampleFile:
    name: str
    data: bytes
    file_type: str


def _csv_bytes() -> bytes:
    lines = ["email_sha256,segmentMembership,tier"]
    for row in SAMPLE_ROWS:
        lines.append(",".join("" if row[key] is None else str(row[key]) for key in row))
    return ("\n".join(lines) + "\n").encode()


def _parquet_bytes() -> bytes | None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return None
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(SAMPLE_ROWS), buffer, compression="snappy")
    return buffer.getvalue()


def sample_files(run_id: str) -> tuple[list[SampleFile], list[str]]:
    """Return one sample export per format, named as AEP names them, and the formats that were skipped."""
    stamp = datetime.now(UTC).strftime("%Y%m%d_%H%M%S")
    stem = f"destkit-verify_{uuid.uuid5(uuid.NAMESPACE_URL, run_id)}_{stamp}"
    files = [
        SampleFile(f"{stem}.csv.gz", gzip.compress(_csv_bytes()), "csv"),
        SampleFile(f"{stem}.json", "".join(json.dumps(row) + "\n" for row in SAMPLE_ROWS).encode(), "json"),
    ]
    skipped = []
    parquet = _parquet_bytes()
    if parquet is None:
        skipped.append("parquet (install pyarrow to check it)")
    else:
        files.append(SampleFile(f"{stem}.parquet", parquet, "parquet"))
    return files, skipped


def expected_rows(file_type: str) -> list[dict[str, Any]]:
    """Rows a reader returns for the sample of ``file_type``: CSV values are text, null is None."""
    if file_type == "csv":
        return [{key: None if value is None else str(value) for key, value in row.items()} for row in SAMPLE_ROWS]
    return SAMPLE_ROWS
