"""``destkit serve``: the streaming endpoint on this machine, for development and demos."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from destkit.cli.main import EXIT_OK, UsageError
from destkit.outputs import SERVE_SINGULAR
from destkit.runtime import routes
from destkit.runtime.core import IntakeCore, IntakeSettings
from destkit.runtime.local_server import SCOPE, LocalServer, build_endpoint, generate_credentials
from destkit.runtime.store import DirectoryStore

# Same default as the AWS intake: Lambda's 6 MB event limit leaves about 4.5 MB for the body.
DEFAULT_MAX_BODY_BYTES = 4_500_000


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the streaming endpoint locally (development only: prints its generated credentials)",
        description=(
            "Serve the intake, the audience API (oauth2 and bearer) and, for oauth2, the token endpoint and "
            "JWKS, with the same core as the cloud functions and a local directory as the object store. "
            "When ready, print one JSON line with the stack output names, including every tenant's "
            "generated credentials: this command is for development and prints secrets by design."
        ),
    )

    parser.add_argument(
        "--auth",
        choices=("oauth2", "bearer", "basic"),
        default="oauth2",
        help="how clients authenticate (default: oauth2)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="TCP port; 0 picks a free port (default: 0)")
    parser.add_argument("--data-dir", help="directory for stored payloads (default: a new temporary directory)")
    parser.add_argument("--tenants", type=int, default=1, help="number of tenants to create (default: 1)")

    parser.add_argument(
        "--payload-mode",
        choices=("validate", "passthrough"),
        default="validate",
        help="validate the default payload or accept any JSON object or array (default: validate)",
    )
    parser.add_argument(
        "--max-body-bytes",
        type=int,
        default=DEFAULT_MAX_BODY_BYTES,
        help=f"largest accepted request body, in bytes (default: {DEFAULT_MAX_BODY_BYTES})",
    )
    parser.add_argument(
        "--max-decompressed-bytes",
        type=int,
        default=64 * 1024 * 1024,
        help="largest body after gzip decompression, in bytes (default: 67108864)",
    )
    parser.add_argument(
        "--token-lifetime",
        type=int,
        default=86400,
        help="access-token lifetime in seconds, oauth2 only (default: 86400)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes sharing the port; more than 1 needs os.fork (Linux, macOS) (default: 1)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not log one line per request on stderr")

    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    _check_arguments(args)
    data_dir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="destkit-serve-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    if not args.quiet:
        _log_requests_to_stderr()

    tenants = [f"tenant-{number}" for number in range(1, args.tenants + 1)]
    credentials = generate_credentials(args.auth, tenants)
    settings = IntakeSettings(
        max_body_bytes=args.max_body_bytes,
        max_decompressed_bytes=args.max_decompressed_bytes,
        payload_mode=args.payload_mode,
        audience_api=args.auth in ("oauth2", "bearer"),
    )
    core = IntakeCore(DirectoryStore(data_dir), settings)
    try:
        server = LocalServer(args.max_body_bytes, args.host, args.port)
    except OSError as error:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}") from None
    server.endpoint = build_endpoint(core, credentials, server.base_url, token_lifetime_seconds=args.token_lifetime)

    ready = json.dumps(_ready_values(args, server.base_url, data_dir, tenants, credentials))
    # The handlers are installed before the ready line, so a signal sent right after it stops cleanly.
    stop = _stop_on_signals()
    if args.workers == 1:
        _serve_until_signal(server, ready, stop)
    else:
        _serve_in_workers(server, ready, args.workers, stop)
    logging.getLogger("destkit.serve").warning("stopped")
    return EXIT_OK


class _StopRequest:
    """A flag that SIGINT and SIGTERM set, polled by the main thread.

    A ``threading.Event`` cannot be set from a signal handler: the handler runs in the main thread,
    which may hold the event's non-reentrant lock inside ``wait()``, and then deadlocks.
    """

    POLL_SECONDS = 0.1

    def __init__(self) -> None:
        self.requested = False

    def set(self) -> None:
        self.requested = True

    def wait(self) -> None:
        while not self.requested:
            time.sleep(self.POLL_SECONDS)


def _stop_on_signals() -> _StopRequest:
    stop = _StopRequest()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda number, frame: stop.set())
    return stop


def _serve_until_signal(server: LocalServer, ready: str | None, stop: _StopRequest) -> None:
    server.start_in_thread()
    if ready is not None:
        print(ready, flush=True)
        logging.getLogger("destkit.serve").warning("serving on %s; stop with Ctrl-C", server.base_url)
    stop.wait()
    server.shutdown()
    server.server_close()


def _serve_in_workers(server: LocalServer, ready: str, workers: int, stop: _StopRequest) -> None:
    """Fork ``workers`` processes that accept on the same socket; the parent only supervises them.

    The fork happens after the signing key and credentials exist, so every worker issues and accepts
    the same tokens, and the directory store's create-only writes work across processes.
    """
    # Every worker wakes up for each new connection but only one accepts it. A blocking accept() would
    # leave the others stuck there, unable to see a shutdown request. A non-blocking one lets them skip it.
    server.socket.setblocking(False)
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            try:
                # The child has its own copy of ``stop``; the inherited handlers set that copy.
                _serve_until_signal(server, None, stop)
            finally:
                os._exit(0)
        children.append(pid)
    print(ready, flush=True)
    logging.getLogger("destkit.serve").warning("serving on %s with %d workers", server.base_url, workers)
    stop.wait()
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    for pid in children:
        os.waitpid(pid, 0)
    server.server_close()


def _check_arguments(args: argparse.Namespace) -> None:
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is invalid; use 0 to 65535")
    if not 1 <= args.tenants <= 100:
        raise UsageError(f"--tenants {args.tenants} is invalid; use 1 to 100")
    if args.max_body_bytes < 1024 or args.max_decompressed_bytes < 1024:
        raise UsageError("--max-body-bytes and --max-decompressed-bytes must be at least 1024")
    if not 1 <= args.workers <= 64:
        raise UsageError(f"--workers {args.workers} is invalid; use 1 to 64")
    if args.workers > 1 and not hasattr(os, "fork"):
        raise UsageError("--workers above 1 needs os.fork, which this platform lacks; use --workers 1")
    if args.token_lifetime < 60:
        raise UsageError(f"--token-lifetime {args.token_lifetime} is too short; use at least 60 seconds")


def _ready_values(
    args: argparse.Namespace, base_url: str, data_dir: Path, tenants: list[str], credentials: Any
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "url": base_url + routes.INTAKE_PATH,
        "auth_type": args.auth,
        "max_body_bytes": args.max_body_bytes,
        "sink": str(data_dir),
        "sink_prefixes": {tenant: f"{tenant}/" for tenant in tenants},
        "tenants": tenants,
    }
    if args.auth == "oauth2":
        values["token_url"] = base_url + routes.TOKEN_PATH
        values["scope"] = SCOPE
    if args.auth in ("oauth2", "bearer"):
        values["audience_api_url"] = base_url + routes.AUDIENCES_PATH
    for plural, singular in SERVE_SINGULAR.items():
        per_tenant = getattr(credentials, plural)
        if per_tenant:
            values[plural] = per_tenant
            values[singular] = per_tenant[tenants[0]]
    return values


def _log_requests_to_stderr() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in ("destkit.intake", "destkit.serve"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
        logger.propagate = False
