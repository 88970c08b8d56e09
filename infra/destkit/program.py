"""The Pulumi program behind ``infra/__main__.py``: config in, components wired, outputs out."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import pulumi

from destkit import waivers
from destkit.config import KitConfig, load_raw_config, parse_config
from destkit.outputs import BY_NAME


def run() -> None:
    """Parse the stack's config, build the stack for its cloud and export the outputs.

    An invalid config raises ConfigError before any resource is registered.
    """
    config = parse_config(load_raw_config())
    outputs = build(config)
    for name, value in outputs.items():
        pulumi.export(name, value)


def build(config: KitConfig) -> Mapping[str, Any]:
    """Build every component for ``config`` and return the stack outputs by name."""
    waivers.reset()
    for exception in config.exceptions:
        waivers.record(
            exception.control, exception.resource, exception.reason, exception.review_by, source="config"
        )

    # Each cloud's module is imported only for its own stacks, so a plan loads one provider SDK.
    stack_module = importlib.import_module(f"destkit.{config.destination.cloud.value}.stack")
    outputs = dict(stack_module.build_stack(config))

    unknown = sorted(set(outputs) - set(BY_NAME))
    if unknown:
        raise RuntimeError(f"outputs {unknown} are not in the outputs table (destkit.outputs.OUTPUTS)")
    for name, value in outputs.items():
        if BY_NAME[name].secret and not isinstance(value, pulumi.Output):
            raise RuntimeError(f"output {name!r} is a secret and must be a pulumi.Output marked secret")
    return outputs
