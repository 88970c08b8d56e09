"""Generate the reference pages under ``docs/`` from the code they describe.

``python -m destkit.docs`` rewrites every generated page; ``--check`` only reports stale pages
and exits 1 when one differs; ``--architecture`` also replans the shipped stacks to redraw
``docs/architecture.md``. The pages are:

- ``docs/configuration.md``: every key of the typed config models in :mod:`destkit.config`;
- ``docs/outputs.md``: the outputs table of :mod:`destkit.outputs`;
- ``docs/compliance.md``: the controls and their recorded exceptions, when the policy package
  provides ``destkit.policy.docs.render_compliance_markdown``;
- ``docs/architecture.md``: a Mermaid diagram of each stack under ``stacks/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import enum
import importlib
import sys
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import annotated_types
from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from destkit.config import NAMESPACE, KitConfig

REPO_ROOT = Path(__file__).resolve().parents[2]
REGENERATE_COMMAND = "python -m destkit.docs"
ARCHITECTURE_COMMAND = "python -m destkit.docs --architecture"

# The stacks this repository ships under stacks/. The kit's own pages and tests cover exactly
# these, so a stack file a user adds to a clone changes neither.
SHIPPED_STACKS = ("aws-dev", "aws-prod", "azure-dev", "gcp-dev")


# -- configuration reference ----------------------------------------------------------------------


@dataclass(frozen=True)
class KeyDoc:
    """One documented config key: its path under ``destkit:`` and what it accepts."""

    path: str
    type: str
    default: str
    allowed: str
    description: str


@dataclass(frozen=True)
class SectionDoc:
    """The keys of one config model, under the path where that model sits."""

    path: str
    summary: str
    keys: list[KeyDoc]


def config_sections(model: type[BaseModel] = KitConfig, path: str = "") -> list[SectionDoc]:
    """Walk ``model`` depth first and return one section per nested model, top level first."""
    keys: list[KeyDoc] = []
    nested: list[SectionDoc] = []
    for name, field in model.model_fields.items():
        key_path = f"{path}.{name}" if path else name
        child = _nested_model(field.annotation)
        if child is None:
            keys.append(_key_doc(key_path, field))
            continue
        child_path = key_path + ("[]" if _is_list(field.annotation) else "")
        nested.extend(config_sections(child, child_path))
        keys.append(
            KeyDoc(
                path=key_path,
                type=_describe_model_type(field.annotation, child_path),
                default=_describe_default(field, nested_model=True),
                allowed="",
                description=field.description or _summary(child),
            )
        )
    own = SectionDoc(path=path, summary=_summary(model), keys=keys)
    return [own, *nested]


def render_configuration_markdown() -> str:
    """Render ``docs/configuration.md`` from the models in :mod:`destkit.config`."""
    lines = [
        "# Configuration reference",
        "",
        f"Generated from `infra/destkit/config.py` by `{REGENERATE_COMMAND}`; a test fails when it is stale.",
        "",
        f"Every key lives in the `{NAMESPACE}` namespace of `stacks/Pulumi.<stack>.yaml`. Structured values",
        "are YAML maps and lists, or `pulumi config set --path` paths. An unknown key or an invalid value",
        "stops the program before any resource is registered, with one line per problem naming the key",
        "path, the value received and what is allowed. Rules that involve more than one key (for example,",
        "`batch.s3` only on `aws`) are checked after the per-key rules below.",
        "",
        "Set secrets with `pulumi config set --secret --path`, for example",
        f"`pulumi config set --secret --path '{NAMESPACE}:secrets.bearer_tokens.default' <token>`.",
    ]
    for section in config_sections():
        title = f"`{NAMESPACE}:{section.path}`" if section.path else "Top-level keys"
        lines.extend(["", f"## {title}", ""])
        if section.summary:
            lines.extend([section.summary, ""])
        lines.append("| key | type | default | allowed values | description |")
        lines.append("|---|---|---|---|---|")
        for key in section.keys:
            cells = [f"`{key.path}`", key.type, key.default, key.allowed, key.description]
            lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def _key_doc(path: str, field: FieldInfo) -> KeyDoc:
    return KeyDoc(
        path=path,
        type=_describe_type(field.annotation),
        default=_describe_default(field, nested_model=False),
        allowed=_describe_allowed(field),
        description=field.description or "",
    )


def _strip_optional(annotation: Any) -> Any:
    if _is_union(annotation):
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(members) == 1:
            return members[0]
    return annotation


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def _is_list(annotation: Any) -> bool:
    return typing.get_origin(_strip_optional(annotation)) is list


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """Return the config model a field contains (directly, optionally or as list items), if any."""
    inner = _strip_optional(annotation)
    if typing.get_origin(inner) is list:
        inner = typing.get_args(inner)[0]
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return inner
    return None


def _describe_model_type(annotation: Any, child_path: str) -> str:
    anchor = _anchor(f"{NAMESPACE}:{child_path}")
    kind = "list of objects" if _is_list(annotation) else "object"
    return f"{kind}, see [below](#{anchor})"


def _describe_type(annotation: Any) -> str:
    inner = _strip_optional(annotation)
    origin = typing.get_origin(inner)
    if origin is list:
        return f"list of {_describe_type(typing.get_args(inner)[0])}"
    if origin is dict:
        return f"map of {_describe_type(typing.get_args(inner)[1])}"
    if origin is typing.Literal or (isinstance(inner, type) and issubclass(inner, enum.Enum)):
        return "string"
    names = {bool: "boolean", int: "integer", float: "number", str: "string", dt.date: "date (YYYY-MM-DD)"}
    if inner is SecretStr:
        return "secret string"
    if inner in names:
        return names[inner]
    return getattr(inner, "__name__", str(inner))


def _choices(annotation: Any) -> list[str]:
    inner = _strip_optional(annotation)
    if typing.get_origin(inner) is typing.Literal:
        return [str(choice) for choice in typing.get_args(inner)]
    if isinstance(inner, type) and issubclass(inner, enum.Enum):
        return [str(member.value) for member in inner]
    return []


def _describe_allowed(field: FieldInfo) -> str:
    parts: list[str] = []
    choices = _choices(field.annotation)
    if choices:
        parts.append(", ".join(f"`{choice}`" for choice in choices))
    bounds = (
        (annotated_types.Ge, "ge", ">="),
        (annotated_types.Gt, "gt", ">"),
        (annotated_types.Le, "le", "<="),
        (annotated_types.Lt, "lt", "<"),
    )
    for item in field.metadata:
        for kind, attribute, operator in bounds:
            if isinstance(item, kind):
                parts.append(f"{operator} {getattr(item, attribute)}")
        if isinstance(item, annotated_types.MinLen):
            parts.append(f"at least {_count(item.min_length, field.annotation)}")
        if isinstance(item, annotated_types.MaxLen):
            parts.append(f"at most {_count(item.max_length, field.annotation)}")
        pattern = getattr(item, "pattern", None)
        if pattern:
            parts.append(f"matches `{pattern}`")
    if _strip_optional(field.annotation) is not field.annotation and field.default is None:
        parts.append("or unset")
    return "; ".join(parts)


def _count(length: int, annotation: Any) -> str:
    unit = "item" if typing.get_origin(_strip_optional(annotation)) in (list, dict) else "character"
    return f"{length} {unit}" + ("" if length == 1 else "s")


def _describe_default(field: FieldInfo, *, nested_model: bool) -> str:
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
    elif field.default is PydanticUndefined:
        return "required"
    else:
        value = field.default
    if value is None:
        return "unset"
    if nested_model:
        return "defaults below" if isinstance(value, BaseModel) else _format_value(value)
    return _format_value(value)


def _format_value(value: Any) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list | tuple):
        return "`[]`" if not value else "`[" + ", ".join(str(item) for item in value) + "]`"
    if isinstance(value, dict):
        return "`{}`" if not value else f"`{value}`"
    return f"`{value}`"


def _summary(model: type[BaseModel]) -> str:
    doc = model.__doc__ or ""
    # pydantic gives undocumented models BaseModel's own docstring; that text is not about the key.
    if not doc or doc == BaseModel.__doc__:
        return ""
    first_paragraph = " ".join(doc.strip().split("\n\n")[0].split())
    return first_paragraph.replace("``", "`")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _anchor(title: str) -> str:
    """Return the anchor GitHub derives from a heading made of ``title`` in backticks."""
    anchor_chars = [char for char in title.lower() if char.isalnum() or char in "-_ "]
    return "".join(anchor_chars).replace(" ", "-")


# -- pages ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GeneratedPage:
    """A page under ``docs/`` and the function that renders its content."""

    relative_path: str
    render: Callable[[], str]
    command: str = REGENERATE_COMMAND
    """Command that rewrites the page."""


def _render_outputs() -> str:
    from destkit.outputs import render_markdown

    return render_markdown()


def compliance_renderer() -> Callable[[], str] | None:
    """Return the policy package's compliance page renderer, or None while it does not provide one."""
    try:
        module = importlib.import_module("destkit.policy.docs")
    except ModuleNotFoundError as error:
        if error.name != "destkit.policy.docs":
            raise
        return None
    renderer = getattr(module, "render_compliance_markdown", None)
    return renderer if callable(renderer) else None


