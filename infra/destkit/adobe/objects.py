"""Shared pieces of the rendered Destination SDK objects: settings, references and field builders."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# A destination configuration names its server (and audience template) by the instance id that the
# authoring API returns on create. Rendered objects carry this reference instead, and
# ``destkit adobe apply`` replaces it with the recorded instance id.
REF_PREFIX = "$ref:"
REF_PATTERN = re.compile(r"^\$ref:[a-z0-9-]+$")

# Object kinds and the authoring API collection each one is created in.
COLLECTIONS = {
    "destination-server": "/authoring/destination-servers",
    "audience-template": "/authoring/audience-templates",
    "destination": "/authoring/destinations",
}


@dataclass
class RenderSettings:
    """Choices that the stack outputs do not contain."""

    name: str
    title: str
    description: str = "Delivers AEP audiences and profiles to infrastructure built with aep-destination-kit."
    documentation_link: str = "https://www.adobe.com/go/destinations-aep-destination-kit-en"
    identity_namespaces: tuple[str, ...] = ("email_sha256",)
    profile_bytes: int = 16384
    include_dlz: bool = False
    dlz_path: str = "aep-destination-kit"
    dlz_use_case: str = "aep-destination-kit exports"
    notify_url: str | None = None
    include_secrets: bool = False
    audience_template_keys: dict[str, str] = field(default_factory=dict)


@dataclass
class AdobeObject:
    """One object to create through the authoring API, with the key it is recorded under."""

    key: str
    kind: str
    body: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind, "body": self.body}


def fixed(value: str) -> dict[str, str]:
    """Return a value AEP uses as given (``templatingStrategy: NONE``)."""
    return {"templatingStrategy": "NONE", "value": value}


def from_customer(name: str) -> dict[str, str]:
    """Return a value AEP fills from the customer data field ``name``."""
    return {"templatingStrategy": "PEBBLE_V1", "value": "{{customerData." + name + "}}"}


def object_ref(key: str) -> str:
    return REF_PREFIX + key


def customer_field(
    name: str,
    title: str,
    *,
    enum: list[str] | None = None,
    default: str | None = None,
    pattern: str | None = None,
    required: bool = True,
) -> dict[str, Any]:
    """Return one ``customerDataFields`` entry of type string."""
    entry: dict[str, Any] = {"name": name, "title": title, "type": "string", "isRequired": required}
    if enum is not None:
        entry["enum"] = enum
    if default is not None:
        entry["default"] = default
    if pattern is not None:
        entry["pattern"] = pattern
    return entry


def common_destination_fields(settings: RenderSettings, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": settings.description,
        "status": "TEST",
        "sources": ["UNIFIED_PROFILE"],
    }
