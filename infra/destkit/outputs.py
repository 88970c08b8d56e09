"""The stack outputs table: one name per concept, shared by every cloud.

This table is the contract between the Pulumi program, ``destkit plan``, ``destkit serve``,
``destkit adobe render`` and ``destkit verify``. Per-tenant values are maps keyed by tenant id.
``docs/outputs.md`` is generated from it, and a test fails when a stack exports a name that is
not listed here or lists a secret output as plain.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class OutputSpec:
    name: str
    type: str
    secret: bool
    clouds: tuple[str, ...]
    meaning: str
    per_tenant: bool = False


ALL = ("aws", "azure", "gcp")

OUTPUTS: tuple[OutputSpec, ...] = (
    OutputSpec("cloud", "string", False, ALL, "Cloud that hosts the destination: aws, azure or gcp."),
    OutputSpec("region", "string", False, ALL, "Region (AWS, GCP) or location (Azure) of the stack."),
    OutputSpec("tenants", "list[string]", False, ALL, "Tenant ids, one per AEP customer."),
    # Streaming endpoint.
    OutputSpec("url", "string", False, ALL, "HTTPS URL that AEP posts profile batches to."),
    OutputSpec("auth_type", "string", False, ALL, "Streaming authentication: oauth2, bearer or basic."),
    OutputSpec(
        "token_url", "string", False, ALL, "OAuth 2.0 token endpoint (client credentials), oauth2 only."
    ),
    OutputSpec("scope", "string", False, ALL, "Scope AEP requests from the token endpoint, oauth2 only."),
    OutputSpec("client_ids", "map[string]", False, ALL, "OAuth 2.0 client id per tenant.", True),
    OutputSpec("client_secrets", "map[string]", True, ALL, "OAuth 2.0 client secret per tenant.", True),
    OutputSpec("tokens", "map[string]", True, ALL, "Bearer token per tenant, bearer only.", True),
    OutputSpec("usernames", "map[string]", False, ALL, "Basic-auth user name per tenant, basic only.", True),
    OutputSpec("passwords", "map[string]", True, ALL, "Basic-auth password per tenant, basic only.", True),
    OutputSpec(
        "audience_api_url", "string", False, ALL, "Base URL of the audience metadata API, when enabled."
    ),
    OutputSpec("max_body_bytes", "integer", False, ALL, "Largest decoded request body the intake accepts."),
    OutputSpec("sink", "string", False, ALL, "Bucket or container where accepted payloads land."),
    OutputSpec("sink_prefixes", "map[string]", False, ALL, "Sink prefix per tenant.", True),
    # Batch drop zones.
    OutputSpec("s3_bucket", "string", False, ("aws",), "Drop-zone bucket for AEP's S3 destination."),
    OutputSpec(
        "s3_prefixes", "map[string]", False, ("aws",), "Folder path per tenant in the S3 drop zone.", True
    ),
    OutputSpec("s3_access_key_ids", "map[string]", False, ("aws",), "Writer access key id per tenant.", True),
    OutputSpec("s3_secret_access_keys", "map[string]", True, ("aws",), "Writer secret key per tenant.", True),
    OutputSpec(
        "s3_role_arns", "map[string]", False, ("aws",), "Writer role ARN per tenant (assume_role).", True
    ),
    OutputSpec("s3_external_id", "string", True, ("aws",), "sts:ExternalId the role requires (assume_role)."),
    OutputSpec("sftp_host", "string", False, ALL, "SFTP host name or address."),
    OutputSpec("sftp_port", "integer", False, ALL, "SFTP port."),
    OutputSpec("sftp_usernames", "map[string]", False, ALL, "SFTP user name per tenant.", True),
    OutputSpec(
        "sftp_private_keys", "map[string]", True, ALL, "RSA private key (base64 PEM) per tenant.", True
    ),
    OutputSpec("sftp_root_directories", "map[string]", False, ALL, "SFTP root directory per tenant.", True),
    OutputSpec(
        "blob_connection_strings",
        "map[string]",
        True,
        ("azure",),
        "Landing-account connection string per tenant.",
        True,
    ),
    OutputSpec("blob_containers", "map[string]", False, ("azure",), "Landing container per tenant.", True),
    OutputSpec(
        "adls_urls", "map[string]", False, ("azure",), "abfss:// URL of the tenant's file system.", True
    ),
    OutputSpec(
        "adls_tenant_id", "string", False, ("azure",), "Entra ID tenant of the ADLS service principals."
    ),
    OutputSpec(
        "adls_client_ids",
        "map[string]",
        False,
        ("azure",),
        "ADLS service principal client id per tenant.",
        True,
    ),
    OutputSpec(
        "adls_client_secrets",
        "map[string]",
        True,
        ("azure",),
        "ADLS service principal secret per tenant.",
        True,
    ),
    OutputSpec("gcs_bucket", "string", False, ("gcp",), "Drop-zone bucket for AEP's GCS destination."),
    OutputSpec(
        "gcs_prefixes", "map[string]", False, ("gcp",), "Folder path per tenant in the GCS drop zone.", True
    ),
    OutputSpec("gcs_hmac_access_ids", "map[string]", False, ("gcp",), "HMAC access id per tenant.", True),
    OutputSpec("gcs_hmac_secrets", "map[string]", True, ("gcp",), "HMAC secret per tenant.", True),
)

BY_NAME = {spec.name: spec for spec in OUTPUTS}

# Names that ``destkit serve`` prints on its ready line: the first tenant's value of each
# per-tenant map, under the singular name.
SERVE_SINGULAR = {
    "client_ids": "client_id",
    "client_secrets": "client_secret",
    "tokens": "token",
    "usernames": "username",
    "passwords": "password",
}


def secret_output_names() -> frozenset[str]:
    return frozenset(spec.name for spec in OUTPUTS if spec.secret)


def render_markdown() -> str:
    """Render the outputs reference page (``docs/outputs.md``)."""
    lines = [
        "# Stack outputs",
        "",
        "Generated from `infra/destkit/outputs.py` by `python -m destkit.docs`; a test fails when it is stale.",
        "Per-tenant values are maps keyed by tenant id. Secret outputs print as `[secret]` unless you pass",
        "`--show-secrets` to `pulumi stack output`.",
        "",
        "| name | type | secret | clouds | meaning |",
        "|---|---|---|---|---|",
    ]
    for spec in OUTPUTS:
        secret = "yes" if spec.secret else "no"
        lines.append(
            f"| `{spec.name}` | {spec.type} | {secret} | {', '.join(spec.clouds)} | {spec.meaning} |"
        )
    return "\n".join(lines) + "\n"


def streaming_stack_outputs(endpoint: Any) -> dict[str, Any]:
    """Return the outputs-table values of a streaming endpoint that apply to its auth mode.

    ``endpoint`` is any cloud's ``StreamingEndpoint``: it has ``url``, ``auth_type``,
    ``max_body_bytes``, ``token_url``, ``scope``, ``audience_api_url`` and the per-tenant maps
    ``client_ids``, ``client_secrets``, ``tokens``, ``usernames`` and ``passwords``. Each map
    becomes one Output, so the whole map is either secret or plain.
    """
    import pulumi

    outputs: dict[str, Any] = {
        "url": endpoint.url,
        "auth_type": endpoint.auth_type,
        "max_body_bytes": endpoint.max_body_bytes,
    }
    if endpoint.token_url is not None:
        outputs["token_url"] = endpoint.token_url
    if endpoint.scope is not None:
        outputs["scope"] = endpoint.scope
    if endpoint.client_ids:
        outputs["client_ids"] = pulumi.Output.from_input(endpoint.client_ids)
        outputs["client_secrets"] = pulumi.Output.secret(pulumi.Output.from_input(endpoint.client_secrets))
    if endpoint.tokens:
        outputs["tokens"] = pulumi.Output.secret(pulumi.Output.from_input(endpoint.tokens))
    if endpoint.usernames:
        outputs["usernames"] = endpoint.usernames
        outputs["passwords"] = pulumi.Output.secret(pulumi.Output.from_input(endpoint.passwords))
    if endpoint.audience_api_url is not None:
        outputs["audience_api_url"] = endpoint.audience_api_url
    return outputs


def encode_private_key(pem: str) -> str:
    """Encode a PEM private key as one base64 line, the form AEP's SFTP connection accepts."""
    return base64.b64encode(pem.encode("ascii")).decode("ascii")


def sftp_private_key_outputs(private_keys: Mapping[str, Any]) -> dict[str, Any]:
    """Return each tenant's generated ``tls.PrivateKey`` as a base64 PEM Pulumi secret.

    Tenants whose key is ``None`` (the user supplied a public key) are left out.
    """
    import pulumi

    return {
        tenant: pulumi.Output.secret(key.private_key_pem.apply(encode_private_key))
        for tenant, key in private_keys.items()
        if key is not None
    }
