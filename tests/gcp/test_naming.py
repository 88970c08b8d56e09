"""Generated GCP names obey GCP's rules for every valid destination name, environment and tenant id."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from destkit.gcp import naming
from destkit.gcp.streaming import token_audience
from destkit.runtime.gcp.settings import secret_env_name

# The config's rules: names of 3 to 20 and environments of 2 to 8 characters, tenants of 1 to 16.
_WORD = st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True)


def _joined(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    return (
        st.lists(_WORD, min_size=1, max_size=4)
        .map("-".join)
        .filter(lambda name: min_size <= len(name) <= max_size and name[-1].isalnum())
    )


NAMES = _joined(3, 20)
ENVIRONMENTS = _joined(2, 8)
TENANTS = _joined(1, 16)


@settings(max_examples=100, deadline=None)
@given(NAMES, ENVIRONMENTS, TENANTS)
def test_service_account_ids_valid(name, environment, tenant):
    prefix = f"{name}-{environment}"
    for purpose in ("gateway", "intake", "token", "signer", "sftp"):
        assert naming.service_account_id_problem(naming.service_account_id(prefix, purpose)) is None
    assert naming.service_account_id_problem(naming.service_account_id(prefix, "gcs", tenant)) is None


@settings(max_examples=100, deadline=None)
@given(NAMES, ENVIRONMENTS)
def test_resource_ids_valid(name, environment):
    prefix = f"{name}-{environment}"
    for purpose in ("api", "gateway", "intake", "token", "sftp"):
        assert naming.resource_id_problem(naming.resource_id(prefix, purpose)) is None


@settings(max_examples=100, deadline=None)
@given(NAMES, ENVIRONMENTS, TENANTS)
def test_secret_ids_valid(name, environment, tenant):
    prefix = f"{name}-{environment}"
    for kind in ("client-secret", "token", "password", "gcs-hmac"):
        assert naming.secret_id_problem(naming.fit(f"{prefix}-{kind}-{tenant}", 255)) is None


@settings(max_examples=100, deadline=None)
@given(TENANTS)
def test_sftp_users_valid(tenant):
    assert naming.linux_user_problem(naming.sftp_user(tenant)) is None


@settings(max_examples=100, deadline=None)
@given(NAMES, ENVIRONMENTS)
def test_bucket_names_valid(name, environment):
    # Pulumi appends a hyphen and seven characters to the logical name.
    for purpose in ("sink", "gcs", "streaming-source", "sftp-files"):
        assert naming.bucket_problem(f"{name}-{environment}-{purpose}-abcdefg") is None


@settings(max_examples=100, deadline=None)
@given(TENANTS, TENANTS)
def test_secret_env_names_distinct(first, second):
    if first != second:
        assert secret_env_name(first) != secret_env_name(second)


def test_fit_keeps_short_name():
    assert naming.fit("acme-dev-intake", 30) == "acme-dev-intake"


def test_fit_long_names_unique():
    first = naming.fit("averyveryverylongname-prod-gcs-tenant-one", 30)
    second = naming.fit("averyveryverylongname-prod-gcs-tenant-two", 30)
    assert len(first) == 30
    assert first != second


def test_short_account_id_padded():
    assert naming.service_account_id_problem(naming.service_account_id("ab")) is None


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("Upper-case", "service account ids"),
        ("1starts-with-digit", "service account ids"),
        ("ends-with-hyphen-", "service account ids"),
        ("short", "service account ids"),
        ("x" * 31, "service account ids"),
    ],
)
def test_invalid_account_ids_reported(name, fragment):
    assert fragment in (naming.service_account_id_problem(name) or "")


@pytest.mark.parametrize("name", ["goog-bucket", "my-google-bucket", "-leading", "UPPER", "a", "x" * 64])
def test_invalid_buckets_reported(name):
    assert naming.bucket_problem(name) is not None


@pytest.mark.parametrize(("key", "value"), [("Key", "v"), ("k", "Value"), ("1k", "v"), ("k", "x" * 64)])
def test_invalid_labels_reported(key, value):
    assert naming.label_problem(key, value) is not None


def test_kit_labels_valid():
    from destkit.gcp.defaults import labels

    for key, value in labels({"team": "data"}, "acme", "dev").items():
        assert naming.label_problem(key, value) is None


def test_token_audience_from_prefix():
    assert token_audience("acme-dev") == "acme-dev-intake"
