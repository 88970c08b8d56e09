"""Benchmark: cost of the generated docs and of the Mermaid diagram, against planning a stack.

Targets: ``python -m destkit.docs --check`` (configuration, outputs and compliance pages) finishes
in under 2 s in a fresh interpreter, because CI and the tests run it on every change. Drawing a
stack's diagram with ``render_mermaid`` costs under 5% of planning that stack, because
``destkit plan --diagram`` adds it to every plan.

Usage: .venv/bin/python bench/docs_render.py [--runs 7] [--stack aws-dev --stack gcp-dev ...]
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from destkit.plan.engine import PlanResult

ROOT = Path(__file__).resolve().parents[1]


def _median_seconds(action: Callable[[], object], runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def _check_docs() -> None:
    command = [sys.executable, "-m", "destkit.docs", "--check"]
    completed = subprocess.run(command, cwd=ROOT, env=dict(os.environ), capture_output=True, check=False)
    if completed.returncode not in (0, 1):
        sys.stderr.write(completed.stderr.decode(errors="replace"))
        raise SystemExit(f"python -m destkit.docs --check failed with exit status {completed.returncode}")


def _plan_into(results: list[PlanResult], stack: str) -> None:
    from destkit.plan.engine import plan_stack

    results.append(plan_stack(stack, ROOT, evaluate_compliance=False))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each measurement (the median is used)")
    parser.add_argument("--stack", action="append", default=None, help="stack to plan (repeatable)")
    args = parser.parse_args()
    if args.runs < 3:
        parser.error("--runs must be at least 3")

    from destkit.docs import render_configuration_markdown
    from destkit.plan.diagram import render_mermaid
    from destkit.plan.engine import find_project

    stacks = args.stack or find_project(ROOT).stacks()
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    check_seconds = _median_seconds(_check_docs, args.runs)
    print(f"python -m destkit.docs --check (fresh interpreter): {check_seconds:.3f} s")
    config_seconds = _median_seconds(render_configuration_markdown, args.runs)
    print(f"render_configuration_markdown: {config_seconds * 1000:.2f} ms")

    print("| stack | registrations | plan (s) | render_mermaid (ms) | diagram share of plan |")
    print("|---|---|---|---|---|")
    for stack in stacks:
        results: list[PlanResult] = []
        plan_once = functools.partial(_plan_into, results, stack)
        plan_seconds = _median_seconds(plan_once, args.runs)
        result = results[-1]
        render_seconds = _median_seconds(functools.partial(render_mermaid, result), args.runs * 10)
        share = render_seconds / plan_seconds * 100
        print(
            f"| `{stack}` | {len(result.resources)} | {plan_seconds:.2f} | {render_seconds * 1000:.2f} | "
            f"{share:.2f} % |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
