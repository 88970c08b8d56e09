"""Throughput of destkit.files on AEP-shaped exports: CSV (gzip), JSON Lines (gzip) and Parquet (snappy).

AEP splits exports at 5 million rows, so the figure that matters is the time to read one full part,
extrapolated here from a smaller file. Usage: .venv/bin/python bench/files_reader.py [--rows N] [--repeat R]
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import statistics
import time

import pyarrow as pa
import pyarrow.parquet as pq

from destkit.files import read_export_bytes

PART_ROWS = 5_000_000


def make_rows(count: int) -> list[dict[str, str | None]]:
    return [
        {
            "email_sha256": f"{index:064x}",
            "crm_id": f"CRM-{index}",
            "segment": "realized" if index % 3 else "exited",
            "city": 'Zürich, "Altstadt"' if index % 7 == 0 else "Berlin",
            "tier": None if index % 5 == 0 else "gold",
        }
        for index in range(count)
    ]


def encode(rows: list[dict[str, str | None]]) -> dict[str, bytes]:
    header = list(rows[0])
    lines = [",".join(header)]
    for row in rows:
        cells = []
        for key in header:
            value = row[key]
            if value is None:
                cells.append("")
            elif "," in value or '"' in value:
                cells.append('"' + value.replace('"', '\\"') + '"')
            else:
                cells.append(value)
        lines.append(",".join(cells))
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), buffer, compression="snappy")
    return {
        "export.csv.gz": gzip.compress(("\n".join(lines) + "\n").encode()),
        "export.json.gz": gzip.compress("".join(json.dumps(row) + "\n" for row in rows).encode()),
        "export.parquet": buffer.getvalue(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    files = encode(make_rows(args.rows))
    print(f"rows per file: {args.rows}")
    for name, data in files.items():
        timings = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            table = read_export_bytes(data, name)
            timings.append(time.perf_counter() - start)
            assert len(table.rows) == args.rows
        median = statistics.median(timings)
        rate = args.rows / median
        print(
            f"{name}: {len(data):,} bytes, median {median * 1000:.0f} ms, {rate:,.0f} rows/s, "
            f"5M-row part about {PART_ROWS / rate:.0f} s"
        )


if __name__ == "__main__":
    main()
