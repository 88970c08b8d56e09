"""The building blocks of the policy pack: controls, the stack view they check, input helpers.

A control is a plain function over one resource and the stack it belongs to. It returns the list
of problems it found (empty when the resource meets the control). The same function runs offline
in ``destkit plan`` (:mod:`destkit.policy.evaluate`) and inside ``pulumi preview --policy-pack``
(:mod:`destkit.policy.crossguard`). Inputs are read in the engine's wire shape: camelCase keys,
secrets already unwrapped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from destkit.plan.model import PlannedResource

Check = Callable[[PlannedResource, "Stack"], list[str]]
Enforcement = Literal["mandatory", "advisory"]

STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class Control:
    """One compliance control, as the pack enforces it."""

    key: str
    """Short id (``A1``, ``Z4``, ``G16``) that orders the controls of a cloud."""
    name: str
    """Short name, also the policy name (``s3-block-public-access``)."""
    cloud: str
    summary: str
    """Condition that must hold, in one or two sentences."""
    source_ids: tuple[str, ...]
    resource_types: tuple[str, ...]
    """Type tokens the check runs on; the control is not applicable when none is in the stack."""
    remediation: str
    enforcement: Enforcement
    check: Check | None
    cross_resource: bool
    """True when the check reads other resources of the stack (a stack policy in the pack)."""
    absent_passes: str | None
    """For controls that forbid a resource type: the pass reason when the stack has none."""
    not_applicable: str | None
    """Set for controls that never apply to what the kit deploys: the reason."""
    selector: Callable[[PlannedResource, Stack], bool] | None = None
    """Narrows ``resource_types`` to the resources the control is about (for example SFTP accounts)."""
    scope: str = ""
    """Words for the selected resources, used in the not-applicable reason."""

    def targets(self, stack: Stack) -> list[PlannedResource]:
        """Return the resources of ``stack`` this control checks."""
        found = stack.of_type(*self.resource_types)
        if self.selector is not None:
            found = [resource for resource in found if self.selector(resource, stack)]
        return found


CONTROLS: list[Control] = []


def control(
    key: str,
    name: str,
    *,
    cloud: str,
    types: Iterable[str],
    sources: str,
    summary: str,
    remediation: str,
    advisory: bool = False,
    cross_resource: bool = False,
    absent_passes: str | None = None,
    selector: Callable[[PlannedResource, Stack], bool] | None = None,
    scope: str = "",
) -> Callable[[Check], Check]:
    """Register the decorated function as the check of control ``name``.

    ``sources`` lists the rule-set ids that ask for the control (FSBP, CIS, checkov, ...), separated
    by semicolons.
    """

    def register(check: Check) -> Check:
        _add(
            Control(
                key=key,
                name=name,
                cloud=cloud,
                summary=summary,
                source_ids=_split_sources(sources),
                resource_types=tuple(types),
                remediation=remediation,
                enforcement="advisory" if advisory else "mandatory",
                check=check,
                cross_resource=cross_resource,
                absent_passes=absent_passes,
                not_applicable=None,
                selector=selector,
                scope=scope,
            )
        )
        return check

    return register


def not_applicable_control(
    key: str, name: str, *, cloud: str, sources: str, summary: str, reason: str
) -> None:
    """Register a control that does not apply to what the kit deploys, with the reason."""
    _add(
        Control(
            key=key,
            name=name,
            cloud=cloud,
            summary=summary,
            source_ids=_split_sources(sources),
            resource_types=(),
            remediation="",
            enforcement="advisory",
            check=None,
            cross_resource=False,
            absent_passes=None,
            not_applicable=reason,
        )
    )


def _add(new: Control) -> None:
    if any(existing.name == new.name for existing in CONTROLS):
        raise ValueError(f"control {new.name!r} is registered twice")
    CONTROLS.append(new)


def _split_sources(sources: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in sources.split(";") if part.strip())


def stack_urn(resource_urn: str) -> str:
    """Derive the root stack's URN from any resource URN of the same stack.

    Pulumi names the root resource ``urn:pulumi:<stack>::<project>::pulumi:pulumi:Stack::<project>-<stack>``.
    Returns an empty string when ``resource_urn`` is not a Pulumi URN.
    """
    parts = resource_urn.split("::")
    if len(parts) < 4 or not parts[0].startswith("urn:pulumi:"):
        return ""
    stack = parts[0].removeprefix("urn:pulumi:")
    project = parts[1]
    return f"urn:pulumi:{stack}::{project}::{STACK_TYPE}::{project}-{stack}"


class Stack:
    """The resources of one stack, with the look-ups cross-resource checks need."""

    def __init__(self, resources: Iterable[PlannedResource]):
        every = list(resources)
        self.resources = [resource for resource in every if resource.custom]
        self.urn = next((resource.urn for resource in every if resource.type == STACK_TYPE), "")
        if not self.urn and every:
            self.urn = stack_urn(every[0].urn)

    def of_type(self, *types: str) -> list[PlannedResource]:
        return [resource for resource in self.resources if resource.type in types]

    def referencing(
        self, target: PlannedResource, types: Iterable[str], keys: Iterable[str]
    ) -> list[PlannedResource]:
        """Return the resources of ``types`` whose input ``keys`` refer to ``target``."""
        type_set = set(types)
        key_list = list(keys)
        found = []
        for resource in self.resources:
            if resource.type not in type_set:
                continue
            if any(refers_to(resource.inputs.get(key), target) for key in key_list):
                found.append(resource)
        return found

    def referenced(self, value: Any, types: Iterable[str]) -> PlannedResource | None:
        """Return the resource of ``types`` that ``value`` (an id, ARN or name) refers to."""
        for resource in self.of_type(*types):
            if refers_to(value, resource):
                return resource
        return None


_IDENTIFYING_KEYS = (
    "id",
    "arn",
    "name",
    "bucket",
    "accountName",
    "serviceName",
    "vaultName",
    "keyId",
    "email",
)


def identifiers(resource: PlannedResource) -> set[str]:
    """Return every string that can identify ``resource`` in another resource's inputs.

    These are its ARN, name and bucket-style properties, its URN and its logical name. The engine
    records no ids, and ids of resources not yet created are unknown during a preview.
    """
    values: set[str] = set()
    for source in (resource.outputs, resource.inputs):
        for key in _IDENTIFYING_KEYS:
            value = source.get(key)
            if isinstance(value, str) and value:
                values.add(value)
    # A Cloud KMS key's id is "<key ring id>/cryptoKeys/<name>" and is not among its properties.
    key_ring = resource.inputs.get("keyRing")
    key_name = resource.outputs.get("name") or resource.inputs.get("name")
    is_key = resource.type == "gcp:kms/cryptoKey:CryptoKey"
    if is_key and isinstance(key_ring, str) and isinstance(key_name, str):
        values.add(f"{key_ring}/cryptoKeys/{key_name}")
    values.add(resource.name)
    values.add(resource.urn)
    return values


def refers_to(value: Any, target: PlannedResource) -> bool:
    """Tell whether ``value`` names ``target``: equal to one of its identifiers or an ARN/id under it."""
    if not isinstance(value, str) or not value:
        return False
    segments = value.split("/") if value.startswith("/subscriptions/") else []
    for identifier in identifiers(target):
        if value == identifier:
            return True
        # Azure child ids (".../storageAccounts/x/blobServices/default") and S3 object ARNs.
        if len(identifier) > 12 and value.startswith(identifier + "/"):
            return True
        # An Azure resource id names the resource in a path segment; stack policies see no ids.
        if "/" not in identifier and len(identifier) >= 3 and identifier in segments:
            return True
    return False


def get(data: Any, path: str, default: Any = None) -> Any:
    """Read ``a.b.c`` from nested dicts; a list along the way yields its first element."""
    current = data
    for part in path.split("."):
        if isinstance(current, list):
            current = current[0] if current else None
        if not isinstance(current, dict) or part not in current:
            return default
        current = current[part]
    return default if current is None else current


def mapping(value: Any) -> dict[str, Any]:
    """Return ``value`` when it is a dict, else an empty dict (inputs of an unexpected shape)."""
    return value if isinstance(value, dict) else {}


def run_check(control: Control, resource: PlannedResource, stack: Stack) -> list[str]:
    """Run ``control`` on ``resource``; inputs of an unexpected shape are a violation, not a crash."""
    if control.check is None:
        return []
    try:
        return control.check(resource, stack)
    except (AttributeError, TypeError, ValueError, KeyError, IndexError) as error:
        return [f"the inputs do not have the shape of {resource.type} ({type(error).__name__}: {error})"]


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def load_json(value: Any) -> Any:
    """Parse a JSON document given as a string; dicts and lists pass through, anything else is None."""
    if isinstance(value, dict | list):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return json.loads(value)
        except ValueError:
            return None
    return None


def walk(value: Any) -> Iterator[Any]:
    """Yield every scalar inside nested dicts and lists."""
    if isinstance(value, dict):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from walk(item)
    else:
        yield value


def require(condition: bool, problem: str, problems: list[str]) -> None:
    """Append ``problem`` to ``problems`` unless ``condition`` holds."""
    if not condition:
        problems.append(problem)


_SECRET_NAME = re.compile(r"(secret|password|passwd|token|api_?key|private_?key|credential)", re.IGNORECASE)
_SECRET_VALUE = re.compile(
    r"(AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY|AccountKey=|SharedAccessSignature="
    r"|sig=[A-Za-z0-9%]{20,})"
)


def secret_looking(name: str, value: object) -> bool:
    """Tell whether an environment variable holds a literal secret instead of a reference to one."""
    if not isinstance(value, str) or not value:
        return False
    if _SECRET_VALUE.search(value):
        return True
    if not _SECRET_NAME.search(name):
        return False
    if name.upper().endswith(_REFERENCE_SUFFIXES):
        return False
    return not all(_is_reference(item) for item in _json_scalars(value))


_REFERENCE_SUFFIXES = (
    "_ARN",
    "_ARNS",
    "_NAME",
    "_NAMES",
    "_ID",
    "_IDS",
    "_URL",
    "_URI",
    "_PATH",
    "_PARAMETER",
)
_REFERENCE_PREFIXES = ("arn:", "projects/", "@Microsoft.KeyVault(", "https://", "/")


def _is_reference(value: object) -> bool:
    return isinstance(value, str) and value.startswith(_REFERENCE_PREFIXES)


def _json_scalars(value: str) -> list[object]:
    """Return the scalars of ``value`` when it is a JSON object or array, else ``[value]``."""
    parsed = load_json(value) if value.lstrip().startswith(("{", "[")) else None
    if isinstance(parsed, dict | list):
        return [item for item in walk(parsed)] or [value]
    return [value]
