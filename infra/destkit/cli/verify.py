"""``destkit verify``: check a deployed destination the way AEP will use it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from destkit.adobe.http import check_base_url
from destkit.cli.adobe import load_stack_outputs
from destkit.cli.main import EXIT_FAILED, EXIT_OK, UsageError
from destkit.verify.runner import AREAS, VerifyOptions, configured_areas, verify


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "verify",
        help="check the deployed streaming endpoint and drop zones with the credentials AEP uses",
        description="Write, read and delete sample data with each tenant's credentials, check that bad "
        "credentials are rejected and that tenants are isolated, and print a pass or fail checklist. "
        "Exit status 1 when any check fails.",
    )
    parser.add_argument("--stack", required=True, help="Pulumi stack name")
    parser.add_argument(
        "--outputs",
        type=Path,
        help="JSON written by `pulumi stack output --json --show-secrets` (required: verify needs real credentials)",
    )
    parser.add_argument("--only", action="append", choices=AREAS, help="check only this area; repeat for several")
    parser.add_argument("--json", action="store_true", help="print the checklist as JSON")
    parser.add_argument("--s3-endpoint", help="S3 endpoint URL (default: the AWS endpoint of the stack's region)")
    parser.add_argument("--sftp-host", help="connect to this host instead of the sftp_host output")
    parser.add_argument("--gcs-endpoint", help="Cloud Storage XML API endpoint URL (required for GCS checks)")
    parser.add_argument("--adls-endpoint", help="Data Lake Storage endpoint URL (default: from the adls_urls output)")
    parser.add_argument("--entra-authority", help="Microsoft Entra ID authority URL (required for ADLS checks)")
    parser.set_defaults(handler=run)


def _url(value: str | None, option: str) -> str | None:
    if value is None:
        return None
    try:
        return check_base_url(value, option)
    except ValueError as error:
        raise UsageError(str(error)) from error


def run(args: argparse.Namespace) -> int:
    if args.outputs is None:
        raise UsageError(
            "verify needs the deployed stack's credentials: pass --outputs FILE written by "
            "`pulumi stack output --json --show-secrets`"
        )
    outputs = load_stack_outputs(args)
    if outputs.has_secret_placeholders():
        raise UsageError(f"{args.outputs} contains [secret] placeholders: write it with --show-secrets")
    areas = configured_areas(outputs)
    if not areas:
        raise UsageError(f"{args.outputs} describes no streaming endpoint and no batch location to verify")
    if args.only and not set(args.only) & set(areas):
        raise UsageError(f"--only {', '.join(args.only)}: the stack has only {', '.join(areas)}")
    if "gcs" in areas and (not args.only or "gcs" in args.only) and not args.gcs_endpoint:
        raise UsageError("the stack has a GCS drop zone: pass --gcs-endpoint (docs/adobe.md names the URL)")
    if "adls" in areas and (not args.only or "adls" in args.only) and not args.entra_authority:
        raise UsageError("the stack has an ADLS drop zone: pass --entra-authority (docs/adobe.md names the URL)")

    options = VerifyOptions(
        only=tuple(args.only or ()),
        s3_endpoint=_url(args.s3_endpoint, "--s3-endpoint"),
        sftp_host=args.sftp_host,
        gcs_endpoint=_url(args.gcs_endpoint, "--gcs-endpoint"),
        adls_endpoint=_url(args.adls_endpoint, "--adls-endpoint"),
        entra_authority=_url(args.entra_authority, "--entra-authority"),
    )
    checklist = verify(outputs, options)
    print(checklist.to_json() if args.json else checklist.to_text())
    if not checklist.ok:
        for failure in checklist.failures()[:1]:
            scope = f"{failure.area} [{failure.tenant}]" if failure.tenant else failure.area
            print(f"destkit: verify failed: {scope}: {failure.name}: {failure.detail}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
