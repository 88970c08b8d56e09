"""Rendering cost of the kit's message template with destkit.adobe.pebble, per aggregation size.

The renderer only runs in tests and in destkit verify, but a configurable-aggregation call holds up to
10,000 profiles, and the template tests must stay fast at that size.
Usage: .venv/bin/python bench/adobe_template.py [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from destkit.adobe.pebble import compile_template
from destkit.adobe.streaming import message_template
from destkit.runtime.payload import count_profiles, parse_json


def profile(index: int) -> dict:
    return {
        "segmentMembership": {
            "ups": {f"0a1b2c3d-0000-4000-8000-{n:012d}": {"status": "realized" if n % 2 else "exited"}
                    for n in range(5)}
        },
        "identityMap": {"email_sha256": [{"id": f"{index:064x}"}], "crm_id": [{"id": f"CRM-{index}"}]},
        "attributes": {"tier": {"value": "gold"}, "city": {"value": "Zürich"}, "postcode": {}},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    template = compile_template(message_template())
    for count in (100, 1000, 10_000):
        profiles = [profile(index) for index in range(count)]
        timings = []
        body = b""
        for _ in range(args.repeat):
            start = time.perf_counter()
            body = template.render({"input": {"profiles": profiles}}).encode()
            timings.append(time.perf_counter() - start)
        assert count_profiles(parse_json(body)) == count
        median = statistics.median(timings)
        print(f"{count} profiles: median {median * 1000:.0f} ms, {count / median:,.0f} profiles/s, "
              f"body {len(body):,} bytes ({len(body) // count} bytes per profile), json ok: {bool(json.loads(body))}")


if __name__ == "__main__":
    main()
