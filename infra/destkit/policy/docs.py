"""Generate ``docs/compliance.md`` from the pack's controls and the kit's recorded exceptions.

``python -m destkit.policy.docs`` rewrites the page; ``--check`` exits 1 when the committed page
is stale. The exceptions are read from the source: every ``waivers.record(...)`` call whose
control is a string literal, with its resource name pattern and reason as written there, so the
page needs no plan run.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from destkit.policy.core import Control
from destkit.policy.registry import CLOUDS, all_controls

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
REPO_ROOT = PACKAGE_ROOT.parents[1]
PAGE = REPO_ROOT / "docs" / "compliance.md"
CLOUD_NAMES = {"aws": "AWS", "azure": "Azure", "gcp": "GCP"}


@dataclass(frozen=True)
class RecordedException:
    """A ``waivers.record`` call in the kit's components."""

    control: str
    resource: str
    """The resource's logical name as the code builds it; ``{name}`` parts are filled in at run time."""
    reason: str
    source: str
    """Path of the file, relative to the repository root."""


def recorded_exceptions(
    package_root: Path = PACKAGE_ROOT, repo_root: Path = REPO_ROOT
) -> list[RecordedException]:
    """Return every exception the kit's components record, read from their source."""
    found: list[RecordedException] = []
    for path in sorted(package_root.rglob("*.py")):
        if "policy" in path.relative_to(package_root).parts:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        constants = _string_constants(tree)
        for node in ast.walk(tree):
            call = _record_call(node)
            if call is None:
                continue
            control, resource, reason = call
            if not (isinstance(control, ast.Constant) and isinstance(control.value, str)):
                continue
            found.append(
                RecordedException(
                    control=control.value,
                    resource=_text(resource, constants),
                    reason=_text(reason, constants),
                    source=str(path.relative_to(repo_root)),
                )
            )
    return sorted(found, key=lambda e: (e.control, e.source, e.resource))


def _record_call(node: ast.AST) -> tuple[ast.expr, ast.expr, ast.expr] | None:
    if not isinstance(node, ast.Call):
        return None
    function = node.func
    if not isinstance(function, ast.Attribute) or function.attr != "record":
        return None
    if not isinstance(function.value, ast.Name) or function.value.id != "waivers":
        return None
    arguments = list(node.args)
    keywords = {k.arg: k.value for k in node.keywords if k.arg}
    for position, name in enumerate(("control", "resource", "reason")):
        if len(arguments) <= position and name in keywords:
            arguments.append(keywords[name])
    if len(arguments) < 3:
        return None
    return arguments[0], arguments[1], arguments[2]


def _string_constants(tree: ast.Module) -> dict[str, str]:
    constants: dict[str, str] = {}
    for node in tree.body:
        if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.Constant):
            continue
        value = node.value.value
        if isinstance(value, str):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    constants[target.id] = value
    return constants


