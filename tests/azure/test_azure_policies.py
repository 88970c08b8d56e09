"""API Management policy documents: well-formed XML, every check in place, hostile values rejected."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import pytest

from destkit.azure import policies

VALIDATION = policies.OAuthValidation(
    openid_config_url="https://login.example.test/t/v2.0/.well-known/openid-configuration",
    issuer="https://login.example.test/t/v2.0",
    audience="11111111-1111-4111-8111-111111111111",
    tenant_by_client_id={
        "22222222-2222-4222-8222-222222222222": "acme",
        "33333333-3333-4333-8333-333333333333": "globex",
    },
    required_role="Ingest.Write",
)
BACKEND = "44444444-4444-4444-8444-444444444444"


def _parse(document: str) -> ElementTree.Element:
    return ElementTree.fromstring(document)


def test_oauth_policy_is_xml():
    assert _parse(policies.oauth_policy(VALIDATION, BACKEND)).tag == "policies"


def test_oauth_policy_requires_signed_tokens():
    jwt = _parse(policies.oauth_policy(VALIDATION, BACKEND)).find("inbound/validate-jwt")
    assert jwt is not None
    assert jwt.get("require-signed-tokens") == "true"
    assert jwt.get("require-expiration-time") == "true"
    assert jwt.get("failed-validation-httpcode") == "401"


def test_oauth_policy_forwards_with_managed_identity():
    identity = _parse(policies.oauth_policy(VALIDATION, BACKEND)).find(
        "inbound/authentication-managed-identity"
    )
    assert identity is not None
    assert identity.get("resource") == BACKEND


def test_oauth_policy_without_role_has_no_claims():
    external = policies.OAuthValidation(
        "https://i/.well-known/openid-configuration", "https://i", "aud", {"c": "acme"}
    )
    claims = _parse(policies.oauth_policy(external, BACKEND)).find("inbound/validate-jwt/required-claims")
    assert claims is not None
    assert list(claims) == []


def test_on_error_adds_www_authenticate():
    header = _parse(policies.oauth_policy(VALIDATION, BACKEND)).find("on-error/choose/when/set-header")
    assert header is not None
    assert header.get("name") == "WWW-Authenticate"


def test_empty_client_map_rejected():
    empty = policies.OAuthValidation("https://i/x", "https://i", "aud", {})
    with pytest.raises(ValueError, match="tenant_by_client_id is empty"):
        policies.oauth_policy(empty, BACKEND)


@pytest.mark.parametrize("client_id", ['evil"; return "globex', "a b", "<x>", ""])
def test_hostile_client_id_rejected(client_id):
    hostile = policies.OAuthValidation("https://i/x", "https://i", "aud", {client_id: "acme"})
    with pytest.raises(ValueError, match="client id"):
        policies.oauth_policy(hostile, BACKEND)


@pytest.mark.parametrize("tenant", ['acme"', "a/b"])
def test_hostile_tenant_rejected(tenant):
    with pytest.raises(ValueError, match="tenant"):
        policies.bearer_policy({tenant: "bearer-x"}, BACKEND)


def test_bearer_policy_one_branch_per_tenant():
    root = _parse(policies.bearer_policy({"acme": "bearer-acme", "globex": "bearer-globex"}, BACKEND))
    assert len(root.findall("inbound/choose")[0]) == 2


def test_bearer_policy_unmatched_returns_401():
    root = _parse(policies.bearer_policy({"acme": "bearer-acme"}, BACKEND))
    header = root.find("inbound/choose/when/return-response/set-header")
    assert header is not None
    assert header.get("name") == "WWW-Authenticate"


def test_basic_policy_realm_is_basic():
    root = _parse(policies.basic_policy({"acme": "aep-acme"}, {"acme": "basic-acme"}, BACKEND))
    values = [v.text for v in root.iter("value")]
    assert 'Basic realm="destkit", charset="UTF-8"' in values


def test_tenant_header_deleted_before_anything():
    for document in (
        policies.oauth_policy(VALIDATION, BACKEND),
        policies.bearer_policy({"acme": "bearer-acme"}, BACKEND),
        policies.basic_policy({"acme": "aep-acme"}, {"acme": "basic-acme"}, BACKEND),
    ):
        inbound = _parse(document).find("inbound")
        assert inbound is not None
        assert [child.tag for child in inbound][:2] == ["base", "set-header"]
        assert inbound[1].get("exists-action") == "delete"


@pytest.mark.parametrize("token", ['abc"def', "abc def", "{{named}}", "abc\\", ""])
def test_hostile_bearer_token_rejected(token):
    with pytest.raises(ValueError, match="RFC 6750"):
        policies.check_bearer_token("acme", token)


def test_plain_bearer_token_accepted():
    policies.check_bearer_token("acme", "AbC-._~+/0123456789==")


@pytest.mark.parametrize("password", ['pa"ss', "pa ss", "{x}", "a&b", "a<b"])
def test_hostile_basic_password_rejected(password):
    with pytest.raises(ValueError, match="Basic password"):
        policies.check_basic_password("acme", password)
