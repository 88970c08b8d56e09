"""``destkit dlz pull``: copy new AEP exports from Adobe's Data Landing Zone into the partner's storage."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from destkit.adobe.authoring import fetch_ims_token
from destkit.adobe.dlz import (
    BlobTarget,
    DlzError,
    LocalTarget,
    S3Target,
    Target,
    container_from_sas,
    fetch_dlz_credentials,
    pull,
)
from destkit.adobe.http import AdobeApiError
from destkit.cli.adobe import adobe_credentials, required_url
from destkit.cli.main import EXIT_FAILED, EXIT_OK, UsageError

TARGET_CONNECTION_VARIABLE = "DESTKIT_DLZ_TARGET_CONNECTION_STRING"


def register(subparsers: Any) -> None:
    dlz = subparsers.add_parser("dlz", help="work with Adobe's Data Landing Zone")
    actions = dlz.add_subparsers(dest="dlz_command", metavar="ACTION", required=True)
    pull_parser = actions.add_parser(
        "pull",
        help="copy new exports from the Data Landing Zone into your own storage",
        description="Fetch the landing zone's SAS URI from Adobe's credentials API and copy every export "
        "that the target lacks (same name and size means already copied). Files expire in the landing "
        "zone after 7 days, so run this at least daily.",
    )
    pull_parser.add_argument(
        "--to",
        required=True,
        metavar="TARGET",
        help="a local directory, s3://BUCKET/PREFIX (boto3 credentials) or azure-blob://CONTAINER/PREFIX "
        f"(connection string in ${TARGET_CONNECTION_VARIABLE})",
    )
    pull_parser.add_argument("--prefix", default="", help="copy only blobs whose names start with PREFIX")
    pull_parser.add_argument("--sandbox", help="AEP sandbox name (default: $DESTKIT_ADOBE_SANDBOX)")
    pull_parser.add_argument("--org-id", help="IMS organization id (default: $DESTKIT_ADOBE_ORG_ID)")
    pull_parser.add_argument(
        "--platform-url", help="Experience Platform API gateway URL (default: $DESTKIT_ADOBE_PLATFORM_URL)"
    )
    pull_parser.add_argument("--ims-url", help="IMS token URL (default: $DESTKIT_ADOBE_IMS_URL)")
    pull_parser.set_defaults(handler=run_pull)


def target_from_spec(spec: str) -> Target:
    """Build the pull target from ``--to``."""
    parsed = urlsplit(spec)
    prefix = parsed.path.lstrip("/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise UsageError(f"--to {spec!r} names no bucket: use s3://BUCKET/PREFIX")
        import boto3

        return S3Target(boto3.client("s3"), parsed.netloc, prefix)
    if parsed.scheme == "azure-blob":
        connection_string = os.environ.get(TARGET_CONNECTION_VARIABLE)
        if not parsed.netloc or not connection_string:
            raise UsageError(
                f"--to {spec!r} needs azure-blob://CONTAINER/PREFIX and the connection string in "
                f"${TARGET_CONNECTION_VARIABLE}"
            )
        from azure.storage.blob import BlobServiceClient

        service = BlobServiceClient.from_connection_string(connection_string)
        return BlobTarget(service.get_container_client(parsed.netloc), prefix)
    if parsed.scheme:
        raise UsageError(f"--to {spec!r} has an unknown scheme: use a directory, s3:// or azure-blob://")
    directory = Path(spec)
    if not directory.is_dir():
        raise UsageError(f"--to {spec!r} is not an existing directory")
    return LocalTarget(directory)


def run_pull(args: argparse.Namespace) -> int:
    target = target_from_spec(args.to)
    credentials = adobe_credentials(args)
    platform_url = required_url(args.platform_url, "DESTKIT_ADOBE_PLATFORM_URL", "--platform-url")
    ims_url = required_url(args.ims_url, "DESTKIT_ADOBE_IMS_URL", "--ims-url")
    try:
        token = fetch_ims_token(ims_url, credentials)
        landing = fetch_dlz_credentials(platform_url, token, credentials)
        report = pull(container_from_sas(landing.sas_uri), target, args.prefix)
    except (AdobeApiError, DlzError) as error:
        print(f"destkit: {error}", file=sys.stderr)
        return EXIT_FAILED

    for name in report.copied:
        print(f"copied {name}")
    print(f"{len(report.copied)} copied, {len(report.skipped)} already present, {len(report.failed)} failed")
    if report.failed:
        print(f"destkit: failed to copy: {', '.join(report.failed)} (rerun to retry)", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
