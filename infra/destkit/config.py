"""Typed stack configuration for the kit, parsed once at the program's edge.

Every key lives in the ``destkit`` config namespace. The program reads the raw values with
:func:`load_raw_config` (real ``pulumi up``) and passes them to :func:`parse_config`, which
returns a :class:`KitConfig` or raises :class:`ConfigError` with one line per invalid value.
Components never read ``pulumi.Config``: they take the typed models below.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

NAMESPACE = "destkit"

# Top-level keys of the ``destkit`` namespace. Anything else is rejected, so a typo such as
# ``destkit:tenant`` is an error instead of a silently ignored value.
TOP_LEVEL_KEYS = (
    "destination",
    "tenants",
    "streaming",
    "batch",
    "tags",
    "aws",
    "azure",
    "gcp",
    "exceptions",
    "secrets",
)

# AEP's published egress addresses for cloud-storage destinations (S3, GCS, SFTP), from
# Adobe's "IP address allowlist for cloud storage destinations" page. The first address is
# required for every customer; the others are regional.
AEP_STORAGE_EGRESS_CIDRS = (
    "52.247.108.70/32",
    "52.252.71.64/29",
    "20.220.135.16/29",
    "51.137.8.208/29",
    "20.26.133.96/29",
    "20.53.201.168/29",
)

# Lambda's synchronous invocation payload limit is 6 MB (6,291,456 bytes) for the whole
# event. API Gateway base64-encodes binary bodies (gzip), which grows them by 4/3, so the
# decoded body must stay under 6,291,456 * 3 / 4 = 4,718,592 bytes minus the event envelope.
AWS_MAX_BODY_BYTES = 4_500_000
# API Management on the Consumption tier and Azure Functions accept larger bodies. The kit caps
# them at the same order of magnitude, so one Adobe configuration fits every cloud.
AZURE_MAX_BODY_BYTES = 16_000_000
# Cloud Run limits HTTP/1 request bodies to 32 MiB; API Gateway on GCP has the same cap.
GCP_MAX_BODY_BYTES = 30_000_000
MAX_BODY_BYTES_BY_CLOUD = {
    "aws": AWS_MAX_BODY_BYTES,
    "azure": AZURE_MAX_BODY_BYTES,
    "gcp": GCP_MAX_BODY_BYTES,
}

_NAME_RE = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
_TENANT_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_AZURE_SUBNET_ID = (
    r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[A-Za-z0-9_.()-]{1,90}/providers/"
    r"Microsoft\.Network/virtualNetworks/[A-Za-z0-9_.-]{2,64}/subnets/[A-Za-z0-9_.-]{1,80}$"
)


class ConfigError(ValueError):
    """Invalid stack configuration. ``problems`` contains one message per invalid value."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))


class Cloud(StrEnum):
    AWS = "aws"
    AZURE = "azure"
    GCP = "gcp"


class AuthMode(StrEnum):
    OAUTH2 = "oauth2"
    BEARER = "bearer"
    BASIC = "basic"


class IssuerKind(StrEnum):
    MANAGED = "managed"
    EXTERNAL = "external"


class PayloadMode(StrEnum):
    VALIDATE = "validate"
    PASSTHROUGH = "passthrough"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


HttpsUrl = Annotated[str, Field(pattern=r"^https://[^\s/$.?#][^\s]*$", max_length=2048)]


class DestinationConfig(_Model):
    """Identity of the destination: its short name prefixes every physical name."""

    name: str = Field(
        min_length=3,
        max_length=20,
        description="3 to 20 lowercase letters, digits and single hyphens, starting with a letter and ending "
        "with a letter or digit; prefixes every resource name.",
    )
    cloud: Cloud = Field(description="Cloud that hosts the destination: aws, azure or gcp.")
    environment: str = Field(
        default="dev",
        min_length=2,
        max_length=8,
        description="Environment label (for example dev, prod) added to names and tags.",
    )
    log_retention_days: int = Field(
        default=365,
        ge=1,
        le=3653,
        description="Retention of every log group or workspace the kit creates, in days.",
    )
    protect_data: bool = Field(
        default=True,
        description="Protect data stores and keys from deletion (Pulumi protect, no force-destroy).",
    )

    @field_validator("name", "environment")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not _NAME_RE.match(value) or "--" in value:
            raise ValueError(
                "must start with a lowercase letter, contain only lowercase letters, digits and "
                "single hyphens, and end with a letter or digit"
            )
        return value


