"""The ``destkit`` command line.

Each module in this package that defines ``register(subparsers)`` adds one subcommand; the
parser it registers sets ``handler``, a function that takes the parsed arguments and returns
the exit status. Exit statuses: 0 success, 1 compliance violation or failed check, 2 invalid
config or usage, 3 internal error.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence

from destkit import __version__
from destkit.config import ConfigError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class UsageError(Exception):
    """Invalid command-line usage or input file; exits with status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="destkit",
        description="Plan, serve, test and register an Adobe Experience Platform destination built with Pulumi.",
    )
    parser.add_argument("--version", action="version", version=f"destkit {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages to stderr")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    package = importlib.import_module("destkit.cli")
    for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if module_info.name in ("main", "__main__") or module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"destkit.cli.{module_info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_request:
        # argparse exits with 2 on usage errors and 0 after --help or --version.
        return int(exit_request.code or 0)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(handler(args))
    except ConfigError as error:
        print(f"destkit: {error}", file=sys.stderr)
        return EXIT_USAGE
    except UsageError as error:
        print(f"destkit: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        logging.getLogger("destkit").debug("internal error", exc_info=True)
        print(
            f"destkit: internal error: {type(error).__name__}: {error} (rerun with -v for the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
