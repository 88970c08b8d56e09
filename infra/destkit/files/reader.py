"""Read the files AEP exports to a batch destination: CSV, JSON and Parquet, compressed or not.

``read_export`` returns every row of a file or raises ExportFileError. It never returns the rows
before a malformed spot, so a caller can trust that a returned table is the whole file.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from destkit.files.compression import CompressionError, decompress, normalise_codec
from destkit.files.csvparse import CsvOptions, CsvSyntaxError, parse_csv
from destkit.files.naming import FORMATS, parse_export_name
from destkit.files.pgp import looks_encrypted

PARQUET_MAGIC = b"PAR1"


class ExportFileError(ValueError):
    """The file cannot be read as the stated export format; the message names the file and the cause."""


@dataclass(frozen=True)
class ReadOptions:
    """How to read one export.

    ``file_type`` and ``compression`` default to the values parsed from the file name.
    """

    file_type: str | None = None
    compression: str | None = None
    csv: CsvOptions = field(default_factory=CsvOptions)


@dataclass
class ExportTable:
    """The rows of one export (or of all parts of a multi-part export), in file order."""

    file_type: str
    compression: str
    columns: list[str]
    rows: list[dict[str, Any]]
    files: list[str]


def _decode(data: bytes, encoding: str, source: str) -> str:
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        raise ExportFileError(f"{source}: not valid {encoding} text: {error}") from error
    return text.removeprefix("\ufeff")


def _read_csv(data: bytes, options: CsvOptions, source: str) -> tuple[list[str], list[dict[str, Any]]]:
    text = _decode(data, options.encoding, source)
    try:
        records = parse_csv(text, options)
    except CsvSyntaxError as error:
        raise ExportFileError(f"{source}: malformed CSV at {error}") from error
    except ValueError as error:
        raise ExportFileError(f"{source}: {error}") from error
    if not records:
        return [], []

    if options.header:
        header = records[0]
        if any(name is None or name == "" for name in header):
            raise ExportFileError(f"{source}: the header row has an empty column name: {header}")
        columns = [str(name) for name in header]
        if len(set(columns)) != len(columns):
            raise ExportFileError(f"{source}: the header row repeats a column name: {columns}")
        body = records[1:]
        first_line = 2
    else:
        columns = [f"_c{index}" for index in range(len(records[0]))]
        body = records
        first_line = 1

    rows = []
    for offset, record in enumerate(body):
        if len(record) != len(columns):
            raise ExportFileError(
                f"{source}: record {first_line + offset} has {len(record)} fields, "
                f"the header has {len(columns)} (wrong delimiter or a truncated file?)"
            )
        rows.append(dict(zip(columns, record, strict=True)))
    return columns, rows


def _read_json(data: bytes, encoding: str, source: str) -> tuple[list[str], list[dict[str, Any]]]:
    text = _decode(data, encoding, source)
    stripped = text.strip()
    if not stripped:
        return [], []
    rows: list[dict[str, Any]] = []
    if stripped.startswith("["):
        try:
            parsed = json.loads(stripped)
        except json.JSONDecodeError as error:
            raise ExportFileError(f"{source}: malformed JSON array: {error}") from error
        items: Iterable[tuple[int, Any]] = enumerate(parsed, start=1)
        unit = "element"
    else:
        # AEP (Spark) writes JSON Lines: one object per line.
        parsed_lines = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                parsed_lines.append((number, json.loads(line)))
            except json.JSONDecodeError as error:
                raise ExportFileError(f"{source}: line {number} is not valid JSON: {error.msg}") from error
        items = parsed_lines
        unit = "line"
    for number, item in items:
        if not isinstance(item, dict):
            raise ExportFileError(f"{source}: {unit} {number} is a {type(item).__name__}, expected an object")
        rows.append(item)
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    return columns, rows


def _read_parquet(data: bytes, source: str) -> tuple[list[str], list[dict[str, Any]]]:
    if len(data) < 12 or not (data.startswith(PARQUET_MAGIC) and data.endswith(PARQUET_MAGIC)):
        raise ExportFileError(f"{source}: not a Parquet file (missing PAR1 header or footer; truncated?)")
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as error:  # pragma: no cover - pyarrow is a test dependency of the kit
        raise ExportFileError("reading Parquet needs the pyarrow package: pip install pyarrow") from error
    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError) as error:
        raise ExportFileError(f"{source}: corrupt Parquet file: {error}") from error
    return list(table.column_names), table.to_pylist()


def read_export_bytes(data: bytes, name: str, options: ReadOptions | None = None) -> ExportTable:
    """Read one export held in memory; ``name`` gives the format and codec unless ``options`` set them."""
    options = options or ReadOptions()
    # An encrypted file needs its key before anything else, whatever its name suggests.
    if looks_encrypted(data):
        raise ExportFileError(
            f"{name}: the file is PGP-encrypted: pass the private key (--pgp-key) or run gpg --decrypt"
        )
    parsed = parse_export_name(name)
    file_type = (options.file_type or parsed.file_type or "").lower()
    if file_type not in FORMATS:
        raise ExportFileError(
            f"{name}: cannot tell the file type from the name; pass it with --type ({', '.join(FORMATS)})"
        )
    try:
        codec = normalise_codec(options.compression) if options.compression else parsed.compression
    except ValueError as error:
        raise ExportFileError(f"{name}: {error}") from error

    if file_type == "parquet" and codec != "none" and data.startswith(PARQUET_MAGIC):
        # Parquet compresses inside the file; a Parquet codec in the options is not an outer layer.
        codec = "none"
    try:
        plain = decompress(data, codec)
    except CompressionError as error:
        raise ExportFileError(f"{name}: {error}") from error

    if file_type == "csv":
        columns, rows = _read_csv(plain, options.csv, name)
    elif file_type == "json":
        columns, rows = _read_json(plain, options.csv.encoding, name)
    else:
        columns, rows = _read_parquet(plain, name)
    return ExportTable(file_type=file_type, compression=codec, columns=columns, rows=rows, files=[name])


def read_export(path: str | Path, options: ReadOptions | None = None) -> ExportTable:
    """Read one export file from disk."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ExportFileError(f"{path}: cannot read the file: {error.strerror or error}") from error
    return read_export_bytes(data, str(path), options)


