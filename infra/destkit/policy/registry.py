"""Every control of the pack, ordered by cloud and id, importable without pulumi_policy."""

from __future__ import annotations

from destkit.policy import aws, azure, gcp  # noqa: F401  (importing registers the controls)
from destkit.policy.core import CONTROLS, Control

CLOUDS = ("aws", "azure", "gcp")


def _order(control: Control) -> tuple[str, int]:
    return control.key[0], int(control.key[1:])


def all_controls() -> list[Control]:
    return sorted(CONTROLS, key=lambda c: (CLOUDS.index(c.cloud), _order(c)))


def controls_for(cloud: str) -> list[Control]:
    """Return the controls of ``cloud`` (aws, azure or gcp) ordered by id."""
    if cloud not in CLOUDS:
        raise ValueError(f"unknown cloud {cloud!r}: expected one of {', '.join(CLOUDS)}")
    return [c for c in all_controls() if c.cloud == cloud]


def control_named(name: str) -> Control:
    for control in CONTROLS:
        if control.name == name:
            return control
    raise KeyError(f"no control named {name!r}")
