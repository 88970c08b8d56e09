"""``destkit serve`` with ``destkit send`` on loopback: profiles per second and p99 latency.

Sends 1,000-profile batches with bearer authentication at concurrency 1, 8 and 32, each run with at
least 40 batches and at least two per connection. The server writes every batch to a temporary
directory. Target: p99 under 100 ms at concurrency 8.
Run: .venv/bin/python bench/runtime_serve_send.py
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile

DESTKIT = [sys.executable, "-m", "destkit.cli.main"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32], help="levels to run")
    parser.add_argument("--batch-size", type=int, default=1000, help="profiles per request (default: 1000)")
    parser.add_argument("--workers", type=int, default=1, help="destkit serve worker processes (default: 1)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="destkit-bench-") as data_dir:
        server = subprocess.Popen(
            [*DESTKIT, "serve", "--auth", "bearer", "--data-dir", data_dir, "--quiet", "--workers", str(args.workers)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert server.stdout is not None
            ready = json.loads(server.stdout.readline())
            for seed, concurrency in enumerate(args.concurrency, start=1):
                batches = max(40, 2 * concurrency)
                command = [
                    *DESTKIT,
                    "send",
                    "--url",
                    ready["url"],
                    "--bearer-token",
                    ready["token"],
                    "--profiles",
                    str(batches * args.batch_size),
                    "--batch-size",
                    str(args.batch_size),
                    "--concurrency",
                    str(concurrency),
                    "--seed",
                    str(seed),
                ]
                output = subprocess.run(command, capture_output=True, text=True, check=False).stdout
                summary = json.loads(output.strip().splitlines()[-1])
                print(
                    json.dumps(
                        {
                            "workers": args.workers,
                            "concurrency": concurrency,
                            "batches": batches,
                            "profiles_per_second": summary["profiles_per_second"],
                            "p50_ms": summary["latency_ms"]["p50"],
                            "p99_ms": summary["latency_ms"]["p99"],
                            "status_counts": summary["status_counts"],
                        }
                    )
                )
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
