"""``destkit files inspect PATH...``: read AEP export files and print what they contain."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from destkit.cli.main import EXIT_FAILED, EXIT_OK, UsageError
from destkit.files import CsvOptions, ExportFileError, ReadOptions, read_export_parts
from destkit.files.compression import CODECS
from destkit.files.naming import FORMATS, group_parts
from destkit.files.pgp import PgpError, decrypt
from destkit.files.reader import summarise


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def register(subparsers: Any) -> None:
    files = subparsers.add_parser("files", help="read files that AEP exports to batch destinations")
    actions = files.add_subparsers(dest="files_command", metavar="ACTION", required=True)
    inspect = actions.add_parser(
        "inspect",
        help="print format, codec, columns, row count and sample rows of export files",
        description="Read AEP export files. Several parts of one export (name, name_2, ...) are joined.",
    )
    inspect.add_argument("paths", nargs="+", metavar="PATH", help="export file(s)")
    inspect.add_argument("--type", choices=FORMATS, help="file type (default: from the file name)")
    inspect.add_argument("--compression", choices=CODECS, help="outer codec (default: from the file name)")
    inspect.add_argument("--sep", default=",", help="CSV delimiter, one or more characters (default ,)")
    inspect.add_argument("--quote", default='"', help='CSV quote character; empty for none (default ")')
    inspect.add_argument("--escape", default="\\", help="CSV escape character; empty for none (default \\)")
    inspect.add_argument(
        "--header", type=_bool, default=True, help="first CSV row is the header (default true)"
    )
    inspect.add_argument("--null-value", default="", help="CSV text that stands for null (default empty)")
    inspect.add_argument(
        "--empty-value", default="", help="value of a quoted empty CSV field (default empty)"
    )
    inspect.add_argument("--encoding", default="UTF-8", help="text encoding (default UTF-8)")
    inspect.add_argument("--pgp-key", type=Path, help="private key file to decrypt PGP-encrypted exports")
    inspect.add_argument("--sample", type=int, default=5, help="number of rows to print (default 5)")
    inspect.set_defaults(handler=run_inspect)


def _decrypted_copies(paths: list[Path], key_file: Path, workdir: Path) -> list[Path]:
    key = key_file.read_bytes()
    copies = []
    for path in paths:
        name = path.name.removesuffix(".gpg").removesuffix(".pgp")
        target = workdir / name
        target.write_bytes(decrypt(path.read_bytes(), key))
        copies.append(target)
    return copies


def run_inspect(args: argparse.Namespace) -> int:
    if args.sample < 0:
        raise UsageError(f"--sample {args.sample} is negative: pass 0 or more")
    csv_options = CsvOptions(
        sep=args.sep,
        quote=args.quote or None,
        escape=args.escape or None,
        header=args.header,
        null_value=args.null_value,
        empty_value=args.empty_value,
        encoding=args.encoding,
    )
    try:
        csv_options.check()
    except ValueError as error:
        raise UsageError(str(error)) from error
    options = ReadOptions(file_type=args.type, compression=args.compression, csv=csv_options)

    status = EXIT_OK
    with tempfile.TemporaryDirectory(prefix="destkit-files-") as workdir:
        paths = [Path(p) for p in args.paths]
        try:
            if args.pgp_key is not None:
                paths = _decrypted_copies(paths, args.pgp_key, Path(workdir))
        except (PgpError, OSError) as error:
            print(f"destkit: {error}", file=sys.stderr)
            return EXIT_FAILED
        for group in group_parts([str(p) for p in paths]).values():
            try:
                table = read_export_parts(group, options)
            except ExportFileError as error:
                print(f"destkit: {error}", file=sys.stderr)
                status = EXIT_FAILED
                continue
            print(json.dumps(summarise(table, args.sample), indent=2, default=str))
    return status
