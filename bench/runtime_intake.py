"""Intake core throughput on 1,000- and 10,000-profile batches, in process.

Compares three ways to accept one batch, each ending with one create-only write to an in-memory store:
- floor: ``json.loads``, sha256, one write;
- kit: ``IntakeCore.handle`` (size checks, strict UTF-8 JSON, the default payload rules, sha256, write);
- pydantic: ``json.loads``, a pydantic model per profile, sha256, one write.

Targets: kit within 1.3x of the floor; kit at least 2x faster than pydantic.
Run: .venv/bin/python bench/runtime_intake.py [--repeat N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict

from destkit.runtime.core import IntakeCore, IntakeSettings, Request
from destkit.sender.profiles import make_profiles, render_batch


class MemoryStore:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put_if_absent(self, key: str, data: bytes, metadata: dict[str, str]) -> bool:
        if key in self.objects:
            return False
        self.objects[key] = bytes(data)
        return True

    def put(self, key: str, data: bytes, metadata: dict[str, str]) -> None:
        self.objects[key] = data

    def get(self, key: str) -> bytes | None:
        return self.objects.get(key)

    def delete(self, key: str) -> bool:
        return self.objects.pop(key, None) is not None

    def list(self, prefix: str) -> list[str]:
        return sorted(key for key in self.objects if key.startswith(prefix))


# Plain pydantic models with default settings, the way a service would usually write them.
class Identity(BaseModel):
    type: str
    id: str


class Segments(BaseModel):
    add: list[str] = []
    remove: list[str] = []


class Profile(BaseModel):
    model_config = ConfigDict(extra="allow")
    identities: list[Identity]
    AdobeExperiencePlatformSegments: Segments | None = None
    attributes: dict[str, Any] | None = None


def floor(body: bytes, store: MemoryStore) -> None:
    json.loads(body)
    store.put_if_absent(f"acme/payloads/{hashlib.sha256(body).hexdigest()}.json", body, {})


def pydantic_per_profile(body: bytes, store: MemoryStore) -> None:
    document = json.loads(body)
    for profile in document["profiles"]:
        Profile.model_validate(profile)
    store.put_if_absent(f"acme/payloads/{hashlib.sha256(body).hexdigest()}.json", body, {})


def make_kit() -> Callable[[bytes, MemoryStore], None]:
    settings = IntakeSettings(max_body_bytes=50_000_000, max_decompressed_bytes=50_000_000)
    headers = {"content-type": "application/json"}

    def kit(body: bytes, store: MemoryStore) -> None:
        response = IntakeCore(store, settings).handle(Request("POST", "/v1/profiles", headers, body, tenant="acme"))
        if response.status != 201:
            raise RuntimeError(f"the kit responded with status {response.status}: {response.body}")

    return kit


def measure(functions: list[Callable[[bytes, MemoryStore], None]], body: bytes, repeat: int) -> list[list[float]]:
    """Time each function ``repeat`` times, interleaved so background load hits all of them alike.

    Every call gets a fresh store, so each write creates an object. Returns seconds of CPU time per
    call: the work is single-threaded, and CPU time is far less disturbed than wall time when other
    processes share the machine.
    """
    timings: list[list[float]] = [[] for _ in functions]
    for _ in range(repeat):
        for index, function in enumerate(functions):
            store = MemoryStore()
            started = time.thread_time()
            function(body, store)
            timings[index].append(time.thread_time() - started)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per case (default: 30)")
    args = parser.parse_args()
    kit = make_kit()
    results = []
    for profiles in (1_000, 10_000):
        body = render_batch(make_profiles(profiles))
        functions = [floor, kit, pydantic_per_profile]
        for function in functions:
            function(body, MemoryStore())  # warm-up
        floor_times, kit_times, pydantic_times = measure(functions, body, args.repeat)
        # The minimum is the run least disturbed by other processes; the median shows the spread.
        floor_s, kit_s, pydantic_s = min(floor_times), min(kit_times), min(pydantic_times)
        results.append(
            {
                "profiles": profiles,
                "body_bytes": len(body),
                "floor_ms": round(floor_s * 1000, 2),
                "kit_ms": round(kit_s * 1000, 2),
                "pydantic_ms": round(pydantic_s * 1000, 2),
                "kit_over_floor": round(kit_s / floor_s, 2),
                "pydantic_over_kit": round(pydantic_s / kit_s, 2),
                "median_kit_over_floor": round(statistics.median(kit_times) / statistics.median(floor_times), 2),
                "median_pydantic_over_kit": round(statistics.median(pydantic_times) / statistics.median(kit_times), 2),
                "kit_profiles_per_second": round(profiles / kit_s),
            }
        )
    for row in results:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
