"""Generated Azure names satisfy Azure's rules for every valid destination, environment and tenant."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from destkit.azure import naming

# The config's rules: destination names have 3 to 20 characters and environments 2 to 8, from
# lowercase letters, digits and single hyphens. Tenant ids have 1 to 16 such characters.
destination_names = st.from_regex(r"\A[a-z](?:[a-z0-9]|-(?=[a-z0-9])){1,18}[a-z0-9]\Z")
environments = st.from_regex(r"\A[a-z](?:[a-z0-9]|-(?=[a-z0-9])){0,6}[a-z0-9]\Z")
tenants = st.from_regex(r"\A[a-z][a-z0-9]{0,7}(?:-[a-z0-9]{1,3})?\Z").filter(lambda t: len(t) <= 16)
seeds = st.text(min_size=1, max_size=120)


def _prefix(destination: str, environment: str) -> str:
    return f"{destination}-{environment}"


@given(destination_names, environments, seeds, tenants)
def test_storage_account_names_valid(destination, environment, seed, tenant):
    for purpose in ("sink", "blob", "adls", "sftp", "fnhost"):
        assert (
            naming.storage_account_problem(
                naming.storage_account_name(_prefix(destination, environment), purpose, seed)
            )
            is None
        )
        assert (
            naming.storage_account_problem(
                naming.storage_account_name(_prefix(destination, environment), purpose, seed, tenant)
            )
            is None
        )


@given(destination_names, environments, seeds)
def test_key_vault_names_valid(destination, environment, seed):
    assert naming.key_vault_problem(naming.key_vault_name(_prefix(destination, environment), seed)) is None


@given(destination_names, environments, seeds)
def test_apim_names_valid(destination, environment, seed):
    assert naming.apim_problem(naming.apim_name(_prefix(destination, environment), seed)) is None


@given(destination_names, environments, seeds)
def test_function_app_names_valid(destination, environment, seed):
    assert (
        naming.function_app_problem(naming.function_app_name(_prefix(destination, environment), seed)) is None
    )


@given(tenants)
def test_container_names_valid(tenant):
    for purpose in ("landing", "aep", "sftp"):
        assert naming.container_problem(naming.container_name(purpose, tenant)) is None


@given(tenants)
def test_local_user_names_valid(tenant):
    assert naming.local_user_problem(naming.local_user_name(tenant)) is None


def test_storage_name_differs_by_stack():
    first = naming.storage_account_name("acme-aep-dev", "sink", "kit/dev/sink")
    second = naming.storage_account_name("acme-aep-dev", "sink", "kit/prod/sink")
    assert first != second


def test_storage_name_stable_for_seed():
    assert naming.storage_account_name("acme-aep-dev", "sink", "s") == naming.storage_account_name(
        "acme-aep-dev", "sink", "s"
    )


def test_storage_name_ends_with_digest():
    assert re.fullmatch(
        r"acmeaepdevsink[0-9a-f]{6}", naming.storage_account_name("acme-aep-dev", "sink", "s")
    )


@pytest.mark.parametrize(
    ("check", "name"),
    [
        (naming.storage_account_problem, "Has-Upper"),
        (naming.storage_account_problem, "ab"),
        (naming.storage_account_problem, "a" * 25),
        (naming.key_vault_problem, "1starts-with-digit"),
        (naming.key_vault_problem, "double--hyphen"),
        (naming.key_vault_problem, "ends-with-hyphen-"),
        (naming.apim_problem, "-leading"),
        (naming.apim_problem, "a" * 51),
        (naming.function_app_problem, "a" * 33),
        (naming.container_problem, "ab"),
        (naming.container_problem, "Upper"),
        (naming.local_user_problem, "has-hyphen"),
    ],
)
def test_invalid_name_reported(check, name):
    assert check(name) is not None


def test_colliding_local_users_rejected():
    with pytest.raises(ValueError, match="both map to the SFTP user"):
        naming.check_local_users_distinct(["a-b", "ab"])
