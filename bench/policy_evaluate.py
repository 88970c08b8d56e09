"""Cost of the compliance verdict next to the offline plan of each shipped stack.

``destkit plan`` evaluates every control after the program ran under the mock engine, and CI runs
it on every pull request, so the verdict must stay small next to the plan. Measures, per stack in
``stacks/``, with the median of ``--repeat`` runs:
- plan: ``plan_stack`` without the verdict (the program under the mock engine);
- evaluate: ``destkit.policy.evaluate`` over the planned resources and waivers;
- pack: every pulumi_policy object of the cloud's controls over the same resources, as
  ``pulumi preview --policy-pack`` would run them (resource policies once per resource).

Target: the verdict costs less than 10% of the plan.
Run: .venv/bin/python bench/policy_evaluate.py [--repeat N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)

from destkit.plan.engine import plan_stack
from destkit.plan.model import PlannedResource
from destkit.policy import controls_for, evaluate
from destkit.policy.crossguard import build_policies

ROOT = Path(__file__).resolve().parents[1]
TODAY = dt.date(2026, 12, 4)


def _median_ms(action: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _policy_resource(resource: PlannedResource) -> PolicyResource:
    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    props = {**resource.outputs, **resource.inputs}
    return PolicyResource(resource.type, props, resource.urn, resource.name, opts, None, None, [], {})


def _run_pack(cloud: str, resources: list[PlannedResource]) -> None:
    names = {control.name for control in controls_for(cloud)}
    policies = [policy for policy in build_policies() if policy.name in names]
    policy_resources = [_policy_resource(resource) for resource in resources if resource.custom]

    def ignore(message: str, urn: str | None = None) -> None:
        return None

    for policy in policies:
        if isinstance(policy, ResourceValidationPolicy):
            for resource in policy_resources:
                args = ResourceValidationArgs(
                    resource.resource_type,
                    resource.props,
                    resource.urn,
                    resource.name,
                    resource.opts,
                    None,
                    {},
                    {},
                )
                policy.validate(args, ignore)
        else:
            policy.validate(StackValidationArgs(policy_resources, {}, {}), ignore)


def measure_stack(stack: str, repeat: int) -> str:
    """Return one table row of figures for ``stack``."""
    plan_stack(stack, ROOT, evaluate_compliance=False)  # loads the provider SDKs once
    plan_ms = _median_ms(lambda: plan_stack(stack, ROOT, evaluate_compliance=False), max(3, repeat // 4))
    result = plan_stack(stack, ROOT, evaluate_compliance=False)
    cloud = result.cloud or ""
    evaluate_ms = _median_ms(lambda: evaluate(cloud, result.resources, result.waivers, TODAY), repeat)
    pack_ms = _median_ms(lambda: _run_pack(cloud, result.resources), repeat)
    share = 100 * evaluate_ms / plan_ms
    return (
        f"| {stack} | {len(result.resources)} | {plan_ms:.0f} | {evaluate_ms:.1f} | {pack_ms:.1f} "
        f"| {share:.1f} % |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="runs per measurement (median reported)")
    args = parser.parse_args()

    stack_files = sorted((ROOT / "stacks").glob("Pulumi.*.yaml"))
    stacks = [path.name.removeprefix("Pulumi.").removesuffix(".yaml") for path in stack_files]
    print("| stack | resources | plan (ms) | evaluate (ms) | pack (ms) | evaluate share of plan |")
    print("|---|---|---|---|---|---|")
    for stack in stacks:
        print(measure_stack(stack, args.repeat))


if __name__ == "__main__":
    main()
