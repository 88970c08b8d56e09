"""Build planned resources the way the mock engine records them, and run controls over them."""

from __future__ import annotations

import copy
import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from destkit.plan.model import ComplianceResult, PlannedResource
from destkit.policy import control_named, evaluate
from destkit.policy.crossguard import build_policies
from destkit.policy.pack_config import waivers_to_pack_config
from destkit.waivers import Waiver

STACK_URN = "urn:pulumi:test::aep-destination-kit::pulumi:pulumi:Stack::aep-destination-kit-test"
TODAY = dt.date(2026, 12, 4)


def urn_of(resource_type: str, name: str) -> str:
    return f"urn:pulumi:test::aep-destination-kit::{resource_type}::{name}"


def make(
    resource_type: str, name: str, inputs: dict[str, Any], outputs: dict[str, Any] | None = None
) -> PlannedResource:
    """Return a resource with camelCase wire inputs and the mock engine's id and ARN outputs."""
    return PlannedResource(
        urn=urn_of(resource_type, name),
        type=resource_type,
        name=name,
        parent=None,
        inputs=inputs,
        outputs=outputs if outputs is not None else {"id": f"{name}-id"},
    )


def stack_resource() -> PlannedResource:
    return PlannedResource(
        urn=STACK_URN,
        type="pulumi:pulumi:Stack",
        name="aep-destination-kit-test",
        parent=None,
        inputs={},
        custom=False,
    )


@dataclass
class Case:
    """One control over one set of resources; ``problem`` is the expected violation text, None to pass."""

    control: str
    resources: list[PlannedResource]
    problem: str | None
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.control}-{self.label or ('violated' if self.problem else 'passed')}"


def find(resources: Iterable[PlannedResource], name: str) -> PlannedResource:
    for resource in resources:
        if resource.name == name:
            return resource
    raise KeyError(f"no resource named {name!r} in the baseline")


def changed(baseline: list[PlannedResource], name: str, **changes: Any) -> list[PlannedResource]:
    """Copy ``baseline`` with inputs of ``name`` changed; ``a__b`` sets ``a.b``, the value None deletes it."""
    resources = copy.deepcopy(baseline)
    target = find(resources, name)
    for key, value in changes.items():
        parts = key.split("__")
        holder = target.inputs
        for part in parts[:-1]:
            holder = holder.setdefault(part, {})
        if value is None:
            holder.pop(parts[-1], None)
        else:
            holder[parts[-1]] = value
    return resources


def without(baseline: list[PlannedResource], *names: str) -> list[PlannedResource]:
    return [copy.deepcopy(r) for r in baseline if r.name not in names]


def plus(baseline: list[PlannedResource], *extra: PlannedResource) -> list[PlannedResource]:
    return copy.deepcopy(baseline) + list(extra)


def results_for(
    control: str,
    resources: list[PlannedResource],
    waivers: list[Waiver] | None = None,
    today: dt.date = TODAY,
) -> list[ComplianceResult]:
    cloud = control_named(control).cloud
    everything = evaluate(cloud, [stack_resource(), *resources], waivers or [], today)
    return [result for result in everything if result.control == control]


def _policy_resource(resource: PlannedResource, by_reference: dict[str, PlannedResource]) -> PolicyResource:
    """Emulate the engine: output properties such as ``arn`` are known, while top-level inputs that
    name another resource of the stack by id are unknown and carry a property dependency instead."""
    props = {key: value for key, value in resource.outputs.items() if key != "id"}
    props.update(resource.inputs)
    dependencies: dict[str, list[PolicyResource]] = {}
    for key, value in resource.inputs.items():
        if isinstance(value, str) and value in by_reference and by_reference[value] is not resource:
            props[key] = UNKNOWN_STRING_VALUE
            dependencies[key] = [_bare(by_reference[value])]
    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    return PolicyResource(
        resource.type, props, resource.urn, resource.name, opts, None, None, [], dependencies
    )


def _bare(resource: PlannedResource) -> PolicyResource:
    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    return PolicyResource(resource.type, {}, resource.urn, resource.name, opts, None, None, [], {})


@functools.cache
def _policies() -> dict[str, Any]:
    return {policy.name: policy for policy in build_policies()}


def pack_messages(
    control: str, resources: list[PlannedResource], waivers: list[Waiver] | None = None
) -> list[str]:
    """Run the pack's pulumi_policy object for ``control`` as the engine would during a preview."""
    policy = _policies()[control]
    config = waivers_to_pack_config(waivers or []).get(control, {})
    messages: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        messages.append(message)

    references: dict[str, PlannedResource] = {}
    for resource in resources:
        for key in ("id", "arn"):
            value = resource.outputs.get(key)
            if isinstance(value, str):
                references[value] = resource
    if isinstance(policy, ResourceValidationPolicy):
        # Resource policies see known values, as in an update; unknown ones are covered in test_crossguard.
        for resource in [_policy_resource(r, {}) for r in resources]:
            args = ResourceValidationArgs(
                resource.resource_type,
                resource.props,
                resource.urn,
                resource.name,
                resource.opts,
                None,
                config,
                {},
            )
            policy.validate(args, report)
    else:
        policy_resources = [_policy_resource(r, references) for r in resources]
        policy.validate(StackValidationArgs(policy_resources, config, {}), report)
    return messages
