"""Realistic profiles rendered in the kit's default payload shape.

Each profile has two to four identities from several namespaces, added and removed audiences, and
attributes with non-ASCII text, like what AEP hands to the default template.
"""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

NAMESPACES = ("email_sha256", "acme_uid", "phone_sha256", "gaid", "idfa")
CITIES = ("Zürich", "São Paulo", "Kraków", "東京", "Reykjavík", "Montréal", "İstanbul", "Αθήνα")
NAMES = ("Zoë", "Jürgen", "Ana María", "Søren", "Łucja", "Nguyễn", "Ō'Brien", "Chloé 🌍")
TIERS = ("bronze", "silver", "gold", "platinum")


def audience_ids(count: int, seed: int = 7) -> list[str]:
    generator = random.Random(seed)
    return [
        f"{generator.getrandbits(32):08x}-{generator.getrandbits(16):04x}-4{generator.getrandbits(12):03x}-"
        f"8{generator.getrandbits(12):03x}-{generator.getrandbits(48):012x}"
        for _ in range(count)
    ]


def make_profiles(count: int, seed: int = 1, start: int = 0) -> list[dict[str, Any]]:
    """Return ``count`` profiles; the same seed and start give the same profiles."""
    generator = random.Random(f"{seed}:{start}")
    audiences = audience_ids(20)
    profiles = []
    for number in range(start, start + count):
        email = f"user{number}@example.com"
        identities = [
            {"type": "email_sha256", "id": hashlib.sha256(email.encode()).hexdigest()},
            {"type": "acme_uid", "id": f"U-{100000 + number}"},
        ]
        for namespace in generator.sample(NAMESPACES[2:], generator.randint(0, 2)):
            identities.append({"type": namespace, "id": f"{generator.getrandbits(64):016x}"})
        added = generator.sample(audiences, generator.randint(1, 3))
        removed = [
            audience for audience in generator.sample(audiences, generator.randint(0, 2)) if audience not in added
        ]
        profiles.append(
            {
                "identities": identities,
                "AdobeExperiencePlatformSegments": {"add": added, "remove": removed},
                "attributes": {
                    "firstName": generator.choice(NAMES),
                    "city": generator.choice(CITIES),
                    "tier": generator.choice(TIERS),
                    "lifetimeValue": round(generator.uniform(0, 5000), 2),
                },
            }
        )
    return profiles


def render_batch(profiles: list[dict[str, Any]]) -> bytes:
    """Render profiles as the default payload: UTF-8 JSON, non-ASCII characters unescaped."""
    return json.dumps({"profiles": profiles}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
