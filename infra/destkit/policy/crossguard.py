"""Adapt the kit's controls into pulumi_policy policies for ``pulumi preview --policy-pack``.

Controls that read only their own resource become ``ResourceValidationPolicy`` objects. Controls
that read other resources (a bucket and its public access block, a stage and its WAF association)
become ``StackValidationPolicy`` objects. Both honour the waivers that
:func:`destkit.policy.waivers_to_pack_config` writes into the policy-pack configuration.

This module never builds a ``PolicyPack``: constructing one starts the analyzer's gRPC server and
blocks, so only ``pack/__main__.py`` does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
    proxy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from destkit.plan.model import PlannedResource
from destkit.policy.core import Control, Stack, run_check
from destkit.policy.evaluate import matching_waiver
from destkit.policy.pack_config import WAIVERS_PROPERTY, WAIVERS_SCHEMA, waivers_from_policy_config
from destkit.policy.registry import all_controls

# The sentinel strings pulumi_policy puts where the engine does not know a value yet.
_UNKNOWN_SENTINELS = frozenset(
    getattr(proxy, name) for name in dir(proxy) if name.startswith("UNKNOWN_") and name.endswith("_VALUE")
)


class Unknown:
    """A value the engine does not know yet during preview (an id or ARN of a resource to create)."""

    def __repr__(self) -> str:
        return "<unknown during preview>"


UNKNOWN = Unknown()


def plain(value: Any) -> Any:
    """Copy pulumi_policy's unknown-checking proxies into plain dicts and lists.

    Unknown values become :data:`UNKNOWN`. It is not a string, so :func:`destkit.policy.core.refers_to`
    never matches one unknown id to another.
    """
    if isinstance(value, Mapping):
        target = _proxy_target(value)
        return {str(key): plain(target[key]) for key in target}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [plain(item) for item in _proxy_target(value)]
    if isinstance(value, str) and value in _UNKNOWN_SENTINELS:
        return UNKNOWN
    return value


def _proxy_target(value: Any) -> Any:
    try:
        return value["__target"]
    except (KeyError, TypeError, IndexError):
        return value


def contains_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(contains_unknown(item) for item in value.values())
    if isinstance(value, list):
        return any(contains_unknown(item) for item in value)
    return False


def planned_resource(
    resource_type: str,
    props: Any,
    urn: str,
    name: str,
    property_dependencies: Mapping[str, Sequence[Any]] | None = None,
) -> PlannedResource:
    """Build the kit's resource record from what the policy engine passes.

    An input that is unknown during preview but depends on exactly one resource (``bucket`` of a
    public access block, for example) is replaced by that resource's URN, so cross-resource checks
    still find the link.
    """
    inputs = plain(props) or {}
    for key, dependencies in (property_dependencies or {}).items():
        if inputs.get(key) is UNKNOWN and len(dependencies) == 1:
            inputs[key] = dependencies[0].urn
    return PlannedResource(
        urn=urn, type=resource_type, name=name, parent=None, inputs=inputs, outputs={"urn": urn}
    )


def _policy_options(control: Control) -> dict[str, Any]:
    return {
        "name": control.name,
        "description": f"{control.summary} Sources: {', '.join(control.source_ids)}.",
        "enforcement_level": (
            EnforcementLevel.MANDATORY if control.enforcement == "mandatory" else EnforcementLevel.ADVISORY
        ),
        "config_schema": PolicyConfigSchema(properties={WAIVERS_PROPERTY: WAIVERS_SCHEMA}),
        "remediation_steps": control.remediation,
        "tags": [control.cloud, control.key],
    }


def _report(
    control: Control,
    resource: PlannedResource,
    stack: Stack,
    config: Mapping[str, Any] | None,
    report_violation: ReportViolation,
) -> None:
    problems = run_check(control, resource, stack)
    if not problems:
        return
    if matching_waiver(waivers_from_policy_config(control.name, config), control.name, resource) is not None:
        return
    if contains_unknown(resource.inputs):
        # The violation may come from a value the engine fills in during the update. pulumi_policy
        # reports this error as an advisory "can't run policy during preview", and the update enforces it.
        raise UnknownValueError(UNKNOWN_STRING_VALUE, [resource.name])
    for problem in problems:
        report_violation(f"{problem}. {control.remediation}", resource.urn)


def resource_policy(control: Control) -> ResourceValidationPolicy:
    """Wrap a control that reads only its own resource."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in control.resource_types:
            return
        resource = planned_resource(args.resource_type, args.props, args.urn, args.name)
        stack = Stack([resource])
        if control.selector is not None and not control.selector(resource, stack):
            return
        _report(control, resource, stack, args.get_config(), report_violation)

    return ResourceValidationPolicy(validate=validate, **_policy_options(control))


def stack_policy(control: Control) -> StackValidationPolicy:
    """Wrap a control that reads other resources of the stack."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [
            planned_resource(r.resource_type, r.props, r.urn, r.name, r.property_dependencies)
            for r in args.resources
        ]
        stack = Stack(resources)
        config = args.get_config()
        for resource in control.targets(stack):
            _report(control, resource, stack, config, report_violation)

    return StackValidationPolicy(validate=validate, **_policy_options(control))


def build_policies() -> list[Policy]:
    """Return one pulumi_policy policy per control the pack evaluates, ordered by cloud and id."""
    policies: list[Policy] = []
    for control in all_controls():
        if control.check is None:
            continue
        if control.cross_resource or control.selector is not None:
            policies.append(stack_policy(control))
        else:
            policies.append(resource_policy(control))
    return policies
