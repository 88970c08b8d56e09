"""Script ``pulumi preview`` and ``pulumi up`` of a kit stack from Python (Pulumi Automation API).

The Automation API drives the Pulumi CLI, so the ``pulumi`` binary must be installed. Every
entry point checks for it first and raises :class:`PulumiCliNotFoundError`, naming what to
install. A typical script::

    from destkit.automation import StackTarget, preview, select_stack

    stack = select_stack(StackTarget("aws-dev", backend_url="s3://my-state-bucket"), config=kit_config)
    report = preview(stack, policy_packs=["infra/destkit/policy/pack"])
    print(report.change_summary)

Secrets stay secret: the typed config's secrets are written as Pulumi secret config, outputs come
back as ``[secret]`` unless the caller asks for them with ``reveal_secrets=True``, and this module
prints nothing itself. The lines it forwards to ``on_output`` are the CLI's own, which masks
secret values.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from destkit.config import NAMESPACE, TOP_LEVEL_KEYS, KitConfig

if TYPE_CHECKING:
    from pulumi import automation as auto

SECRET_MASK = "[secret]"  # noqa: S105 - the mask shown in place of secret outputs
PROJECT_ROOT = Path(__file__).resolve().parents[2]

INSTALL_HINT = (
    "install the Pulumi CLI (version 3.x, see https://www.pulumi.com/docs/install/) and put it on PATH, "
    "or pass cli_root pointing at a directory that contains bin/pulumi"
)


class PulumiCliNotFoundError(RuntimeError):
    """The ``pulumi`` CLI that the Automation API drives is not installed where expected."""


@dataclass(frozen=True)
class StackTarget:
    """The stack to select, its project directory and its state backend."""

    stack: str
    project_dir: Path = PROJECT_ROOT
    """Directory that contains ``Pulumi.yaml``."""
    backend_url: str | None = None
    """State backend, for example ``s3://bucket``, ``azblob://container`` or ``gs://bucket``.
    Unset: the backend from ``PULUMI_BACKEND_URL`` or ``pulumi login``."""
    secrets_provider: str | None = None
    """Secrets provider for a new stack, for example ``passphrase`` or ``awskms://alias/x``."""
    cli_root: Path | None = None
    """Directory with ``bin/pulumi``; unset: the ``pulumi`` found on PATH."""


@dataclass
class PreviewReport:
    """The changes a preview reports, and the CLI's output."""

    change_summary: dict[str, int]
    """Number of resources per operation (``create``, ``update``, ``delete``, ``same`` ...)."""
    output: list[str] = field(default_factory=list)


@dataclass
class UpReport:
    """The result of an update, the stack outputs (secrets masked unless revealed) and the CLI's output."""

    result: str
    """The update's result as the engine reports it: ``succeeded``, ``failed`` or ``in-progress``."""
    resource_changes: dict[str, int]
    outputs: dict[str, Any]
    output: list[str] = field(default_factory=list)


def find_pulumi_cli(cli_root: Path | None = None) -> str:
    """Return the path of the ``pulumi`` executable; raise PulumiCliNotFoundError naming what to install."""
    if cli_root is not None:
        candidate = cli_root / "bin" / "pulumi"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
        raise PulumiCliNotFoundError(f"no executable pulumi at {candidate}; {INSTALL_HINT}")
    found = shutil.which("pulumi")
    if found is None:
        raise PulumiCliNotFoundError(f"the pulumi CLI is not on PATH; {INSTALL_HINT}")
    return found


def config_values(config: KitConfig) -> dict[str, auto.ConfigValue]:
    """Turn a typed configuration into stack config values, one JSON value per top-level key.

    Only keys the configuration sets are written, so the kit's defaults stay the defaults.
    ``secrets`` becomes one Pulumi secret, which the CLI encrypts in the stack file.
    """
    from pulumi import automation as auto

    values: dict[str, auto.ConfigValue] = {}
    for key in TOP_LEVEL_KEYS:
        if key == "secrets" or key not in config.model_fields_set:
            continue
        value = getattr(config, key)
        plain = _dump(value)
        values[f"{NAMESPACE}:{key}"] = auto.ConfigValue(json.dumps(plain, sort_keys=True), secret=False)

    secrets: dict[str, dict[str, str]] = {}
    for field_name in type(config.secrets).model_fields:
        by_tenant = getattr(config.secrets, field_name)
        if by_tenant:
            secrets[field_name] = {tenant: secret.get_secret_value() for tenant, secret in by_tenant.items()}
    if secrets:
        values[f"{NAMESPACE}:secrets"] = auto.ConfigValue(json.dumps(secrets, sort_keys=True), secret=True)
    return values


def _dump(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_unset=True)
    if isinstance(value, list):
        return [_dump(item) for item in value]
    return value


