"""Cross-field rules: options that conflict, duplicates, and values another field rules out."""

from __future__ import annotations

from typing import Any

import pytest

from destkit.config import ConfigError, KitConfig, parse_config

EXTERNAL = {
    "issuer_url": "https://idp.example.com/",
    "jwks_url": "https://idp.example.com/.well-known/jwks.json",
    "token_url": "https://idp.example.com/oauth2/token",
    "audience": "aep-intake",
    "tenant_by_client_id": {"client-a": "default"},
}


def config(cloud: str = "aws", **sections: Any) -> dict[str, Any]:
    return {"destination": {"name": "acme", "cloud": cloud}, **sections}


CROSS_FIELD_CASES = [
    ("duplicate tenants", config(tenants=["eu", "eu"]), "destkit:tenants"),
    ("tenant with uppercase", config(tenants=["EU"]), "destkit:tenants"),
    ("tenant too long", config(tenants=["a" * 17]), "destkit:tenants"),
    (
        "managed issuer with external url",
        config(streaming={"oauth2": {"issuer": "managed", "external": EXTERNAL}}),
        "destkit:streaming.oauth2.external",
    ),
    (
        "external issuer without settings",
        config(streaming={"oauth2": {"issuer": "external"}}),
        "destkit:streaming.oauth2.external",
    ),
    (
        "external issuer maps unknown tenant",
        config(
            streaming={
                "oauth2": {"issuer": "external", "external": {**EXTERNAL, "tenant_by_client_id": {"c": "x"}}}
            }
        ),
        "destkit:streaming.oauth2.external.tenant_by_client_id",
    ),
    (
        "audience api with basic auth",
        config(streaming={"auth": "basic", "audience_api": True}),
        "destkit:streaming.audience_api",
    ),
    (
        "body above lambda limit",
        config(streaming={"max_body_bytes": 6_000_000}),
        "destkit:streaming.max_body_bytes",
    ),
    (
        "burst below rate",
        config(streaming={"throttle_rate": 900, "throttle_burst": 100}),
        "destkit:streaming.throttle_burst",
    ),
    (
        "api flavor on azure",
        config("azure", streaming={"api_flavor": "http"}),
        "destkit:streaming.api_flavor",
    ),
    ("s3 on gcp", config("gcp", batch={"s3": {"enabled": True}}), "destkit:batch.s3.enabled"),
    ("blob on aws", config(batch={"blob": {"enabled": True}}), "destkit:batch.blob.enabled"),
    ("gcs on azure", config("azure", batch={"gcs": {"enabled": True}}), "destkit:batch.gcs.enabled"),
    (
        "assume role without external id",
        config(batch={"s3": {"enabled": True, "writer": "assume_role"}}),
        "destkit:batch.s3.external_id",
    ),
    (
        "external id with access keys",
        config(batch={"s3": {"enabled": True, "external_id": "org@AdobeOrg"}}),
        "destkit:batch.s3.external_id",
    ),
    (
        "sftp open to the world",
        config(batch={"sftp": {"enabled": True, "allowed_cidrs": ["0.0.0.0/0"]}}),
        "destkit:batch.sftp.allowed_cidrs",
    ),
    (
        "sftp cidr with host bits",
        config(batch={"sftp": {"enabled": True, "allowed_cidrs": ["10.0.0.1/8"]}}),
        "destkit:batch.sftp.allowed_cidrs",
    ),
    (
        "sftp ipv6 cidr",
        config(batch={"sftp": {"enabled": True, "allowed_cidrs": ["2001:db8::/32"]}}),
        "destkit:batch.sftp.allowed_cidrs",
    ),
    (
        "gcp sftp without opt-in",
        config("gcp", batch={"sftp": {"enabled": True}}),
        "destkit:batch.sftp.experimental",
    ),
    (
        "sftp ed25519 key",
        config(batch={"sftp": {"enabled": True, "public_keys": {"default": "ssh-ed25519 AAAAC3"}}}),
        "destkit:batch.sftp.public_keys.default",
    ),
    (
        "sftp key for unknown tenant",
        config(batch={"sftp": {"enabled": True, "public_keys": {"nobody": "ssh-rsa AAAAB3NzaC1yc2E="}}}),
        "destkit:batch.sftp.public_keys",
    ),
    (
        "secret for unknown tenant",
        config(secrets={"bearer_tokens": {"nobody": "x" * 40}}),
        "destkit:secrets.bearer_tokens",
    ),
    ("nothing enabled", config(streaming={"enabled": False}), "destkit:streaming.enabled"),
    ("tag key with uppercase", config(tags={"Team": "data"}), "destkit:tags"),
    ("tag value with spaces", config(tags={"team": "data platform"}), "destkit:tags"),
    (
        "custom domain certificate on gcp",
        config(
            "gcp",
            streaming={
                "custom_domain": {
                    "domain_name": "intake.example.com",
                    "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/"
                    "12345678-1234-1234-1234-123456789012",
                }
            },
        ),
        "destkit:streaming.custom_domain",
    ),
    (
        "destination name with double hyphen",
        {"destination": {"name": "ac--me", "cloud": "aws"}},
        "destkit:destination.name",
    ),
]


@pytest.mark.parametrize(("case", "raw", "key"), CROSS_FIELD_CASES, ids=[c[0] for c in CROSS_FIELD_CASES])
def test_cross_field_rejected(case, raw, key):
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    assert any(problem.startswith(key) for problem in caught.value.problems), caught.value.problems


def test_minimal_config_defaults():
    parsed = parse_config(config())
    assert parsed.tenants == ["default"]


def test_external_issuer_accepted():
    parsed = parse_config(config(streaming={"oauth2": {"issuer": "external", "external": EXTERNAL}}))
    assert parsed.streaming.oauth2.external is not None


def test_max_body_defaults_to_cloud_limit():
    assert parse_config(config()).max_body_bytes == 4_500_000


def test_prefix_joins_name_and_environment():
    assert parse_config(config()).prefix == "acme-dev"


def test_config_model_is_frozen():
    parsed = parse_config(config())
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises ValidationError on frozen models
        parsed.tenants = ["x"]  # type: ignore[misc]


def test_kit_config_documents_every_top_level_field():
    missing = [name for name, field in KitConfig.model_fields.items() if field.annotation is None]
    assert missing == []
