"""Every config field rejects bad values with an error that names the key, the value and the rule."""

from __future__ import annotations

import types
import typing
from enum import Enum
from typing import Any

import pytest
from pydantic import BaseModel, SecretStr

from destkit.config import ConfigError, KitConfig, parse_config

BASE: dict[str, Any] = {"destination": {"name": "acme", "cloud": "aws"}}


def _field_cases(model: type[BaseModel], path: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any, str]]:
    """Return (key path, invalid value, kind) for every field of ``model`` and its nested models."""
    cases: list[tuple[tuple[str, ...], Any, str]] = []
    for name, field in model.model_fields.items():
        field_path = (*path, name)
        annotation = field.annotation
        origin = typing.get_origin(annotation)
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if origin in (typing.Union, types.UnionType) and len(args) == 1:
            annotation = args[0]
            origin = typing.get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            cases.append((field_path, "not-an-object", "wrong type"))
            cases.extend(_field_cases(annotation, field_path))
            continue
        if origin is list:
            cases.append((field_path, "not-a-list", "wrong type"))
            continue
        if origin is dict:
            cases.append((field_path, ["not", "a", "map"], "wrong type"))
            continue
        if origin is typing.Literal:
            cases.append((field_path, "no-such-choice", "unknown enum value"))
            continue
        if isinstance(annotation, type) and issubclass(annotation, Enum):
            cases.append((field_path, "no-such-choice", "unknown enum value"))
            continue
        if annotation is bool:
            cases.append((field_path, "maybe", "wrong type"))
            continue
        if annotation is int:
            cases.append((field_path, "many", "wrong type"))
            bounds = {type(m).__name__: m for m in field.metadata}
            for meta in field.metadata:
                low = getattr(meta, "ge", None)
                high = getattr(meta, "le", None)
                if low is not None:
                    cases.append((field_path, low - 1, "out of range"))
                if high is not None:
                    cases.append((field_path, high + 1, "out of range"))
            del bounds
            continue
        if annotation is SecretStr:
            continue
        # Strings and dates: a value of the wrong type, and a value no pattern or format accepts.
        cases.append((field_path, {"nested": "object"}, "wrong type"))
        cases.append((field_path, "\u0000 not valid \u0000", "invalid value"))
    return cases


def _with_value(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {"destination": dict(BASE["destination"])}
    node = raw
    for part in path[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):  # pragma: no cover - paths come from nested models
            raise AssertionError(path)
    node[path[-1]] = value
    return raw


CASES = _field_cases(KitConfig, ())
# Fields whose every string is valid: free text checked only for type.
FREE_TEXT = {
    ("azure", "resource_group_name"),
    ("azure", "key_vault_id"),
    ("azure", "log_analytics_workspace_id"),
    ("azure", "apim_publisher_name"),
    ("gcp", "kms_key_id"),
    ("gcp", "service_account_email"),
    ("streaming", "oauth2", "external", "audience"),
    ("streaming", "oauth2", "external", "scope"),
}


def test_field_cases_cover_every_section():
    sections = {case[0][0] for case in CASES}
    assert {"destination", "streaming", "batch", "aws", "azure", "gcp", "tenants", "tags"} <= sections


@pytest.mark.parametrize(
    ("path", "value", "kind"), CASES, ids=lambda v: ".".join(v) if isinstance(v, tuple) else None
)
def test_invalid_field_rejected(path, value, kind):
    if kind == "invalid value" and path in FREE_TEXT:
        pytest.skip("free-text field: any string is valid")
    with pytest.raises(ConfigError) as caught:
        parse_config(_with_value(path, value))
    key = "destkit:" + ".".join(path)
    matching = [problem for problem in caught.value.problems if problem.startswith(key)]
    assert matching, f"no problem names {key}: {caught.value.problems}"


def test_error_shows_received_value():
    with pytest.raises(ConfigError) as caught:
        parse_config(_with_value(("streaming", "throttle_rate"), 0))
    assert "(received 0)" in caught.value.problems[0]


def test_error_says_what_is_allowed():
    with pytest.raises(ConfigError) as caught:
        parse_config(_with_value(("streaming", "auth"), "digest"))
    assert "'oauth2', 'bearer' or 'basic'" in caught.value.problems[0]


def test_missing_destination_named():
    with pytest.raises(ConfigError) as caught:
        parse_config({})
    assert caught.value.problems[0].startswith("destkit:destination: missing")


def test_unknown_top_level_key_rejected():
    with pytest.raises(ConfigError) as caught:
        parse_config({**BASE, "tenant": ["a"]})
    assert "destkit:tenant: unknown key" in caught.value.problems[0]


def test_unknown_nested_key_rejected():
    with pytest.raises(ConfigError) as caught:
        parse_config({**BASE, "streaming": {"auht": "bearer"}})
    assert caught.value.problems[0].startswith("destkit:streaming.auht: unknown key")


def test_secret_values_never_echoed():
    with pytest.raises(ConfigError) as caught:
        parse_config({**BASE, "secrets": {"bearer_tokens": {"default": "short-secret-value"}}})
    assert "short-secret-value" not in str(caught.value)


def test_every_problem_reported_at_once():
    raw = {"destination": {"name": "Acme", "cloud": "aws"}, "streaming": {"throttle_rate": 0, "auth": "x"}}
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    assert len(caught.value.problems) == 3


def test_unknown_key_reported_with_field_errors():
    with pytest.raises(ConfigError) as caught:
        parse_config({"destination": {"name": "Acme", "cloud": "aws"}, "tenant": ["a"]})
    assert len(caught.value.problems) == 2
