"""``destkit adobe apply``: create or update the rendered objects through the authoring API.

Objects are matched to what exists by the instance ids in the state file, so running apply twice
changes nothing the second time. Without ``--apply`` the command only prints what it would do.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from destkit.adobe.authoring import AuthoringClient, fetch_ims_token
from destkit.adobe.http import AdobeApiError
from destkit.adobe.objects import REF_PREFIX
from destkit.adobe.render import validate_rendering
from destkit.adobe.state import ApplyState, StateError, default_state_path, load_state, save_state
from destkit.cli.main import EXIT_FAILED, EXIT_OK, UsageError

PENDING = "<instanceId of {key}, assigned on create>"


@dataclass
class Change:
    """The action planned for one rendered object: create, update or unchanged."""

    key: str
    kind: str
    action: str  # "create", "update" or "unchanged"
    body: dict[str, Any]
    instance_id: str | None = None
    changed: list[str] = field(default_factory=list)

    def describe(self) -> str:
        target = f"{self.kind} {self.key}"
        if self.action == "create":
            return f"+ create {target}"
        if self.action == "update":
            return f"~ update {target} ({self.instance_id}): {', '.join(self.changed)}"
        return f"= unchanged {target} ({self.instance_id})"


def resolve_references(value: Any, state: ApplyState, pending: frozenset[str] = frozenset()) -> Any:
    """Replace every ``$ref:<key>`` with the recorded instance id.

    A key in ``pending`` (an object that will be created) or without a recorded id becomes a marker,
    so a destination whose server is about to be recreated shows a change.
    """
    if isinstance(value, str) and value.startswith(REF_PREFIX):
        key = value.removeprefix(REF_PREFIX)
        instance_id = None if key in pending else state.instance_id(key)
        return instance_id or PENDING.format(key=key)
    if isinstance(value, dict):
        return {name: resolve_references(item, state, pending) for name, item in value.items()}
    if isinstance(value, list):
        return [resolve_references(item, state, pending) for item in value]
    return value


def changed_fields(desired: Any, current: Any, path: str = "") -> list[str]:
    """List the paths where ``current`` differs from ``desired``.

    Keys that only the API adds (``instanceId``, creation dates) are ignored, because only the
    rendered keys are compared.
    """
    if isinstance(desired, dict) and isinstance(current, dict):
        paths: list[str] = []
        for name, value in desired.items():
            child = f"{path}.{name}" if path else name
            if name not in current:
                paths.append(child)
            else:
                paths.extend(changed_fields(value, current[name], child))
        return paths
    return [] if desired == current else [path or "(whole object)"]


def plan_changes(objects: list[dict[str, Any]], state: ApplyState, client: AuthoringClient) -> list[Change]:
    # Objects arrive servers and templates first, so every referenced key is classified before the
    # destinations that reference it.
    changes = []
    pending: set[str] = set()
    for item in objects:
        key, kind = item["key"], item["kind"]
        body = resolve_references(item["body"], state, frozenset(pending))
        instance_id = state.instance_id(key)
        current = client.get(kind, instance_id) if instance_id else None
        if current is None:
            pending.add(key)
            changes.append(Change(key, kind, "create", body))
            continue
        changed = changed_fields(body, current)
        action = "update" if changed else "unchanged"
        changes.append(Change(key, kind, action, body, instance_id, changed))
    return changes


def execute(changes: list[Change], state: ApplyState, client: AuthoringClient, state_path: Path) -> None:
    """Make the changes in order, recording each new instance id before the next call."""
    for change in changes:
        if change.action == "unchanged":
            continue
        # Bodies are resolved again here, because an earlier create in this run assigned the ids
        # that the dry-run marker stood for.
        body = resolve_references(change.body, state)
        if change.action == "create":
            instance_id = client.create(change.kind, body)
            state.record(change.key, change.kind, instance_id)
            save_state(state_path, state)
            print(f"created {change.kind} {change.key}: {instance_id}")
        else:
            assert change.instance_id is not None
            client.update(change.kind, change.instance_id, body)
            print(f"updated {change.kind} {change.key}: {change.instance_id}")


def _unresolved(changes: list[Change], objects: list[dict[str, Any]]) -> None:
    # Keep the original $ref values in each change so execute() can resolve them after creates.
    originals = {item["key"]: item["body"] for item in objects}
    for change in changes:
        change.body = originals[change.key]


def apply_from_args(args: argparse.Namespace) -> int:
    from destkit.cli.adobe import adobe_credentials, render_from_args, required_url

    if args.outputs is None:
        raise UsageError(
            "apply needs the deployed stack's outputs, not the offline plan's placeholders: "
            "pass --outputs FILE written by `pulumi stack output --json --show-secrets`"
        )
    outputs, document = render_from_args(args)
    if outputs.placeholders:
        raise UsageError("the outputs are placeholders from the offline plan: apply rejects them")
    problems = validate_rendering(document)
    if problems:
        for problem in problems:
            print(f"destkit: invalid rendering: {problem}", file=sys.stderr)
        return EXIT_FAILED

    credentials = adobe_credentials(args)
    ims_url = required_url(args.ims_url, "DESTKIT_ADOBE_IMS_URL", "--ims-url")
    api_base = required_url(args.api_base, "DESTKIT_ADOBE_API_BASE", "--api-base")
    state_path = args.state or default_state_path(args.stack)
    try:
        state = load_state(state_path, args.stack, credentials.sandbox)
    except StateError as error:
        raise UsageError(str(error)) from error

    try:
        token = fetch_ims_token(ims_url, credentials)
        client = AuthoringClient(api_base, token, credentials)
        changes = plan_changes(document["objects"], state, client)
        for change in changes:
            print(change.describe())
        pending = [change for change in changes if change.action != "unchanged"]
        if not pending:
            print("nothing to change")
            return EXIT_OK
        if not args.apply:
            print(f"dry run: {len(pending)} change(s) not made; rerun with --apply to make them")
            return EXIT_OK
        _unresolved(changes, document["objects"])
        execute(changes, state, client, state_path)
    except AdobeApiError as error:
        print(f"destkit: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(f"state recorded in {state_path}")
    return EXIT_OK