def read_export_parts(paths: Sequence[str | Path], options: ReadOptions | None = None) -> ExportTable:
    """Read the parts of one multi-part export in part order and join their rows.

    Every part must exist, have the same columns, and the part numbers must run 1, 2, ... without a
    gap, because a missing part means missing rows.
    """
    if not paths:
        raise ExportFileError("no files given: pass the parts of one export")
    ordered = sorted((parse_export_name(str(path)).part, Path(path)) for path in paths)
    numbers = [number for number, _ in ordered]
    if numbers != list(range(1, len(numbers) + 1)):
        raise ExportFileError(
            f"export parts are {numbers}: a part is missing or repeated, expected 1..{len(numbers)}"
        )

    tables = [read_export(path, options) for _, path in ordered]
    first = tables[0]
    for table in tables[1:]:
        if table.rows and first.rows and table.columns != first.columns:
            raise ExportFileError(
                f"{table.files[0]}: columns {table.columns} differ from part 1's {first.columns}"
            )
    merged = replace(first, rows=[], files=[])
    for table in tables:
        merged.rows.extend(table.rows)
        merged.files.extend(table.files)
        if not merged.columns:
            merged.columns = table.columns
    return merged


def summarise(table: ExportTable, sample: int = 5) -> dict[str, Any]:
    """Describe a table for ``destkit files inspect``: format, codec, columns, row count, first rows."""
    buffer = io.StringIO()
    json.dump(table.rows[:sample], buffer, default=str)
    return {
        "files": table.files,
        "file_type": table.file_type,
        "compression": table.compression,
        "columns": table.columns,
        "rows": len(table.rows),
        "sample": json.loads(buffer.getvalue()),
    }
