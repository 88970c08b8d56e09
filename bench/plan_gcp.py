"""Benchmark: ``destkit plan --stack gcp-dev`` against its import floor (target ratio at most 1.5).

Runs ``bench/plan_vs_floor.py`` for the gcp-dev stack, whose floor is ``bench/import_floor_gcp.py``.

Usage: .venv/bin/python bench/plan_gcp.py [--runs 7]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import plan_vs_floor  # the bench folder is not a package, so it is imported by path

if __name__ == "__main__":
    sys.argv = [sys.argv[0], "--stack", "gcp-dev", *sys.argv[1:]]
    sys.exit(plan_vs_floor.main())
