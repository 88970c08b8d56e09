"""The apply state file: which authoring API instance id belongs to each rendered object of a stack.

Keep the file with the stack (commit it next to ``Pulumi.<stack>.yaml``): it contains no secrets, and
without it ``destkit adobe apply`` cannot tell that an object already exists and would create it again.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STATE_VERSION = 1


class StateError(ValueError):
    """The state file is unreadable or belongs to another stack or sandbox."""


@dataclass
class ApplyState:
    stack: str
    sandbox: str
    instances: dict[str, dict[str, str]] = field(default_factory=dict)
    """Rendered object key -> {"kind": ..., "instanceId": ...}."""

    def instance_id(self, key: str) -> str | None:
        entry = self.instances.get(key)
        return entry["instanceId"] if entry else None

    def record(self, key: str, kind: str, instance_id: str) -> None:
        self.instances[key] = {"kind": kind, "instanceId": instance_id}

    def to_json(self) -> dict[str, Any]:
        return {"version": STATE_VERSION, "stack": self.stack, "sandbox": self.sandbox, "instances": self.instances}


def default_state_path(stack: str) -> Path:
    return Path(f"adobe-state.{stack}.json")


def load_state(path: Path, stack: str, sandbox: str) -> ApplyState:
    """Read the state file, or start an empty state when it does not exist yet."""
    if not path.exists():
        return ApplyState(stack, sandbox)
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise StateError(f"cannot read state file {path}: {error}") from error
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
        raise StateError(f"state file {path} is not a version {STATE_VERSION} destkit adobe state file")
    if data.get("stack") != stack or data.get("sandbox") != sandbox:
        raise StateError(
            f"state file {path} records stack {data.get('stack')!r} in sandbox {data.get('sandbox')!r}, "
            f"not stack {stack!r} in sandbox {sandbox!r}: pass the matching --state file"
        )
    instances = data.get("instances")
    if not isinstance(instances, dict) or not all(
        isinstance(entry, dict) and isinstance(entry.get("instanceId"), str) for entry in instances.values()
    ):
        raise StateError(f"state file {path}: 'instances' must map object keys to {{kind, instanceId}}")
    return ApplyState(stack, sandbox, instances)


def save_state(path: Path, state: ApplyState) -> None:
    """Write the state atomically, so an interrupted apply never leaves a half-written file."""
    directory = path.parent if str(path.parent) else Path(".")
    descriptor, temporary = tempfile.mkstemp(prefix=".adobe-state-", dir=directory)
    try:
        with os.fdopen(descriptor, "w") as handle:
            json.dump(state.to_json(), handle, indent=2, sort_keys=True)
            handle.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