def _text(node: ast.expr, constants: dict[str, str]) -> str:
    """Render a string expression as text; run-time parts appear as ``{expression}``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue):
                parts.append("{" + ast.unparse(value.value) + "}")
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _text(node.left, constants) + _text(node.right, constants)
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    return "{" + ast.unparse(node) + "}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _types(control: Control) -> str:
    return ", ".join(f"`{token}`" for token in control.resource_types)


def render_compliance_markdown() -> str:
    """Return the text of ``docs/compliance.md``."""
    controls = all_controls()
    exceptions = recorded_exceptions()
    by_control: dict[str, list[RecordedException]] = {}
    for exception in exceptions:
        by_control.setdefault(exception.control, []).append(exception)
    evaluated = [c for c in controls if c.check is not None]

    lines = [
        "# Compliance controls",
        "",
        "<!-- Generated by `python -m destkit.policy.docs` from infra/destkit/policy; do not edit. -->",
        "",
        "The kit's policy pack encodes the compliance controls that apply to what it deploys. The same "
        "checks run offline in `destkit plan` and in `pulumi preview --policy-pack`. "
        f"It evaluates {len(evaluated)} controls: "
        + ", ".join(
            f"{sum(1 for c in evaluated if c.cloud == cloud)} on {CLOUD_NAMES[cloud]}" for cloud in CLOUDS
        )
        + ".",
        "",
        "## Running the pack",
        "",
        "Offline, with no cloud credentials, as in CI:",
        "",
        "```sh",
        "destkit plan --stack aws-dev          # prints the verdict; exits 1 on a mandatory violation",
        'destkit plan --stack aws-dev --json   # adds a "compliance" list to the plan JSON',
        "```",
        "",
        "With the Pulumi CLI, run from an environment where the kit is installed (`pip install -e .`), "
        "so that the pack can import `destkit`. Write the recorded exceptions as policy-pack "
        "configuration first, so that the pack honours them:",
        "",
        "```sh",
        "destkit plan --stack aws-dev --policy-config waivers.json",
        "pulumi preview --stack aws-dev --policy-pack infra/destkit/policy/pack \\",
        "    --policy-pack-config waivers.json",
        "```",
        "",
        '`waivers.json` maps each policy name to `{"waivers": [{"resource", "reason", "reviewBy"}]}`; '
        "`destkit.policy.waivers_to_pack_config` writes it. During a preview, a violation on a resource "
        "whose inputs are still unknown (ids of resources not yet created) is reported as advisory and "
        "enforced during the update.",
        "",
        "## Verdict statuses",
        "",
        "Every control of the stack's cloud gets at least one result:",
        "",
        "- `passed`: the resource meets the control.",
        "- `waived`: a recorded exception names the control and the resource (logical name, URN suffix "
        "or `*`); the result carries its reason and `review_by` date. After that date the result also "
        "carries a warning, never a violation.",
        "- `violated`: the result names the resource, what is wrong and how to fix it. A violation of "
        "a mandatory control makes `destkit plan` exit with status 1.",
        "- `not_applicable`: the stack has no resource the control is about, or the control does not "
        "apply to what the kit deploys; the reason says which.",
        "",
        "Users add exceptions under `destkit:exceptions` (control, resource, reason, review_by).",
        "",
        "## Adding or changing a control",
        "",
        "Each control is a function in `infra/destkit/policy/<cloud>/`, registered with the `@control` "
        "decorator (id, name, resource types, source ids, summary, remediation). It receives one "
        "resource and the whole stack and returns the problems it found. `crossguard.build_policies` "
        "turns it into a pulumi_policy policy. `tests/policy/<cloud>_cases.py` holds a compliant "
        "baseline stack and at least one violating change per control; the tests run both through "
        "`evaluate` and through the pulumi_policy object. After a change, run "
        "`python -m destkit.policy.docs` to rewrite this page. Components that record a new waiver "
        "change this page too.",
        "",
        "## Controls",
        "",
        "| Control | Cloud | Enforcement | Resource types | Source ids | Recorded exceptions |",
        "|---|---|---|---|---|---|",
    ]
    for control in evaluated:
        recorded = ", ".join(f"`{_cell(e.resource)}`" for e in by_control.get(control.name, [])) or "none"
        lines.append(
            f"| `{control.name}` | {CLOUD_NAMES[control.cloud]} | {control.enforcement} | "
            f"{_types(control)} | {_cell('; '.join(control.source_ids))} | {recorded} |"
        )

    lines += ["", "## What each control checks", ""]
    for control in evaluated:
        lines.append(f"- `{control.name}`: {_cell(control.summary)} Fix: {_cell(control.remediation)}")

    lines += [
        "",
        "## Controls that do not apply to what the kit deploys",
        "",
        "They appear in every verdict as `not_applicable` with this reason.",
        "",
        "| Control | Cloud | Reason | Source ids |",
        "|---|---|---|---|",
    ]
    for control in controls:
        if control.check is None:
            lines.append(
                f"| `{control.name}` | {CLOUD_NAMES[control.cloud]} | "
                f"{_cell(control.not_applicable or '')} | {_cell('; '.join(control.source_ids))} |"
            )

    lines += [
        "",
        "## Exceptions the kit records, with reasons",
        "",
        "Components record these next to the resources they concern, each with a review date "
        "(by default one year ahead). `{...}` parts of a resource name or reason are filled in when "
        "the program runs.",
        "",
        "| Control | Resource | Reason | Recorded in |",
        "|---|---|---|---|",
    ]
    for exception in exceptions:
        lines.append(
            f"| `{exception.control}` | `{_cell(exception.resource)}` | {_cell(exception.reason)} | "
            f"`{exception.source}` |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m destkit.policy.docs", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 when docs/compliance.md is stale")
    args = parser.parse_args(argv)
    content = render_compliance_markdown()
    current = PAGE.read_text() if PAGE.is_file() else None
    if args.check:
        if current != content:
            print(
                f"{PAGE.relative_to(REPO_ROOT)} is stale: run python -m destkit.policy.docs", file=sys.stderr
            )
            return 1
        return 0
    if current != content:
        PAGE.write_text(content)
        print(f"wrote {PAGE.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
