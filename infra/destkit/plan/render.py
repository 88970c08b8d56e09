"""Render an offline plan as text for people and as JSON for machines.

Both forms mask secrets: stack outputs the program marked secret print as ``[secret]``, and so
do resource inputs that reached the engine inside a secret envelope.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from destkit.plan.engine import SECRET_MASK, PlanResult
from destkit.plan.model import ComplianceResult, PlannedResource

SCHEMA_VERSION = 1


def masked_inputs(resource: PlannedResource) -> dict[str, Any]:
    return {
        key: SECRET_MASK if key in resource.secret_paths else value for key, value in resource.inputs.items()
    }


def mandatory_violations(result: PlanResult) -> list[ComplianceResult]:
    return [
        item for item in result.compliance if item.status == "violated" and item.enforcement == "mandatory"
    ]


def to_json_document(result: PlanResult) -> dict[str, Any]:
    """Build the plan document that ``plan.schema.json`` describes."""
    components = [r for r in result.resources if r.component]
    return {
        "schema_version": SCHEMA_VERSION,
        "stack": result.stack,
        "project": result.project,
        "cloud": result.cloud,
        "resources": [
            {
                "urn": resource.urn,
                "type": resource.type,
                "name": resource.name,
                "parent": resource.parent,
                "component": resource.component,
                "inputs": masked_inputs(resource),
                "secret_inputs": list(resource.secret_paths),
            }
            for resource in result.resources
        ],
        "outputs": result.masked_outputs(),
        "secret_outputs": list(result.secret_outputs),
        "compliance": [
            {
                "control": item.control,
                "resource": item.resource,
                "status": item.status,
                "reason": item.reason,
                "review_by": item.review_by,
                "source_ids": list(item.source_ids),
                "enforcement": item.enforcement,
                "remediation": item.remediation,
                "warning": item.warning,
            }
            for item in result.compliance
        ],
        "summary": {
            "resources": len(result.resources) - len(components),
            "components": len(components),
            "outputs": len(result.outputs),
            "secret_outputs": len(result.secret_outputs),
            "compliance": dict(sorted(Counter(item.status for item in result.compliance).items())),
            "mandatory_violations": len(mandatory_violations(result)),
        },
    }


def to_json(result: PlanResult) -> str:
    return json.dumps(to_json_document(result), indent=2, sort_keys=False, default=str) + "\n"


def to_text(result: PlanResult) -> str:
    """Render the plan as an indented tree of components, the outputs and the compliance verdict."""
    lines: list[str] = [
        f"destkit plan: stack {result.stack} (project {result.project}, cloud {result.cloud or 'unknown'}), "
        "offline under Pulumi's mock engine",
        "",
    ]
    components = [r for r in result.resources if r.component]
    custom = [r for r in result.resources if not r.component]
    lines.append(f"Resources ({len(custom)} in {len(components)} components)")
    for resource in result.resources:
        if resource.parent is None:
            _render_tree(result, resource, 1, lines)
    lines.append("")

    lines.append(f"Outputs ({len(result.outputs)}, {len(result.secret_outputs)} secret)")
    masked = result.masked_outputs()
    width = max((len(name) for name in masked), default=0)
    for name in sorted(masked):
        lines.append(f"  {name.ljust(width)}  {_short(masked[name])}")
    lines.append("")

    lines.extend(_render_compliance(result))
    violations = mandatory_violations(result)
    counts = Counter(item.status for item in result.compliance)
    advisory = counts.get("violated", 0) - len(violations)
    controls = len({item.control for item in result.compliance})
    findings = "advisory finding" if advisory == 1 else "advisory findings"
    # A control yields one result per resource it applies to, so results outnumber controls.
    lines.append(
        f"Summary: {len(custom)} resources in {len(components)} components, {len(result.outputs)} outputs "
        f"({len(result.secret_outputs)} secret), {controls} controls with {len(result.compliance)} results "
        f"({counts.get('passed', 0)} passed, {counts.get('waived', 0)} waived, {advisory} {findings}, "
        f"{counts.get('not_applicable', 0)} not applicable), {len(violations)} mandatory violations."
    )
    return "\n".join(lines) + "\n"


def _render_tree(result: PlanResult, resource: PlannedResource, depth: int, lines: list[str]) -> None:
    indent = "  " * depth
    marker = "" if resource.component else "+ "
    lines.append(f"{indent}{marker}{resource.type}  {resource.name}")
    for child in result.children_of(resource.urn):
        _render_tree(result, child, depth + 1, lines)


def _render_compliance(result: PlanResult) -> list[str]:
    if not result.compliance:
        return ["Compliance: no controls evaluated", ""]
    by_control: dict[str, list[ComplianceResult]] = {}
    for item in result.compliance:
        by_control.setdefault(item.control, []).append(item)
    lines = [f"Compliance ({len(by_control)} controls)"]
    for control in sorted(by_control):
        items = by_control[control]
        statuses = Counter(item.status for item in items)
        violated = [item for item in items if item.status == "violated"]
        if any(item.enforcement == "mandatory" for item in violated):
            status = "VIOLATED"
        elif violated:
            status = "advisory"
        elif statuses.get("waived"):
            status = "waived"
        elif statuses.get("passed"):
            status = "passed"
        else:
            status = "not applicable"
        lines.append(f"  {status:<14} {control}")
        for item in items:
            if item.status == "violated":
                level = "" if item.enforcement == "mandatory" else " (advisory)"
                lines.append(f"      {_resource_label(item.resource)}{level}: {item.reason}")
                if item.remediation:
                    lines.append(f"        fix: {item.remediation}")
            elif item.status == "waived":
                lines.append(
                    f"      {_resource_label(item.resource)}: {item.reason} (review by {item.review_by})"
                )
            if item.warning:
                lines.append(f"      warning: {item.warning}")
        if status == "not applicable" and items[0].reason:
            lines.append(f"      {items[0].reason}")
    lines.append("")
    return lines


def _resource_label(urn: str) -> str:
    if "::" not in urn:
        return urn
    parts = urn.split("::")
    return f"{parts[2].split('$')[-1]} {parts[-1]}"


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 100 else text[:97] + "..."
