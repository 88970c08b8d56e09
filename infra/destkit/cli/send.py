"""``destkit send``: post realistic profile batches to an endpoint the way AEP does."""

from __future__ import annotations

import argparse
import base64
import json
from typing import Any

from destkit.cli.main import EXIT_FAILED, EXIT_OK, UsageError
from destkit.sender.client import ClientCredentialsToken, HttpClient
from destkit.sender.policy import POLICIES
from destkit.sender.run import Sender, SendOptions


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "send",
        help="send AEP-shaped profile batches to a streaming endpoint",
        description=(
            "Behave like AEP: obtain a token (oauth2), post batches of realistic profiles in the kit's "
            "default payload, retry the statuses the chosen aggregation policy retries on its schedule, "
            "drop a batch when retries are exhausted, and print a JSON summary as the last line. "
            "Exit status 0 when every profile was accepted, 1 otherwise."
        ),
    )

    parser.add_argument("--url", required=True, help="intake URL, for example http://127.0.0.1:8080/v1/profiles")

    auth = parser.add_argument_group("authentication (choose one)")
    auth.add_argument("--token-url", help="OAuth 2.0 token endpoint (client-credentials grant)")
    auth.add_argument("--client-id", help="OAuth 2.0 client id")
    auth.add_argument("--client-secret", help="OAuth 2.0 client secret")
    auth.add_argument("--scope", help="scope to request from the token endpoint (default: none)")
    auth.add_argument("--bearer-token", help="static bearer token")
    auth.add_argument("--username", help="HTTP Basic user name")
    auth.add_argument("--password", help="HTTP Basic password")

    parser.add_argument(
        "--profiles",
        type=int,
        required=True,
        help="number of profiles to send; all batches are rendered first, about 0.5 KB of memory per profile",
    )
    parser.add_argument("--batch-size", type=int, default=1000, help="profiles per request (default: 1000)")
    parser.add_argument("--concurrency", type=int, default=1, help="requests in flight at once (default: 1)")
    parser.add_argument(
        "--aggregation",
        choices=sorted(POLICIES),
        default="configurable",
        help="AEP aggregation policy whose retry rules to follow (default: configurable)",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="factor applied to AEP's retry delays, for example 0.001 turns 15 s into 15 ms (default: 1)",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated profiles (default: 1)")
    parser.add_argument("--timeout", type=float, default=30.0, help="per-request timeout in seconds (default: 30)")

    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    _check_numbers(args)
    http = HttpClient(timeout_seconds=args.timeout)
    token, authorization = _authentication(args, http)
    options = SendOptions(
        url=args.url,
        profiles=args.profiles,
        batch_size=args.batch_size,
        concurrency=args.concurrency,
        policy=POLICIES[args.aggregation],
        time_scale=args.time_scale,
        seed=args.seed,
    )
    summary = Sender(options, authorization, token=token, http=http).run()
    print(json.dumps(summary.as_dict()), flush=True)
    return EXIT_OK if summary.accepted_profiles == args.profiles else EXIT_FAILED


def _check_numbers(args: argparse.Namespace) -> None:
    if not args.url.startswith(("http://", "https://")):
        raise UsageError(f"--url {args.url!r} is invalid; use an http:// or https:// URL")
    for name in ("profiles", "batch_size", "concurrency"):
        value = getattr(args, name)
        if value < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1 (received {value})")
    if args.batch_size > 10_000:
        raise UsageError(f"--batch-size {args.batch_size} exceeds AEP's maximum of 10000 profiles per request")
    if args.time_scale < 0:
        raise UsageError(f"--time-scale must not be negative (received {args.time_scale})")


def _authentication(args: argparse.Namespace, http: HttpClient) -> tuple[ClientCredentialsToken | None, Any]:
    oauth = [args.token_url, args.client_id, args.client_secret]
    basic = [args.username, args.password]
    chosen = [any(oauth), bool(args.bearer_token), any(basic)]
    if sum(chosen) > 1:
        raise UsageError(
            "choose one authentication: --token-url/--client-id/--client-secret, --bearer-token, "
            "or --username/--password"
        )
    if any(oauth):
        if not all(oauth):
            raise UsageError("oauth2 needs --token-url, --client-id and --client-secret together")
        return ClientCredentialsToken(http, args.token_url, args.client_id, args.client_secret, args.scope), None
    if args.bearer_token:
        header = f"Bearer {args.bearer_token}"
        return None, lambda: header
    if any(basic):
        if not all(basic):
            raise UsageError("basic authentication needs --username and --password together")
        encoded = base64.b64encode(f"{args.username}:{args.password}".encode()).decode()
        header = f"Basic {encoded}"
        return None, lambda: header
    return None, None
