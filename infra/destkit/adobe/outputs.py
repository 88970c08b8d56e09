"""Load stack outputs for the Adobe commands: from a ``pulumi stack output --json`` file or the offline plan."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from destkit.outputs import BY_NAME

# Text printed in place of a secret by the offline plan and by ``pulumi stack output`` without
# ``--show-secrets``.
SECRET_PLACEHOLDER = "[secret]"  # noqa: S105 - a placeholder, not a credential


class OutputsError(ValueError):
    """The outputs file or plan cannot be used; the message names the file or stack and the fix."""


@dataclass(frozen=True)
class StackOutputs:
    """A stack's outputs; ``placeholders`` is true when they come from the offline plan."""

    stack: str
    values: dict[str, Any]
    placeholders: bool

    def get(self, name: str) -> Any:
        return self.values.get(name)

    def tenant_map(self, name: str) -> dict[str, Any]:
        value = self.values.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise OutputsError(f"output {name!r} must be a map keyed by tenant id, got {type(value).__name__}")
        return value

    def has_secret_placeholders(self) -> bool:
        """Tell whether any secret output still reads ``[secret]`` (``--show-secrets`` was not used)."""
        for name, value in self.values.items():
            spec = BY_NAME.get(name)
            if spec is None or not spec.secret:
                continue
            items = value.values() if isinstance(value, dict) else [value]
            if any(item == SECRET_PLACEHOLDER for item in items):
                return True
        return False


def load_outputs_file(path: Path, stack: str) -> StackOutputs:
    """Read the JSON that ``pulumi stack output --json --show-secrets`` writes."""
    try:
        text = path.read_text()
    except OSError as error:
        raise OutputsError(f"cannot read outputs file {path}: {error.strerror or error}") from error
    try:
        values = json.loads(text)
    except json.JSONDecodeError as error:
        raise OutputsError(
            f"outputs file {path} is not valid JSON ({error}); "
            "write it with: pulumi stack output --json --show-secrets > FILE"
        ) from error
    if not isinstance(values, dict):
        raise OutputsError(f"outputs file {path} must contain a JSON object of output name to value")
    return StackOutputs(stack=stack, values=values, placeholders=False)


def load_plan_outputs(stack: str) -> StackOutputs:
    """Run the offline plan for ``stack``; its secrets read ``[secret]`` and unknown values are null."""
    from destkit.plan.engine import PlanError, plan_stack

    try:
        result = plan_stack(stack, evaluate_compliance=False)
    except PlanError as error:
        raise OutputsError(str(error)) from error
    # The plan returns secrets in clear; they are masked here so no code path can print them.
    secret_names = set(result.secret_outputs) | {name for name, spec in BY_NAME.items() if spec.secret}
    values = {name: _mask(value) if name in secret_names else value for name, value in result.outputs.items()}
    return StackOutputs(stack=stack, values=values, placeholders=True)


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: SECRET_PLACEHOLDER for key in value}
    return None if value is None else SECRET_PLACEHOLDER


def load_outputs(stack: str, outputs_file: Path | None) -> StackOutputs:
    if outputs_file is not None:
        return load_outputs_file(outputs_file, stack)
    return load_plan_outputs(stack)
