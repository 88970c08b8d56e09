"""Writers that produce export files the way AEP (Apache Spark) writes them."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import struct
import zlib
from typing import Any

import cramjam
import pyarrow as pa
import pyarrow.parquet as pq

ROWS: list[dict[str, Any]] = [
    {"email": "ana@example.com", "segment": "realized", "note": 'says "hi", then leaves'},
    {"email": "bo@example.com", "segment": "exited", "note": "line one\nline two"},
    {"email": "cy@example.com", "segment": "existing", "note": None},
    {"email": "dé@example.com", "segment": "realized", "note": ""},
]


def hadoop_blocks(data: bytes, compress_chunk: Any, block: int = 64) -> bytes:
    """Frame ``data`` the way Hadoop's BlockCompressorStream does (small blocks to exercise the loop)."""
    out = bytearray()
    for start in range(0, len(data), block):
        piece = data[start : start + block]
        compressed = bytes(compress_chunk(piece))
        out += struct.pack(">I", len(piece)) + struct.pack(">I", len(compressed)) + compressed
    return bytes(out)


def compress(data: bytes, codec: str) -> bytes:
    if codec == "none":
        return data
    if codec == "gzip":
        return gzip.compress(data)
    if codec == "bzip2":
        return bz2.compress(data)
    if codec == "deflate":
        return zlib.compress(data)
    if codec == "lz4":
        return hadoop_blocks(data, lambda piece: cramjam.lz4.compress_block(piece, store_size=False))
    if codec == "snappy":
        return hadoop_blocks(data, cramjam.snappy.compress_raw)
    raise AssertionError(codec)


def write_csv(
    rows: list[dict[str, Any]],
    sep: str = ",",
    quote: str = '"',
    escape: str = "\\",
    header: bool = True,
    null_value: str = "",
    line_sep: str = "\n",
) -> str:
    """Write CSV as Spark does: quote a field when it needs it, escape quotes with ``escape``."""

    def field(value: Any) -> str:
        if value is None:
            return null_value
        text = str(value)
        if text == "":
            return quote + quote
        needs = sep in text or quote in text or "\n" in text or "\r" in text or text != text.strip()
        if not needs:
            return text
        body = text.replace(escape, escape + escape).replace(quote, escape + quote)
        return quote + body + quote

    columns = list(rows[0]) if rows else ["email"]
    lines = []
    if header:
        lines.append(sep.join(columns))
    for row in rows:
        lines.append(sep.join(field(row[c]) for c in columns))
    return line_sep.join(lines) + (line_sep if lines else "")


def write_json_lines(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


def write_parquet(rows: list[dict[str, Any]], codec: str = "snappy") -> bytes:
    buffer = io.BytesIO()
    table = pa.Table.from_pylist(rows) if rows else pa.table({"email": pa.array([], pa.string())})
    pq.write_table(table, buffer, compression=codec)
    return buffer.getvalue()