class ExternalIssuerConfig(_Model):
    """An OAuth 2.0 issuer run outside the kit (Okta, Auth0, Entra ID, ...)."""

    issuer_url: HttpsUrl = Field(description="The issuer (`iss` claim) of access tokens.")
    jwks_url: HttpsUrl = Field(description="URL of the issuer's JSON Web Key Set.")
    token_url: HttpsUrl = Field(description="Token endpoint that AEP calls with client credentials.")
    audience: str = Field(min_length=1, max_length=512, description="Expected `aud` claim.")
    scope: str | None = Field(default=None, max_length=256, description="Scope AEP requests, if any.")
    tenant_by_client_id: dict[str, str] = Field(
        description="Maps the token's client id (`client_id`, `azp` or `sub` claim) to a tenant id.",
    )


class OAuth2Config(_Model):
    issuer: IssuerKind = Field(
        default=IssuerKind.MANAGED,
        description="managed: the kit runs the token issuer; external: tokens come from your identity provider.",
    )
    external: ExternalIssuerConfig | None = Field(
        default=None, description="Required when issuer is external; rejected when it is managed."
    )
    scope_name: str = Field(
        default="ingest",
        pattern=r"^[a-z][a-z0-9._-]{0,62}$",
        description="Name of the scope the managed issuer grants and the gateway requires.",
    )
    token_validity_hours: int = Field(
        default=24,
        ge=1,
        le=24,
        description="Access-token lifetime of the managed issuer, in hours. Adobe recommends 24.",
    )


class CustomDomainConfig(_Model):
    domain_name: str = Field(
        min_length=4,
        max_length=253,
        pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
        description="Fully qualified domain name of the intake, for example intake.example.com.",
    )
    certificate_arn: str | None = Field(
        default=None,
        pattern=r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$",
        description="AWS only: existing ACM certificate in the API's region. Created when unset.",
    )
    hosted_zone_id: str | None = Field(
        default=None,
        pattern=r"^Z[A-Z0-9]{1,31}$",
        description="AWS only: Route 53 zone for certificate validation and the alias record.",
    )


class StreamingConfig(_Model):
    enabled: bool = Field(default=True, description="Deploy the streaming (real-time) endpoint.")
    auth: AuthMode = Field(default=AuthMode.OAUTH2, description="How AEP authenticates: oauth2, bearer or basic.")
    oauth2: OAuth2Config = Field(default_factory=OAuth2Config, description="OAuth 2.0 settings (auth oauth2).")
    audience_api: bool = Field(
        default=False, description="Deploy the audience metadata API (POST/PUT/DELETE /audiences)."
    )
    payload_mode: PayloadMode = Field(
        default=PayloadMode.VALIDATE,
        description="validate: check the kit's default payload; passthrough: accept any JSON object or array.",
    )
    max_body_bytes: int | None = Field(
        default=None,
        ge=1024,
        description="Largest accepted decoded request body, in bytes. Default: the cloud's maximum.",
    )
    max_decompressed_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=1024,
        le=512 * 1024 * 1024,
        description="Largest body after gzip decompression, in bytes; larger bodies get 413.",
    )
    throttle_rate: int = Field(default=500, ge=1, le=10000, description="Steady request rate limit, per second.")
    throttle_burst: int = Field(default=1000, ge=1, le=5000, description="Request burst limit.")
    reserved_concurrency: int | None = Field(
        default=100, ge=1, le=1000, description="AWS only: reserved concurrency of the intake function."
    )
    memory_mb: int = Field(default=512, ge=128, le=10240, description="Memory of the intake function, in MB.")
    timeout_seconds: int = Field(
        default=29, ge=3, le=29, description="Intake function timeout, in seconds (API Gateway stops at 29)."
    )
    api_flavor: Literal["rest", "http"] = Field(
        default="rest",
        description="AWS only: rest (WAF, 401 with WWW-Authenticate) or http (cheaper, recorded exceptions).",
    )
    waf_rate_limit: int = Field(
        default=100_000,
        ge=100,
        le=2_000_000_000,
        description="AWS only: WAF rate-based rule, requests per 5 minutes per source address.",
    )
    custom_domain: CustomDomainConfig | None = Field(
        default=None, description="Custom domain of the intake. Unset: the gateway's own URL."
    )


