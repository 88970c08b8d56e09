"""Read the files AEP exports to batch destinations (CSV, JSON, Parquet; every codec AEP offers)."""

from destkit.files.csvparse import CsvOptions
from destkit.files.naming import ExportName, group_parts, parse_export_name
from destkit.files.reader import (
    ExportFileError,
    ExportTable,
    ReadOptions,
    read_export,
    read_export_bytes,
    read_export_parts,
)

__all__ = [
    "CsvOptions",
    "ExportFileError",
    "ExportName",
    "ExportTable",
    "ReadOptions",
    "group_parts",
    "parse_export_name",
    "read_export",
    "read_export_bytes",
    "read_export_parts",
]
