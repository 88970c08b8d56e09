"""Cost of the AWS streaming endpoint in an offline plan: the function zip and the component.

``destkit plan`` runs in CI on every pull request and builds the function zip each time, so
both must stay small next to the plan itself. Measures, with the median of ``--repeat`` runs:
- zip: ``build_runtime_archive`` into an empty directory (hash, compress, write);
- zip again: the same call when the archive already exists (hash and compare only);
- plan: ``StreamingEndpoint`` with the default settings and two tenants under the mock engine.

Target: the zip costs less than 10% of the component's plan time.
Run: .venv/bin/python bench/aws_streaming_plan.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from destkit.aws.packaging import build_runtime_archive
from destkit.aws.streaming import StreamingEndpoint, StreamingEndpointArgs
from destkit.plan.engine import run_program

KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-4333-8444-555555555555"


def _median_ms(action: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="runs per measurement (default: 20)")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        counter = iter(range(10**6))
        cold = _median_ms(lambda: build_runtime_archive(root / f"cold-{next(counter)}"), options.repeat)
        warm_dir = root / "warm"
        build_runtime_archive(warm_dir)
        warm = _median_ms(lambda: build_runtime_archive(warm_dir), options.repeat)

        def program() -> None:
            StreamingEndpoint(
                "acme-dev",
                StreamingEndpointArgs(
                    name_prefix="acme-dev",
                    tenants=("alpha", "beta"),
                    sink_bucket_name="acme-dev-sink",
                    sink_bucket_arn="arn:aws:s3:::acme-dev-sink",
                    kms_key_arn=KEY_ARN,
                    build_dir=warm_dir,
                ),
            )

        run_program(program)  # the first run also imports the provider modules
        plan = _median_ms(lambda: run_program(program), options.repeat)
        size = build_runtime_archive(warm_dir).path.stat().st_size

    print(f"runtime zip size:         {size:8d} bytes")
    print(f"zip (new directory):      {cold:8.2f} ms")
    print(f"zip (archive exists):     {warm:8.2f} ms")
    print(f"component plan (mocks):   {plan:8.2f} ms")
    print(f"zip share of the plan:    {100 * warm / plan:8.1f} %")


if __name__ == "__main__":
    main()
