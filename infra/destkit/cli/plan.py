"""``destkit plan``: the Pulumi program for one stack, evaluated offline with its compliance verdict."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from destkit.cli.main import EXIT_FAILED, EXIT_OK, UsageError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "plan",
        help="plan a stack offline (no Pulumi CLI, no cloud credentials)",
        description=(
            "Run the Pulumi program with a stack's config under Pulumi's mock engine and print every "
            "resource by component, the stack outputs (secrets masked) and the compliance verdict. "
            "Exits 1 on a mandatory compliance violation and 2 on invalid config."
        ),
    )
    parser.add_argument("--stack", required=True, help="stack name; reads stacks/Pulumi.<stack>.yaml")
    parser.add_argument("--json", action="store_true", help="print one JSON document (see plan.schema.json)")
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=None,
        help="directory with Pulumi.yaml (default: the current directory or its parents)",
    )
    parser.add_argument(
        "--policy-config",
        type=Path,
        default=None,
        metavar="FILE",
        help="also write the recorded waivers as policy-pack config for pulumi preview --policy-pack-config",
    )
    parser.add_argument(
        "--diagram",
        type=Path,
        default=None,
        metavar="FILE",
        help="also write a Mermaid diagram of the planned stack to FILE",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from destkit.plan.engine import PlanError, plan_stack
    from destkit.plan.render import mandatory_violations, to_json, to_text

    try:
        result = plan_stack(args.stack, args.project_dir)
    except PlanError as error:
        raise UsageError(str(error)) from None

    sys.stdout.write(to_json(result) if args.json else to_text(result))

    if args.policy_config is not None:
        from destkit.policy import waivers_to_pack_config

        _write(args.policy_config, json.dumps(waivers_to_pack_config(result.waivers), indent=2) + "\n")
    if args.diagram is not None:
        from destkit.plan.diagram import render_mermaid

        _write(args.diagram, render_mermaid(result))

    return EXIT_FAILED if mandatory_violations(result) else EXIT_OK


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text)
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None
