"""Run the Pulumi program offline under the mock engine and capture what it registers.

No Pulumi CLI, no provider plugin and no cloud credentials are involved: the program runs in
this process against :class:`~destkit.plan.mocks.KitMocks`. ``plan_stack`` evaluates
``infra/__main__.py`` with a stack file's config; ``run_program`` runs any function, which is how
the component tests use it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import runpy
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from destkit import waivers
from destkit.plan.mocks import KitMocks, RecordingMonitor
from destkit.plan.model import ComplianceResult, PlannedResource

# The engine's wire envelope for a secret value (pulumi.runtime.rpc._special_sig_key and
# _special_secret_sig).
_SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"  # noqa: S105 - a protocol constant, not a credential
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 - a protocol constant, not a credential
_ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
_ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

SECRET_MASK = "[secret]"  # noqa: S105 - the mask shown in place of secrets
PLACEHOLDER_SECRET = "destkit-plan-placeholder-secret-value-0000"  # noqa: S105 - stands in for encrypted config


class PlanError(Exception):
    """The stack or project files cannot be planned (missing, unreadable or encrypted values)."""


@dataclass
class PlanResult:
    """Everything one offline run of the program registered and exported."""

    project: str
    stack: str
    cloud: str | None
    resources: list[PlannedResource]
    outputs: dict[str, Any]
    """Stack outputs as plain values (secrets in clear: mask before printing)."""
    secret_outputs: list[str]
    waivers: list[waivers.Waiver]
    invokes: list[str] = field(default_factory=list)
    compliance: list[ComplianceResult] = field(default_factory=list)

    def find(self, type_token: str) -> list[PlannedResource]:
        return [resource for resource in self.resources if resource.type == type_token]

    def one(self, type_token: str, name: str | None = None) -> PlannedResource:
        """Return the single resource of ``type_token`` (and ``name``); raise if there is not exactly one."""
        matches = [r for r in self.find(type_token) if name is None or r.name == name]
        if len(matches) != 1:
            names = [r.name for r in self.find(type_token)]
            raise LookupError(f"expected one {type_token} named {name!r}, found {len(matches)} among {names}")
        return matches[0]

    def children_of(self, urn: str) -> list[PlannedResource]:
        return [resource for resource in self.resources if resource.parent == urn]

    def masked_outputs(self) -> dict[str, Any]:
        return {
            name: SECRET_MASK if name in self.secret_outputs else value
            for name, value in self.outputs.items()
        }


def run_program(
    program: Callable[[], Any],
    *,
    config: dict[str, Any] | None = None,
    project: str = "destkit",
    stack: str = "test",
    mocks: KitMocks | None = None,
) -> PlanResult:
    """Run ``program`` under the mock engine and return what it registered and exported.

    ``config`` maps full keys (``destkit:tenants``, ``aws:region``) to values; structured values
    are passed as JSON, the way the engine passes them.
    """
    import pulumi
    from pulumi.runtime import settings as runtime_settings
    from pulumi.runtime import sync_await
    from pulumi.runtime.config import set_all_config

    config = dict(config or {})
    region = str(
        config.get("aws:region")
        or config.get("gcp:region")
        or config.get("azure-native:location")
        or "us-east-1"
    )
    mocks = mocks or KitMocks(region=region)
    monitor = RecordingMonitor(mocks)

    # A fresh event loop and root stack per run: pytest-asyncio may have closed the current
    # loop, and the root resource is process-global.
    asyncio.set_event_loop(asyncio.new_event_loop())
    runtime_settings.ROOT.set(None)
    set_all_config({key: _config_value(value) for key, value in config.items()}, [])
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)
    waivers.reset()

    box: dict[str, Any] = {}

    @pulumi.runtime.test
    def _run() -> None:
        box["result"] = program()

    _run()

    root = pulumi.runtime.get_root_resource()
    exported = dict(getattr(root, "outputs", None) or {})
    outputs: dict[str, Any] = {}
    secret_outputs: list[str] = []
    for name, value in exported.items():
        if isinstance(value, pulumi.Output):
            outputs[name] = _plain(sync_await._sync_await(value.future()))
            if sync_await._sync_await(value.is_secret()):
                secret_outputs.append(name)
        else:
            outputs[name] = _plain(value)

    stack_urn = f"urn:pulumi:{stack}::{project}::pulumi:pulumi:Stack::{project}-{stack}"
    resources = _collect_resources(monitor, mocks, stack_urn)
    return PlanResult(
        project=project,
        stack=stack,
        cloud=_config_cloud(config),
        resources=resources,
        outputs=outputs,
        secret_outputs=sorted(secret_outputs),
        waivers=waivers.recorded(),
        invokes=[call.token for call in mocks.invokes],
    )


def _collect_resources(monitor: RecordingMonitor, mocks: KitMocks, stack_urn: str) -> list[PlannedResource]:
    by_name_and_type = {(args.typ, args.name): args for args in mocks.registrations}
    planned: list[PlannedResource] = []
    for raw_urn in monitor.order:
        registration = monitor.resources[raw_urn]
        # The mock monitor qualifies top-level types with the Stack's type; the engine does not.
        urn = _engine_urn(raw_urn)
        type_token = urn.split("::")[2].split("$")[-1]
        name = urn.split("::")[-1]
        args = by_name_and_type.get((type_token, name))
        raw_inputs = args.inputs if args is not None else {}
        secret_paths = sorted(key for key, value in raw_inputs.items() if _is_secret_envelope(value))
        parent = _engine_urn(monitor.parents.get(raw_urn) or "") or None
        planned.append(
            PlannedResource(
                urn=urn,
                type=type_token,
                name=name,
                parent=None if parent == stack_urn else parent,
                inputs=_unwrap(raw_inputs),
                custom=bool(args.custom) if args is not None else True,
                provider=args.provider if args is not None else None,
                secret_paths=secret_paths,
                outputs=_unwrap(dict(registration.state or {})),
            )
        )
    return planned


def _engine_urn(urn: str) -> str:
    return urn.replace("::pulumi:pulumi:Stack$", "::")


def _config_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _config_cloud(config: dict[str, Any]) -> str | None:
    destination = config.get("destkit:destination")
    if isinstance(destination, str):
        try:
            destination = json.loads(destination)
        except json.JSONDecodeError:
            return None
    if isinstance(destination, dict):
        cloud = destination.get("cloud")
        return str(cloud) if cloud else None
    return None


def _is_secret_envelope(value: Any) -> bool:
    return isinstance(value, dict) and value.get(_SECRET_SIG_KEY) == _SECRET_SIG


def _unwrap(value: Any) -> Any:
    """Strip the engine's secret envelopes and turn assets and unknowns into JSON values."""
    if isinstance(value, dict):
        signature = value.get(_SECRET_SIG_KEY)
        if signature == _SECRET_SIG:
            return _unwrap(value.get("value"))
        if signature in (_ASSET_SIG, _ARCHIVE_SIG):
            return {key: _unwrap(item) for key, item in value.items() if key != _SECRET_SIG_KEY}
        if signature == _RESOURCE_SIG:
            return value.get("urn")
        return {key: _unwrap(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_unwrap(item) for item in value]
    if value == _UNKNOWN:
        return None
    return _plain(value)


def _plain(value: Any) -> Any:
    """Convert SDK objects (assets, archives) to JSON-friendly values."""
    import pulumi

    if isinstance(value, pulumi.asset.FileArchive | pulumi.asset.FileAsset):
        return {"path": str(value.path)}
    if isinstance(value, pulumi.asset.StringAsset):
        return {"text_bytes": len(value.text.encode())}
    if isinstance(value, pulumi.asset.AssetArchive):
        return {"assets": sorted(value.assets)}
    if isinstance(value, pulumi.asset.RemoteAsset | pulumi.asset.RemoteArchive):
        return {"uri": value.uri}
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# -- stacks ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Project:
    root: Path
    name: str
    main: Path
    stack_config_dir: Path

    def stack_file(self, stack: str) -> Path:
        return self.stack_config_dir / f"Pulumi.{stack}.yaml"

    def stacks(self) -> list[str]:
        files = sorted(self.stack_config_dir.glob("Pulumi.*.yaml"))
        return [path.name[len("Pulumi.") : -len(".yaml")] for path in files]


def find_project(start: Path | None = None) -> Project:
    """Locate ``Pulumi.yaml`` in ``start`` (default: the current directory) or its parents."""
    here = (start or Path.cwd()).resolve()
    for directory in [here, *here.parents]:
        project_file = directory / "Pulumi.yaml"
        if project_file.is_file():
            return _load_project(project_file)
    raise PlanError(
        f"no Pulumi.yaml found in {here} or its parents; run destkit plan from the project directory "
        "or pass --project-dir"
    )


def _load_project(project_file: Path) -> Project:
    try:
        data = yaml.safe_load(project_file.read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise PlanError(f"cannot read {project_file}: {error}") from error
    root = project_file.parent
    main = root / str(data.get("main") or ".")
    if main.is_dir():
        main = main / "__main__.py"
    return Project(
        root=root,
        name=str(data.get("name") or root.name),
        main=main,
        stack_config_dir=root / str(data.get("stackConfigDir") or "."),
    )


def load_stack_config(project: Project, stack: str) -> dict[str, Any]:
    """Read ``Pulumi.<stack>.yaml``; encrypted values become a placeholder marked secret."""
    path = project.stack_file(stack)
    if not path.is_file():
        known = ", ".join(project.stacks()) or "none"
        raise PlanError(f"stack {stack!r} not found: {path} does not exist (stacks in this project: {known})")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise PlanError(f"cannot read {path}: {error}") from error
    config = data.get("config") or {}
    if not isinstance(config, dict):
        raise PlanError(f"{path}: 'config' must be a mapping of keys to values")
    resolved: dict[str, Any] = {}
    for key, value in config.items():
        full_key = key if ":" in key else f"{project.name}:{key}"
        resolved[full_key] = _replace_secure(value)
    return resolved


def _replace_secure(value: Any) -> Any:
    # The offline plan cannot decrypt `secure:` values; a placeholder keeps the shape valid.
    if isinstance(value, dt.date):
        # YAML reads an unquoted 2027-01-31 as a date; Pulumi passes it to the program as text.
        return value.isoformat()
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return PLACEHOLDER_SECRET
        return {key: _replace_secure(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace_secure(item) for item in value]
    return value


def plan_stack(
    stack: str,
    project_dir: Path | None = None,
    *,
    mocks: KitMocks | None = None,
    today: dt.date | None = None,
    evaluate_compliance: bool = True,
) -> PlanResult:
    """Evaluate the project's program with ``stack``'s config under the mock engine."""
    project = find_project(project_dir)
    config = load_stack_config(project, stack)
    cloud = _config_cloud(config)
    _check_provider_settings(project, stack, config, cloud)
    _warn_unknown_namespaces(project, stack, config)
    if evaluate_compliance and cloud in PROVIDER_SETTINGS:
        _check_exception_controls(project, stack, config, cloud)
    if not project.main.is_file():
        raise PlanError(f"the program {project.main} named by Pulumi.yaml 'main' does not exist")

    program_dir = str(project.main.parent)

    def program() -> None:
        added = program_dir not in sys.path
        if added:
            sys.path.insert(0, program_dir)
        previous = Path.cwd()
        try:
            os.chdir(project.root)
            runpy.run_path(str(project.main), run_name="__main__")
        finally:
            os.chdir(previous)
            if added:
                sys.path.remove(program_dir)

    result = run_program(program, config=config, project=project.name, stack=stack, mocks=mocks)
    if evaluate_compliance and result.cloud:
        result.compliance = _evaluate_compliance(result, today or dt.date.today())
    return result


# Provider settings a real deployment needs; the mocks would otherwise assume defaults silently.
PROVIDER_SETTINGS = {
    "aws": ("aws:region",),
    "azure": ("azure-native:location",),
    "gcp": ("gcp:project", "gcp:region"),
}
KNOWN_NAMESPACES = frozenset({"destkit", "pulumi", "aws", "azure-native", "azuread", "gcp", "random", "tls"})


def _check_provider_settings(project: Project, stack: str, config: dict[str, Any], cloud: str | None) -> None:
    missing = [key for key in PROVIDER_SETTINGS.get(cloud or "", ()) if not config.get(key)]
    if missing:
        raise PlanError(
            f"{project.stack_file(stack)}: {', '.join(missing)} missing for a {cloud} stack; set "
            + " and ".join(f"'pulumi config set {key} VALUE'" for key in missing)
        )


def _warn_unknown_namespaces(project: Project, stack: str, config: dict[str, Any]) -> None:
    for key in sorted(config):
        namespace = key.split(":", 1)[0]
        if namespace not in KNOWN_NAMESPACES and namespace != project.name:
            logging.getLogger("destkit.plan").warning(
                "%s: config key %r has the namespace %r, which neither the kit nor its providers read; "
                "check the spelling (the kit's keys start with destkit:)",
                project.stack_file(stack).name,
                key,
                namespace,
            )


def _check_exception_controls(project: Project, stack: str, config: dict[str, Any], cloud: str) -> None:
    from destkit.policy import controls_for

    exceptions = config.get("destkit:exceptions")
    if isinstance(exceptions, str):
        try:
            exceptions = json.loads(exceptions)
        except json.JSONDecodeError:
            return
    if not isinstance(exceptions, list):
        return
    known = {control.name for control in controls_for(cloud)}
    for index, exception in enumerate(exceptions):
        name = exception.get("control") if isinstance(exception, dict) else None
        if isinstance(name, str) and name not in known:
            raise PlanError(
                f"{project.stack_file(stack)}: destkit:exceptions[{index}].control: {name!r} is not a {cloud} "
                "control; docs/compliance.md lists the control names"
            )


def _evaluate_compliance(result: PlanResult, today: dt.date) -> list[ComplianceResult]:
    from destkit.policy import evaluate

    return list(evaluate(result.cloud or "", result.resources, result.waivers, today))
