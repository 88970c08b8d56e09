"""AEP's export file names: format, codec, part number and the name macros that can be recognised.

AEP builds a file name from the macros chosen in ``filenameConfig`` joined by ``_``, then adds the
extension. Exports larger than 5 million rows are split: the first part keeps the name, later parts
get ``_2``, ``_3`` and so on before the extension (``filename.csv``, ``filename_2.csv``).
``DATETIME`` is ``YYYYMMDD_HHMMSS`` and ``TIMESTAMP`` is a 10-digit Unix time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath

from destkit.files.compression import SUFFIXES

FORMATS = ("csv", "json", "parquet")

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_DATETIME = re.compile(r"(?<![0-9])(\d{8})_(\d{6})(?![0-9])")
_TIMESTAMP = re.compile(r"(?<![0-9])(\d{10})(?![0-9])")
# Part numbers have at most 5 digits, so a 6-digit time or a 10-digit TIMESTAMP is never taken for one.
_PART = re.compile(r"^(?P<base>.+)_(?P<part>[2-9]|[1-9]\d{1,4})$")


@dataclass(frozen=True)
class ExportName:
    """Fields parsed from an export file's name: format, outer codec, part and recognised macros."""

    name: str
    stem: str
    file_type: str | None
    compression: str
    part: int
    segment_ids: tuple[str, ...]
    exported_at: datetime | None


def parse_export_name(path: str) -> ExportName:
    """Parse a file name such as ``acme_<segment id>_20250302_081500.csv.gz``."""
    name = PurePosixPath(path.replace("\\", "/")).name
    rest = name
    compression = "none"
    lowered = rest.lower()
    for suffix, codec in SUFFIXES.items():
        if lowered.endswith(suffix):
            compression = codec
            rest = rest[: -len(suffix)]
            break

    file_type = None
    for candidate in FORMATS:
        if rest.lower().endswith("." + candidate):
            file_type = candidate
            rest = rest[: -len(candidate) - 1]
            break
    if file_type == "parquet" and rest.lower().endswith((".snappy", ".gz", ".gzip")):
        # Spark names Parquet files by their column codec (``part-0.snappy.parquet``); the codec
        # sits inside the file, so there is no outer compression to undo.
        rest = rest.rsplit(".", 1)[0]

    part = 1
    match = _PART.match(rest)
    if match:
        part = int(match.group("part"))
        rest = match.group("base")

    exported_at = None
    datetime_match = _DATETIME.search(rest)
    if datetime_match:
        try:
            exported_at = datetime.strptime("".join(datetime_match.groups()), "%Y%m%d%H%M%S").replace(
                tzinfo=UTC
            )
        except ValueError:
            exported_at = None
    else:
        timestamp_match = _TIMESTAMP.search(rest)
        if timestamp_match:
            exported_at = datetime.fromtimestamp(int(timestamp_match.group(1)), tz=UTC)

    return ExportName(
        name=name,
        stem=rest,
        file_type=file_type,
        compression=compression,
        part=part,
        segment_ids=tuple(m.group(0).lower() for m in _UUID.finditer(rest)),
        exported_at=exported_at,
    )


def group_parts(paths: list[str]) -> dict[str, list[str]]:
    """Group the files of multi-part exports by their shared stem, each list ordered by part number."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for path in paths:
        parsed = parse_export_name(path)
        key = str(PurePosixPath(path.replace("\\", "/")).parent / parsed.stem)
        groups.setdefault(key, []).append((parsed.part, path))
    return {key: [path for _, path in sorted(members)] for key, members in sorted(groups.items())}