class S3Config(_Model):
    enabled: bool = Field(
        default=False, description="Deploy the S3 drop zone for AEP's Amazon S3 destination (AWS only)."
    )
    writer: Literal["access_key", "assume_role"] = Field(
        default="access_key",
        description="access_key: IAM user per tenant (documented for Destination SDK); "
        "assume_role: role trusting Adobe's principal (not documented for Destination SDK).",
    )
    external_id: str | None = Field(
        default=None,
        min_length=2,
        max_length=1224,
        pattern=r"^[\w+=,.@:/-]+$",
        description="sts:ExternalId required from Adobe's principal; required with writer assume_role.",
    )
    list_scope: Literal["bucket", "tenant_prefix"] = Field(
        default="bucket",
        description="bucket: s3:ListBucket on the whole bucket, as Adobe's documented policy grants; "
        "tenant_prefix: listing limited to the tenant's prefix (narrower, not verified against AEP).",
    )
    allowed_cidrs: list[str] | None = Field(
        default=None,
        description="Source CIDRs allowed to write (bucket policy aws:SourceIp). Unset: no address condition.",
    )


class SftpConfig(_Model):
    enabled: bool = Field(
        default=False,
        description="Deploy the SFTP drop zone (Transfer Family, Blob SFTP, or a Compute Engine server on GCP).",
    )
    allowed_cidrs: list[str] = Field(
        default_factory=lambda: list(AEP_STORAGE_EGRESS_CIDRS),
        min_length=1,
        description="Source CIDRs allowed to connect. Default: AEP's published storage egress ranges.",
    )
    public_keys: dict[str, str] = Field(
        default_factory=dict,
        description="Optional RSA public key (OpenSSH format) per tenant; a key pair is generated otherwise.",
    )
    experimental: bool = Field(
        default=False,
        description="GCP only: acknowledge that the Compute Engine SFTP server is experimental.",
    )


class BlobConfig(_Model):
    enabled: bool = Field(
        default=False, description="Deploy the Blob landing account for AEP's Azure Blob destination (Azure only)."
    )
    isolation: Literal["account_per_tenant", "container_per_tenant"] = Field(
        default="account_per_tenant",
        description="account_per_tenant: one landing account each; container_per_tenant: one shared account.",
    )


class AdlsConfig(_Model):
    enabled: bool = Field(
        default=False,
        description="Deploy the ADLS Gen2 drop zone for AEP's Azure Data Lake Storage destination (Azure only).",
    )
    secret_validity_days: int = Field(default=365, ge=1, le=730, description="Service principal secret lifetime.")


class GcsConfig(_Model):
    enabled: bool = Field(
        default=False, description="Deploy the GCS drop zone for AEP's Google Cloud Storage destination (GCP only)."
    )


class BatchConfig(_Model):
    s3: S3Config = Field(default_factory=S3Config, description="Amazon S3 drop zone (AWS).")
    sftp: SftpConfig = Field(default_factory=SftpConfig, description="SFTP drop zone (every cloud).")
    blob: BlobConfig = Field(default_factory=BlobConfig, description="Azure Blob landing account (Azure).")
    adls: AdlsConfig = Field(default_factory=AdlsConfig, description="ADLS Gen2 drop zone (Azure).")
    gcs: GcsConfig = Field(default_factory=GcsConfig, description="Google Cloud Storage drop zone (GCP).")
    expire_days: int = Field(default=30, ge=1, le=3650, description="Delete landed files after this many days.")
    noncurrent_version_days: int = Field(
        default=7, ge=1, le=365, description="Delete overwritten or deleted versions after this many days."
    )
    abort_multipart_days: int = Field(default=1, ge=1, le=7, description="Abort incomplete uploads after days.")


