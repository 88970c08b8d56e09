"""Every physical name the AWS stack generates is valid, for any config the kit accepts.

The stack runs under the mock engine, whose auto-names add the same 8 characters as Pulumi
(a hyphen and 7 random characters). Running it per example is slow, so the stack runs once
with sentinel names, and hypothesis substitutes destination names, environments and tenant
ids drawn from the config's own alphabets and lengths into the names it generated. The
extreme lengths also run through the real stack.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from destkit import naming
from destkit.aws.stack import build_stack
from destkit.config import KitConfig, parse_config
from destkit.plan.engine import PlanResult, run_program
from destkit.plan.model import PlannedResource


def _name(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    # destination.name and destination.environment: lowercase letters, digits, single hyphens.
    return st.from_regex(rf"[a-z][a-z0-9-]{{{min_size - 2},{max_size - 2}}}[a-z0-9]", fullmatch=True).filter(
        lambda value: "--" not in value
    )


TENANT = st.from_regex(r"[a-z][a-z0-9]{0,7}(-[a-z0-9]{1,3}){0,2}", fullmatch=True).filter(lambda t: len(t) <= 16)

# Physical-name readers and validators per resource type.
CHECKS: dict[str, tuple[Callable[[PlannedResource], str], Callable[[str], str | None]]] = {
    "aws:s3/bucket:Bucket": (lambda r: r.outputs["bucket"], naming.s3_bucket_problem),
    "aws:iam/user:User": (lambda r: r.outputs["name"], naming.iam_name_problem),
    "aws:iam/role:Role": (lambda r: r.outputs["name"], naming.iam_name_problem),
    "aws:iam/group:Group": (lambda r: r.outputs["name"], lambda n: naming.iam_name_problem(n, 128)),
    "aws:iam/policy:Policy": (lambda r: r.outputs["name"], lambda n: naming.iam_name_problem(n, 128)),
    "aws:kms/alias:Alias": (lambda r: r.inputs["name"], naming.kms_alias_problem),
    "aws:cloudwatch/logGroup:LogGroup": (lambda r: r.inputs["name"], naming.log_group_problem),
    "aws:secretsmanager/secret:Secret": (lambda r: r.outputs["name"], naming.secret_name_problem),
    "aws:transfer/user:User": (lambda r: r.inputs["userName"], naming.transfer_user_problem),
}


def _config(name: str, environment: str, tenants: list[str], writer: str = "access_key") -> KitConfig:
    s3: dict[str, object] = {"enabled": True, "writer": writer}
    if writer == "assume_role":
        s3["external_id"] = "0123ABCD@AdobeOrg"
    return parse_config(
        {
            "destination": {"name": name, "cloud": "aws", "environment": environment},
            "tenants": tenants,
            "batch": {"s3": s3, "sftp": {"enabled": True}},
        }
    )


def _names(plan: PlanResult) -> list[tuple[str, str]]:
    """Return ``(type, physical name)`` of every resource whose name has a checked rule."""
    return [(r.type, CHECKS[r.type][0](r)) for r in plan.resources if r.type in CHECKS]


def _problems_in(names: list[tuple[str, str]]) -> list[str]:
    problems = []
    for type_token, physical in names:
        problem = CHECKS[type_token][1](physical)
        if problem:
            problems.append(f"{type_token} {physical!r}: {problem}")
    return problems


def _problems(plan: PlanResult) -> list[str]:
    return _problems_in(_names(plan))


def _plan(config: KitConfig) -> PlanResult:
    return run_program(lambda: build_stack(config))


@pytest.mark.parametrize("writer", ["access_key", "assume_role"])
def test_longest_names_valid(writer):
    config = _config("a" * 20, "b" * 8, ["c" * 16, "d-" + "e" * 14], writer)
    assert _problems(_plan(config)) == []


def test_shortest_names_valid():
    assert _problems(_plan(_config("abc", "de", ["f"]))) == []


def test_every_checked_type_registered(templates):
    assert set(CHECKS) - {type_token for type_token, _ in templates} == set()


# Sentinels use letters that never occur in the mock's hexadecimal auto-name suffixes.
SENTINEL_NAME, SENTINEL_ENVIRONMENT, SENTINEL_TENANTS = "qqqq", "www", ["tjjj", "tkkk", "tmmm"]


@pytest.fixture(scope="module")
def templates() -> list[tuple[str, str]]:
    names: list[tuple[str, str]] = []
    for writer in ("access_key", "assume_role"):
        config = _config(SENTINEL_NAME, SENTINEL_ENVIRONMENT, SENTINEL_TENANTS, writer)
        names.extend(_names(_plan(config)))
    return names


def _substitute(templates: list[tuple[str, str]], name: str, environment: str, tenants: list[str]):
    replacements = {SENTINEL_NAME: name, SENTINEL_ENVIRONMENT: environment}
    replacements.update(zip(SENTINEL_TENANTS, tenants, strict=False))
    # One pass, so a drawn value that contains a sentinel is not replaced again.
    pattern = re.compile("|".join(re.escape(sentinel) for sentinel in replacements))
    result = []
    for type_token, physical in templates:
        # A template of a tenant beyond the drawn list is skipped: that tenant does not exist.
        if any(sentinel in physical for sentinel in SENTINEL_TENANTS[len(tenants):]):
            continue
        result.append((type_token, pattern.sub(lambda match: replacements[match.group(0)], physical)))
    return result


def test_templates_cover_tenants(templates):
    assert all(any(tenant in physical for _, physical in templates) for tenant in SENTINEL_TENANTS)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_name(3, 20), environment=_name(2, 8), tenants=st.lists(TENANT, min_size=1, max_size=3, unique=True))
def test_generated_names_valid(templates, name, environment, tenants):
    assert _problems_in(_substitute(templates, name, environment, tenants)) == []


def test_validator_rejects_long_bucket():
    assert naming.s3_bucket_problem(naming.autonamed("x" * 56)) is not None


def test_validator_rejects_long_role():
    assert naming.iam_name_problem(naming.autonamed("x" * 57)) is not None
