"""``destkit adobe render|apply``: Destination SDK objects from the stack outputs, and their registration."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from destkit.adobe.authoring import DEFAULT_SCOPES, AdobeCredentials
from destkit.adobe.http import check_base_url
from destkit.adobe.objects import RenderSettings
from destkit.adobe.outputs import OutputsError, StackOutputs, load_outputs
from destkit.adobe.render import render, validate_rendering
from destkit.adobe.streaming import RenderError
from destkit.cli.main import EXIT_FAILED, EXIT_OK, UsageError

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,48}[a-z0-9]$")


def _add_render_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", required=True, help="Pulumi stack name, for example aws-dev")
    parser.add_argument(
        "--outputs",
        type=Path,
        help="JSON written by `pulumi stack output --json --show-secrets`; without it the offline plan's "
        "outputs are used and the rendering is marked as placeholders",
    )
    parser.add_argument("--name", help="short name of the Adobe objects (default: destkit-<stack>)")
    parser.add_argument("--title", help="destination name shown in the AEP catalog (default: the short name)")
    parser.add_argument(
        "--identity-namespace",
        action="append",
        dest="identity_namespaces",
        metavar="NAMESPACE",
        help="target identity namespace of the streaming destination; repeat for several (default email_sha256)",
    )
    parser.add_argument(
        "--profile-bytes",
        type=int,
        default=16384,
        help="estimated size of one rendered profile in bytes, used to size aggregation (default 16384)",
    )
    parser.add_argument("--dlz", action="store_true", help="also render a Data Landing Zone destination")
    parser.add_argument("--notify-url", help="HTTPS URL that AEP calls when a file export has finished")


def register(subparsers: Any) -> None:
    adobe = subparsers.add_parser("adobe", help="render and register the Destination SDK objects")
    actions = adobe.add_subparsers(dest="adobe_command", metavar="ACTION", required=True)

    render_parser = actions.add_parser(
        "render",
        help="print the Destination SDK objects for a stack",
        description="Render destination servers, destination configurations and audience templates "
        "from the stack outputs, validated against the kit's schemas.",
    )
    _add_render_options(render_parser)
    render_parser.add_argument(
        "--include-secrets", action="store_true", help="write secret values into the connection sheet"
    )
    render_parser.add_argument("--output", type=Path, help="write the rendering to FILE instead of stdout")
    render_parser.set_defaults(handler=run_render)

    apply_parser = actions.add_parser(
        "apply",
        help="create or update the objects through the authoring API (shows a diff unless --apply)",
        description="Obtain an IMS access token, compare the rendered objects with the ones recorded in the "
        "state file, and create or update them through the authoring API when --apply is given.",
    )
    _add_render_options(apply_parser)
    apply_parser.add_argument("--apply", action="store_true", help="make the changes (default: only show them)")
    apply_parser.add_argument(
        "--state",
        type=Path,
        help="file recording the instance ids created for the stack (default: adobe-state.<stack>.json)",
    )
    apply_parser.add_argument("--sandbox", help="AEP sandbox name (default: $DESTKIT_ADOBE_SANDBOX)")
    apply_parser.add_argument("--org-id", help="IMS organization id (default: $DESTKIT_ADOBE_ORG_ID)")
    apply_parser.add_argument("--api-base", help="authoring API base URL (default: $DESTKIT_ADOBE_API_BASE)")
    apply_parser.add_argument("--ims-url", help="IMS token URL (default: $DESTKIT_ADOBE_IMS_URL)")
    apply_parser.set_defaults(handler=run_apply)


def _setting(value: str | None, variable: str, option: str) -> str:
    result = value or os.environ.get(variable, "")
    if not result:
        raise UsageError(f"{option} is not set: pass {option} or set {variable}")
    return result


def adobe_credentials(args: argparse.Namespace) -> AdobeCredentials:
    """Return the Developer Console credentials and sandbox from options and environment variables."""
    return AdobeCredentials(
        client_id=_setting(None, "DESTKIT_ADOBE_CLIENT_ID", "the client id"),
        client_secret=_setting(None, "DESTKIT_ADOBE_CLIENT_SECRET", "the client secret"),
        org_id=_setting(args.org_id, "DESTKIT_ADOBE_ORG_ID", "--org-id"),
        sandbox=_setting(args.sandbox, "DESTKIT_ADOBE_SANDBOX", "--sandbox"),
        scopes=os.environ.get("DESTKIT_ADOBE_SCOPES") or DEFAULT_SCOPES,
    )


def required_url(value: str | None, variable: str, option: str) -> str:
    """Return an Adobe base URL from an option or variable. There are no defaults, because a test or a
    typo must never reach Adobe: docs/adobe.md lists the documented production URLs."""
    try:
        return check_base_url(_setting(value, variable, option), option)
    except ValueError as error:
        raise UsageError(str(error)) from error


def settings_from_args(args: argparse.Namespace) -> RenderSettings:
    name = args.name or f"destkit-{args.stack}"
    if not NAME_PATTERN.match(name):
        raise UsageError(
            f"name {name!r} is invalid: use 3 to 50 lowercase letters, digits and hyphens, starting with a letter"
        )
    if args.profile_bytes <= 0:
        raise UsageError(f"--profile-bytes {args.profile_bytes} must be a positive number of bytes")
    if args.notify_url is not None and not args.notify_url.startswith("https://"):
        raise UsageError(
            f"--notify-url {args.notify_url!r} must be an https:// URL, because AEP calls it over the internet"
        )
    return RenderSettings(
        name=name,
        title=args.title or name,
        identity_namespaces=tuple(args.identity_namespaces or ("email_sha256",)),
        profile_bytes=args.profile_bytes,
        include_dlz=args.dlz,
        notify_url=args.notify_url,
        include_secrets=getattr(args, "include_secrets", False),
    )


def load_stack_outputs(args: argparse.Namespace) -> StackOutputs:
    try:
        return load_outputs(args.stack, args.outputs)
    except OutputsError as error:
        raise UsageError(str(error)) from error


def render_from_args(args: argparse.Namespace) -> tuple[StackOutputs, dict[str, Any]]:
    """Load the outputs, render and validate; raise UsageError for bad input."""
    outputs = load_stack_outputs(args)
    settings = settings_from_args(args)
    try:
        document = render(outputs, settings)
    except (RenderError, OutputsError) as error:
        raise UsageError(str(error)) from error
    return outputs, document


def run_render(args: argparse.Namespace) -> int:
    _, document = render_from_args(args)
    problems = validate_rendering(document)
    if problems:
        for problem in problems:
            print(f"destkit: invalid rendering: {problem}", file=sys.stderr)
        return EXIT_FAILED
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if args.output is not None:
        # The file may hold secrets (--include-secrets), so only the owner may read it.
        descriptor = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def run_apply(args: argparse.Namespace) -> int:
    from destkit.adobe.apply import apply_from_args

    return apply_from_args(args)