def select_stack(
    target: StackTarget,
    *,
    config: KitConfig | None = None,
    provider_config: Mapping[str, str] | None = None,
    create: bool = True,
) -> auto.Stack:
    """Select (or create) ``target``'s stack and write ``config`` and provider keys to it.

    ``provider_config`` contains plain provider settings such as ``{"aws:region": "eu-west-1"}``.
    Raises PulumiCliNotFoundError before anything else when the CLI is missing.
    """
    cli = find_pulumi_cli(target.cli_root)
    from pulumi import automation as auto

    env_vars = {"PULUMI_BACKEND_URL": target.backend_url} if target.backend_url else {}
    options = auto.LocalWorkspaceOptions(
        work_dir=str(target.project_dir),
        env_vars=env_vars,
        secrets_provider=target.secrets_provider,
        pulumi_command=auto.PulumiCommand(root=str(Path(cli).parent.parent)),
    )
    if create:
        stack = auto.create_or_select_stack(target.stack, work_dir=str(target.project_dir), opts=options)
    else:
        stack = auto.select_stack(target.stack, work_dir=str(target.project_dir), opts=options)

    values: dict[str, auto.ConfigValue] = {}
    for key, value in (provider_config or {}).items():
        values[key] = auto.ConfigValue(value, secret=False)
    if config is not None:
        values.update(config_values(config))
    if values:
        stack.set_all_config(values)
    return stack


def preview(
    stack: auto.Stack,
    *,
    policy_packs: Sequence[str | Path] = (),
    policy_pack_configs: Sequence[str | Path] = (),
    on_output: Callable[[str], Any] | None = None,
    diff: bool = True,
) -> PreviewReport:
    """Run ``pulumi preview`` (with the given policy packs) and capture its output and change summary."""
    captured: list[str] = []
    result = stack.preview(
        policy_packs=_paths_or_none(policy_packs),
        policy_pack_configs=_paths_or_none(policy_pack_configs),
        diff=diff,
        on_output=_capture(captured, on_output),
    )
    summary = _count_by_operation(result.change_summary)
    return PreviewReport(change_summary=summary, output=captured)


def up(
    stack: auto.Stack,
    *,
    policy_packs: Sequence[str | Path] = (),
    policy_pack_configs: Sequence[str | Path] = (),
    on_output: Callable[[str], Any] | None = None,
    reveal_secrets: bool = False,
) -> UpReport:
    """Run ``pulumi up`` and return its result and outputs; secret outputs stay masked unless revealed."""
    captured: list[str] = []
    result = stack.up(
        policy_packs=_paths_or_none(policy_packs),
        policy_pack_configs=_paths_or_none(policy_pack_configs),
        on_output=_capture(captured, on_output),
        show_secrets=reveal_secrets,
    )
    return UpReport(
        result=str(result.summary.result),
        resource_changes=_count_by_operation(result.summary.resource_changes or {}),
        outputs=masked_outputs(result.outputs, reveal_secrets=reveal_secrets),
        output=captured,
    )


def masked_outputs(
    outputs: Mapping[str, auto.OutputValue], *, reveal_secrets: bool = False
) -> dict[str, Any]:
    """Return the outputs as plain values, with every secret replaced by ``[secret]`` unless revealed."""
    return {
        name: (SECRET_MASK if output.secret and not reveal_secrets else output.value)
        for name, output in outputs.items()
    }


def write_policy_pack_config(stack: str, path: Path, project_dir: Path = PROJECT_ROOT) -> Path:
    """Plan ``stack`` offline and write its recorded waivers as ``--policy-pack-config`` JSON to ``path``.

    This is what ``destkit plan --stack NAME --policy-config FILE`` writes; pass the file to
    :func:`preview` or :func:`up` as a policy pack config.
    """
    from destkit.plan.engine import plan_stack
    from destkit.policy import waivers_to_pack_config

    result = plan_stack(stack, project_dir, evaluate_compliance=False)
    path.write_text(json.dumps(waivers_to_pack_config(result.waivers), indent=2) + "\n")
    return path


def _capture(lines: list[str], forward: Callable[[str], Any] | None) -> Callable[[str], None]:
    def record(line: str) -> None:
        lines.append(line)
        if forward is not None:
            forward(line)

    return record


def _paths_or_none(paths: Sequence[str | Path]) -> list[str] | None:
    """Return the paths as strings, or None for none, which leaves the CLI flag out."""
    return [str(path) for path in paths] or None


def _count_by_operation(counts: Mapping[Any, int]) -> dict[str, int]:
    """Key resource counts by operation name (``create``, ``same`` ...) instead of the OpType enum."""
    return {str(getattr(operation, "value", operation)): count for operation, count in counts.items()}