class AwsVpcConfig(_Model):
    vpc_id: str = Field(pattern=r"^vpc-[0-9a-f]{8,17}$", description="Existing VPC id (vpc-0123abcd).")
    subnet_ids: list[str] = Field(
        min_length=1,
        max_length=3,
        description="1 to 3 subnet ids of that VPC, one per availability zone, for the SFTP endpoint.",
    )

    @field_validator("subnet_ids")
    @classmethod
    def _check_subnets(cls, value: list[str]) -> list[str]:
        for subnet in value:
            if not re.match(r"^subnet-[0-9a-f]{8,17}$", subnet):
                raise ValueError(f"{subnet!r} is not a subnet id (subnet-0123abcd)")
        return value


class AwsConfig(_Model):
    kms_key_arn: str | None = Field(
        default=None,
        pattern=r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]{36}$",
        description="Existing customer-managed KMS key. Created (with rotation) when unset.",
    )
    log_bucket_name: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
        description="Existing S3 server-access-log bucket. Created when unset.",
    )
    vpc: AwsVpcConfig | None = Field(
        default=None,
        description="Existing VPC and subnets for the SFTP endpoint. A minimal VPC is created when unset.",
    )
    manage_apigateway_account: bool = Field(
        default=False,
        description="Set the account-wide API Gateway CloudWatch role (one per account and region).",
    )


class AzureConfig(_Model):
    location: str = Field(
        default="westeurope",
        pattern=r"^[a-z0-9]+$",
        description="Azure region of every resource, for example westeurope.",
    )
    resource_group_name: str | None = Field(default=None, description="Existing resource group. Created when unset.")
    key_vault_id: str | None = Field(default=None, description="Existing Key Vault resource id.")
    log_analytics_workspace_id: str | None = Field(default=None, description="Existing workspace resource id.")
    apim_profile: Literal["consumption", "isolated"] = Field(
        default="consumption",
        description="consumption (fast, public) or isolated (Premium v2 tier in a VNet).",
    )
    apim_publisher_email: str = Field(
        default="platform-team@example.com",
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        description="Publisher e-mail that API Management requires; it receives service notifications.",
    )
    apim_publisher_name: str = Field(
        default="Platform team",
        min_length=1,
        max_length=100,
        description="Publisher name that API Management requires.",
    )
    apim_subnet_id: str | None = Field(
        default=None,
        pattern=_AZURE_SUBNET_ID,
        description="Subnet the API Management gateway joins (isolated profile only; required there).",
    )
    private_endpoint_subnet_id: str | None = Field(
        default=None,
        pattern=_AZURE_SUBNET_ID,
        description="Subnet of the Function App's private endpoint (isolated profile only; required there).",
    )
    client_secret_validity_days: int = Field(
        default=365,
        ge=1,
        le=730,
        description="Lifetime of each OAuth 2.0 client secret the managed issuer creates for AEP, in days.",
    )


class GcpConfig(_Model):
    project: str | None = Field(
        default=None, pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$", description="Existing project id."
    )
    region: str = Field(
        default="europe-west1", pattern=r"^[a-z]+-[a-z]+[0-9]$", description="GCP region of every resource."
    )
    kms_key_id: str | None = Field(default=None, description="Existing Cloud KMS key id for CMEK.")
    service_account_email: str | None = Field(default=None, description="Existing runtime service account.")


class ExceptionConfig(_Model):
    """A user-recorded exception to one compliance control for one resource."""

    control: str = Field(
        min_length=2, max_length=64, pattern=r"^[a-z0-9-]+$", description="Control name from docs/compliance.md."
    )
    resource: str = Field(min_length=1, description="Resource name or URN suffix the exception applies to.")
    reason: str = Field(min_length=10, max_length=1000, description="Why the control is not met, for reviewers.")
    review_by: dt.date = Field(description="Date (YYYY-MM-DD) to review the exception; a passed date warns.")


