"""Benchmark: wall time of ``destkit plan --stack NAME`` against the import floor of its cloud.

The floor is a committed script that only imports pulumi and exactly the provider submodules the
program uses (``bench/import_floor_<cloud>.py``); nothing a plan does can be faster than that. The
ratio ``median(plan) / median(floor)`` is the figure the benchmark records; the target is at most 1.5.

Both run in fresh interpreters with bytecode compiled beforehand (the machine sets
PYTHONDONTWRITEBYTECODE=1, so the kit's own sources are compiled here with compileall).

Usage: .venv/bin/python bench/plan_vs_floor.py --stack aws-dev [--runs 7]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _time_command(command: list[str], runs: int) -> list[float]:
    env = dict(os.environ)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, check=False)
        elapsed = time.perf_counter() - started
        if completed.returncode not in (0, 1):
            sys.stderr.write(completed.stderr.decode(errors="replace"))
            raise SystemExit(f"command failed with exit status {completed.returncode}: {' '.join(command)}")
        timings.append(elapsed)
    return timings


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True, help="stack to plan, for example aws-dev")
    parser.add_argument("--runs", type=int, default=7, help="runs of each command (the median is used)")
    args = parser.parse_args()
    if args.runs < 5:
        parser.error("--runs must be at least 5")

    cloud = args.stack.split("-", 1)[0]
    floor_script = ROOT / "bench" / f"import_floor_{cloud}.py"
    if not floor_script.is_file():
        parser.error(f"{floor_script} does not exist; write the import floor for {cloud} first")

    compileall.compile_dir(str(ROOT / "infra"), quiet=1)
    destkit = str(Path(sys.executable).with_name("destkit"))
    plan_command = [destkit, "plan", "--stack", args.stack]
    floor_command = [sys.executable, str(floor_script)]

    # One untimed run of each warms the page cache, as a developer's second run would be.
    _time_command(plan_command, 1)
    _time_command(floor_command, 1)
    plan_times = _time_command(plan_command, args.runs)
    floor_times = _time_command(floor_command, args.runs)

    plan_median = statistics.median(plan_times)
    floor_median = statistics.median(floor_times)
    report = {
        "stack": args.stack,
        "runs": args.runs,
        "plan_median_s": round(plan_median, 3),
        "floor_median_s": round(floor_median, 3),
        "ratio": round(plan_median / floor_median, 2),
        "target_ratio": 1.5,
        "plan_runs_s": [round(t, 3) for t in plan_times],
        "floor_runs_s": [round(t, 3) for t in floor_times],
        "machine": f"{os.cpu_count()} CPUs, {_cpu_model()}, Python {platform.python_version()}",
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