def reference_pages() -> list[GeneratedPage]:
    """Return the pages generated from code alone (no plan run)."""
    pages = [
        GeneratedPage("docs/configuration.md", render_configuration_markdown),
        GeneratedPage("docs/outputs.md", _render_outputs),
    ]
    compliance = compliance_renderer()
    if compliance is not None:
        pages.append(GeneratedPage("docs/compliance.md", compliance))
    return pages


def architecture_page(project_dir: Path = REPO_ROOT, stacks: Sequence[str] | None = None) -> GeneratedPage:
    """Return the architecture page of ``stacks`` (default: the kit's shipped stacks in its own repository)."""
    from destkit.plan.diagram import render_architecture_markdown

    if stacks is None and project_dir == REPO_ROOT:
        stacks = SHIPPED_STACKS
    return GeneratedPage(
        "docs/architecture.md",
        lambda: render_architecture_markdown(project_dir, stacks),
        ARCHITECTURE_COMMAND,
    )


def stale_pages(pages: Sequence[GeneratedPage], root: Path = REPO_ROOT) -> Iterator[GeneratedPage]:
    """Yield each page whose committed content differs from a fresh render."""
    for page in pages:
        path = root / page.relative_path
        current = path.read_text() if path.is_file() else None
        if current != page.render():
            yield page


def write_pages(pages: Sequence[GeneratedPage], root: Path = REPO_ROOT) -> list[str]:
    """Render and write every page; return the relative paths that changed."""
    changed: list[str] = []
    for page in pages:
        path = root / page.relative_path
        content = page.render()
        if path.is_file() and path.read_text() == content:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        changed.append(page.relative_path)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m destkit.docs",
        description="Rewrite the generated reference pages under docs/ from the code they describe.",
    )
    parser.add_argument(
        "--architecture",
        action="store_true",
        help="also plan every stack under stacks/ and redraw docs/architecture.md",
    )
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a page is stale")
    parser.add_argument(
        "--root", type=Path, default=REPO_ROOT, help="repository root (default: this checkout)"
    )
    args = parser.parse_args(argv)

    pages = reference_pages()
    if args.architecture:
        pages.append(architecture_page(args.root))

    if args.check:
        stale = list(stale_pages(pages, args.root))
        for page in stale:
            print(f"stale: {page.relative_path}; regenerate it with {page.command}", file=sys.stderr)
        return 1 if stale else 0

    for relative_path in write_pages(pages, args.root):
        print(f"wrote {relative_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