class SecretsConfig(_Model):
    """Secret values the user supplies with ``pulumi config set --secret --path``."""

    bearer_tokens: dict[str, SecretStr] = Field(
        default_factory=dict, description="Bearer token per tenant, at least 32 characters; generated when unset."
    )
    basic_passwords: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="Basic-auth password per tenant, at least 32 characters; generated when unset.",
    )

    @field_validator("bearer_tokens", "basic_passwords")
    @classmethod
    def _check_length(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for tenant, secret in value.items():
            if len(secret.get_secret_value()) < 32:
                raise ValueError(f"the value for tenant {tenant!r} is shorter than 32 characters")
        return value


class KitConfig(_Model):
    destination: DestinationConfig = Field(description="Name, cloud and environment of the destination.")
    tenants: list[str] = Field(
        default_factory=lambda: ["default"],
        min_length=1,
        max_length=50,
        description="Tenant ids, one per AEP customer: 1 to 16 lowercase letters, digits and single hyphens, "
        "starting with a letter. Each gets its own credentials and prefix.",
    )
    streaming: StreamingConfig = Field(
        default_factory=StreamingConfig, description="The streaming (real-time) intake endpoint."
    )
    batch: BatchConfig = Field(default_factory=BatchConfig, description="The batch drop zones and their lifecycle.")
    tags: dict[str, str] = Field(
        default_factory=dict,
        description="Tags (labels on GCP) for every resource: lowercase keys of 1 to 63 letters, digits, _ "
        "or -, starting with a letter; values of at most 63 such characters.",
    )
    aws: AwsConfig = Field(default_factory=AwsConfig, description="AWS-only settings and existing resources.")
    azure: AzureConfig = Field(default_factory=AzureConfig, description="Azure-only settings and existing resources.")
    gcp: GcpConfig = Field(default_factory=GcpConfig, description="GCP-only settings and existing resources.")
    exceptions: list[ExceptionConfig] = Field(
        default_factory=list,
        description="Your own exceptions to compliance controls: control, resource, reason, review_by.",
    )
    secrets: SecretsConfig = Field(
        default_factory=SecretsConfig,
        description="Secret values you supply with pulumi config set --secret --path.",
    )

    @field_validator("tenants")
    @classmethod
    def _check_tenants(cls, value: list[str]) -> list[str]:
        seen: set[str] = set()
        for tenant in value:
            if not isinstance(tenant, str) or not _TENANT_RE.match(tenant) or len(tenant) > 16:
                raise ValueError(
                    f"tenant id {tenant!r} is invalid: use 1 to 16 lowercase letters, digits and single "
                    "hyphens, starting with a letter"
                )
            if tenant in seen:
                raise ValueError(f"tenant id {tenant!r} is listed twice; tenant ids must be unique")
            seen.add(tenant)
        return value

    @field_validator("tags")
    @classmethod
    def _check_tags(cls, value: dict[str, str]) -> dict[str, str]:
        for key, tag_value in value.items():
            if not re.match(r"^[a-z][a-z0-9_-]{0,62}$", key):
                raise ValueError(
                    f"tag key {key!r} is invalid: use 1 to 63 lowercase letters, digits, '_' or '-', "
                    "starting with a letter (the rule GCP labels impose)"
                )
            if not re.match(r"^[a-z0-9_-]{0,63}$", str(tag_value)):
                raise ValueError(
                    f"tag value {tag_value!r} for key {key!r} is invalid: use at most 63 lowercase letters, "
                    "digits, '_' or '-'"
                )
        return value

    @model_validator(mode="after")
    def _check_cross_fields(self) -> KitConfig:
        problems: list[str] = []
        cloud = self.destination.cloud.value
        streaming = self.streaming
        oauth2 = streaming.oauth2
        tenants = set(self.tenants)

        if not streaming.enabled and not _any_batch_enabled(self.batch):
            problems.append("streaming.enabled is false and no batch location is enabled: enable at least one")

        if streaming.enabled and streaming.auth is AuthMode.OAUTH2:
            if oauth2.issuer is IssuerKind.EXTERNAL and oauth2.external is None:
                problems.append("streaming.oauth2.external: required when streaming.oauth2.issuer is external")
            if oauth2.issuer is IssuerKind.MANAGED and oauth2.external is not None:
                problems.append(
                    "streaming.oauth2.external: a managed issuer cannot also have an external issuer; "
                    "remove streaming.oauth2.external or set streaming.oauth2.issuer to external"
                )
            if oauth2.external is not None:
                unknown = sorted(set(oauth2.external.tenant_by_client_id.values()) - tenants)
                if unknown:
                    problems.append(
                        f"streaming.oauth2.external.tenant_by_client_id: maps to unknown tenants {unknown}; "
                        f"allowed: {sorted(tenants)}"
                    )
        if streaming.audience_api and streaming.auth is AuthMode.BASIC:
            problems.append(
                "streaming.audience_api: true with streaming.auth basic; Adobe's audience templates "
                "support only oauth2 or bearer, so set streaming.auth to oauth2 or bearer, or turn the "
                "audience API off"
            )
        cloud_max = MAX_BODY_BYTES_BY_CLOUD[cloud]
        if streaming.max_body_bytes is not None and streaming.max_body_bytes > cloud_max:
            problems.append(
                f"streaming.max_body_bytes: {streaming.max_body_bytes} exceeds the {cloud} maximum of {cloud_max} bytes"
            )
        if streaming.throttle_burst < streaming.throttle_rate and cloud == "aws":
            problems.append(
                f"streaming.throttle_burst: {streaming.throttle_burst} is below throttle_rate "
                f"{streaming.throttle_rate}; the burst must be at least the rate"
            )
        if cloud != "aws" and streaming.api_flavor != "rest":
            problems.append("streaming.api_flavor: only applies to aws; remove it")
        domain = streaming.custom_domain
        if domain is not None and cloud != "aws" and (domain.certificate_arn or domain.hosted_zone_id):
            problems.append("streaming.custom_domain: certificate_arn and hosted_zone_id apply only to aws")

        for location, allowed in (("s3", "aws"), ("blob", "azure"), ("adls", "azure"), ("gcs", "gcp")):
            if getattr(self.batch, location).enabled and cloud != allowed:
                problems.append(f"batch.{location}.enabled: {location} drop zones run on {allowed}, not on {cloud}")
        s3 = self.batch.s3
        if s3.writer == "assume_role" and not s3.external_id:
            problems.append("batch.s3.external_id: required when batch.s3.writer is assume_role")
        if s3.writer == "access_key" and s3.external_id:
            problems.append("batch.s3.external_id: only used with batch.s3.writer assume_role; remove it")
        for key, cidrs in (
            ("batch.s3.allowed_cidrs", s3.allowed_cidrs or []),
            ("batch.sftp.allowed_cidrs", self.batch.sftp.allowed_cidrs),
        ):
            for cidr in cidrs:
                problem = _check_cidr(cidr)
                if problem:
                    problems.append(f"{key}: {cidr!r} {problem}")
        sftp = self.batch.sftp
        if sftp.enabled and cloud == "gcp" and not sftp.experimental:
            problems.append("batch.sftp.experimental: the GCP SFTP server is experimental; set it to true to opt in")
        for tenant, key in sftp.public_keys.items():
            if tenant not in tenants:
                problems.append(f"batch.sftp.public_keys: {tenant!r} is not a tenant; allowed: {sorted(tenants)}")
            if not re.match(r"^ssh-rsa AAAA[0-9A-Za-z+/]+=*( .*)?$", key.strip()):
                problems.append(
                    f"batch.sftp.public_keys.{tenant}: AEP needs an RSA key; expected an OpenSSH "
                    "'ssh-rsa AAAA...' public key"
                )
        azure = self.azure
        for key in ("apim_subnet_id", "private_endpoint_subnet_id"):
            if azure.apim_profile == "isolated" and getattr(azure, key) is None:
                problems.append(f"azure.{key}: required when azure.apim_profile is isolated")
            if azure.apim_profile == "consumption" and getattr(azure, key) is not None:
                problems.append(
                    f"azure.{key}: only used when azure.apim_profile is isolated; remove it or set "
                    "azure.apim_profile to isolated"
                )
        for field_name in ("bearer_tokens", "basic_passwords"):
            for tenant in getattr(self.secrets, field_name):
                if tenant not in tenants:
                    problems.append(f"secrets.{field_name}: {tenant!r} is not a tenant; allowed: {sorted(tenants)}")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def max_body_bytes(self) -> int:
        """Largest decoded body the intake accepts on this cloud, in bytes."""
        return self.streaming.max_body_bytes or MAX_BODY_BYTES_BY_CLOUD[self.destination.cloud.value]

    @property
    def prefix(self) -> str:
        """Prefix of every physical name: ``<name>-<environment>``."""
        return f"{self.destination.name}-{self.destination.environment}"


def _any_batch_enabled(batch: BatchConfig) -> bool:
    return any(getattr(batch, name).enabled for name in ("s3", "sftp", "blob", "adls", "gcs"))


def _check_cidr(cidr: str) -> str | None:
    try:
        network = ipaddress.ip_network(cidr, strict=True)
    except ValueError as error:
        return f"is not a valid CIDR ({error})"
    if network.prefixlen == 0:
        return "opens the drop zone to every address; list specific ranges"
    if network.version != 4:
        return "is IPv6; the drop zones accept IPv4 ranges only"
    return None


def parse_config(raw: dict[str, Any]) -> KitConfig:
    """Validate the raw ``destkit`` namespace and return the typed configuration.

    ``raw`` maps each top-level key (without the ``destkit:`` prefix) to its decoded value.
    Raises ConfigError listing every invalid value with its key path, the value received
    and what is allowed.
    """
    unknown = sorted(set(raw) - set(TOP_LEVEL_KEYS))
    problems = [f"destkit:{key}: unknown key; allowed keys: {', '.join(TOP_LEVEL_KEYS)}" for key in unknown]
    known = {key: value for key, value in raw.items() if key not in unknown}
    try:
        config = KitConfig.model_validate(known)
    except ValidationError as error:
        problems.extend(_format_errors(error))
    if problems:
        raise ConfigError(problems)
    return config


def _format_errors(error: ValidationError) -> list[str]:
    problems: list[str] = []
    for item in error.errors(include_url=False):
        location = [str(part) for part in item["loc"]]
        message = item["msg"].removeprefix("Value error, ")
        if not location:
            # Cross-field problems already name their key paths, relative to the namespace.
            problems.extend(f"destkit:{line}" for line in message.splitlines())
            continue
        key = "destkit:" + location[0] + "".join(f"[{part}]" if part.isdigit() else f".{part}" for part in location[1:])
        value = item.get("input")
        shown = "[secret]" if location[0] == "secrets" else _short_repr(value)
        if item["type"] == "missing":
            problems.append(f"{key}: missing; {_describe_field(location)}")
        elif item["type"] == "extra_forbidden":
            problems.append(f"{key}: unknown key (received {shown}); check the spelling against docs/configuration.md")
        else:
            problems.append(f"{key}: {message} (received {shown})")
    return problems


def _describe_field(location: list[str]) -> str:
    model: Any = KitConfig
    field = None
    for part in location:
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return "required"
        field = fields[part]
        annotation = field.annotation
        model = annotation if isinstance(annotation, type) else None
    if field is not None and field.description:
        return f"required: {field.description}"
    return "required"


def _short_repr(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def load_raw_config() -> dict[str, Any]:
    """Read every ``destkit:`` key of the current stack, decoding structured values.

    Runs inside a Pulumi program (real engine or mocks). Secret values are read in plain text
    here, once. The models wrap them in ``pydantic.SecretStr`` and the components in
    ``Output.secret``, and no code path logs them.
    """
    from pulumi.runtime import config as runtime_config

    # The language host passes config in the PULUMI_CONFIG environment variable. The mock engine
    # and the Automation API set the runtime's config map instead, which takes precedence.
    values = dict(runtime_config.get_config_env())
    values.update(runtime_config.CONFIG.get())
    raw: dict[str, Any] = {}
    prefix = NAMESPACE + ":"
    for full_key, value in values.items():
        if not full_key.startswith(prefix):
            continue
        key = full_key[len(prefix) :]
        # Pulumi stores "destkit:config:key" in older engines; normalise it.
        key = key.removeprefix("config:")
        raw[key] = _decode(value)
    return raw


def _decode(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value
