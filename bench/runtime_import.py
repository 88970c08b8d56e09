"""Import time of the deployed intake handler in a fresh interpreter, and the deployed package size.

The package is built as the Lambda deployment builds it (``destkit/__init__.py`` plus
``destkit/runtime/``), extracted to a temporary directory and compiled to bytecode, so the timing
matches a Lambda cold start that finds ``.pyc`` files. boto3 is not imported: the handler imports it
only when it builds its first S3 client.

Targets: import under 30 ms; package under 100 KB.
Run: .venv/bin/python bench/runtime_import.py [--runs N]
"""

from __future__ import annotations

import argparse
import compileall
import json
import statistics
import subprocess
import sys
import tempfile
import zipfile
from io import BytesIO
from pathlib import Path

from destkit.aws.packaging import runtime_entries, zip_bytes

# The last entry is the standard-library floor: the modules the intake handler cannot do without.
MODULES = (
    "destkit.runtime.aws.intake",
    "destkit.runtime.aws.authorizer",
    "json, logging, hashlib, zlib, binascii",
)
PROBE = (
    "import sys, time\n"
    "sys.path.insert(0, {path!r})\n"
    "started, cpu_started = time.perf_counter(), time.process_time()\n"
    "import {module}\n"
    "elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started\n"
    "assert 'boto3' not in sys.modules and 'pulumi' not in sys.modules\n"
    "print(elapsed * 1000, cpu * 1000)\n"
)


def measure_import(package_dir: Path, module: str, runs: int) -> tuple[list[float], list[float]]:
    """Return the wall-clock and the CPU milliseconds of the import, one entry per fresh interpreter."""
    timings, cpu_timings = [], []
    for _ in range(runs):
        # -I: no environment variables, user site or current directory; -S: no site-packages or .pth
        # hooks, as in Lambda, where the function's directory is on sys.path.
        output = subprocess.run(
            [sys.executable, "-I", "-S", "-c", PROBE.format(path=str(package_dir), module=module)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        wall, cpu = output.split()
        timings.append(float(wall))
        cpu_timings.append(float(cpu))
    return timings, cpu_timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="fresh interpreters per module (default: 30)")
    args = parser.parse_args()

    archive = zip_bytes(runtime_entries())
    with tempfile.TemporaryDirectory(prefix="destkit-bench-") as directory:
        package_dir = Path(directory)
        with zipfile.ZipFile(BytesIO(archive)) as extracted:
            extracted.extractall(package_dir)
            file_count = len(extracted.namelist())
            uncompressed = sum(info.file_size for info in extracted.infolist())
        compileall.compile_dir(package_dir, quiet=1)
        for module in MODULES:
            timings, cpu_timings = measure_import(package_dir, module, args.runs)
            print(
                json.dumps(
                    {
                        "module": module,
                        "import_ms_median": round(statistics.median(timings), 2),
                        "import_ms_min": round(min(timings), 2),
                        "import_ms_max": round(max(timings), 2),
                        "import_cpu_ms_median": round(statistics.median(cpu_timings), 2),
                        "import_cpu_ms_min": round(min(cpu_timings), 2),
                        "runs": args.runs,
                    }
                )
            )
    print(json.dumps({"package_zip_bytes": len(archive), "files": file_count, "uncompressed_bytes": uncompressed}))


if __name__ == "__main__":
    main()
