"""Azure controls Z27-Z33: API Management in front of the intake, and Key Vault."""

from __future__ import annotations

import re

from destkit.plan.model import PlannedResource
from destkit.policy.azure.common import diagnostic_categories
from destkit.policy.azure.tokens import (
    APIM_API,
    APIM_API_POLICY,
    APIM_BACKEND,
    APIM_SERVICE,
    APIM_SUBSCRIPTION,
    CLOUD,
    KEY_VAULT,
    KEY_VAULT_SECRET,
)
from destkit.policy.core import Stack, control, get, mapping, require

# --- API Management --------------------------------------------------------------------------

_APIM_PROTOCOL_PREFIX = "Microsoft.WindowsAzure.ApiManagement.Gateway.Security."
_APIM_WEAK_SETTINGS = [
    f"{_APIM_PROTOCOL_PREFIX}{side}Protocols.{protocol}"
    for side in ("", "Backend.")
    for protocol in ("Ssl30", "Tls10", "Tls11")
] + [f"{_APIM_PROTOCOL_PREFIX}Ciphers.TripleDes168"]


@control(
    "Z27",
    "apim-tls",
    cloud=CLOUD,
    types=[APIM_SERVICE, APIM_API],
    sources="CKV_AZURE_173; AzPol ee7495e7",
    summary="API Management turns off SSL 3.0, TLS 1.0, TLS 1.1 (frontend and backend) and 3DES; APIs "
    "accept HTTPS only.",
    remediation="Set custom_properties for those protocol and cipher keys to 'false' and protocols ['https'] "
    "on every API.",
)
def apim_tls(resource: PlannedResource, stack: Stack) -> list[str]:
    if resource.type == APIM_API:
        protocols = resource.inputs.get("protocols")
        return [] if protocols == ["https"] else [f"protocols is {protocols}, not ['https']"]
    properties = mapping(resource.inputs.get("customProperties"))
    still_on = [
        key.removeprefix(_APIM_PROTOCOL_PREFIX)
        for key in _APIM_WEAK_SETTINGS
        if properties.get(key) != "false"
    ]
    return [f"customProperties do not turn off {', '.join(still_on)}"] if still_on else []


_JWT_POLICY = re.compile(r"<(validate-jwt|validate-azure-ad-token)\b")


@control(
    "Z28",
    "apim-jwt-validation",
    cloud=CLOUD,
    types=[APIM_API, APIM_SUBSCRIPTION],
    cross_resource=True,
    sources="AzPol 3aa03346; MCSB IM-1; OWASP API2",
    summary="Every API's inbound policy validates a JWT (validate-jwt or validate-azure-ad-token); no "
    "subscription covers all APIs. Bearer tokens without a JWT carry a recorded exception.",
    remediation="Create an apimanagement.ApiPolicy with <validate-jwt> (issuer, audience, required claims) "
    "in <inbound>, and scope subscriptions to one API or product.",
)
def apim_jwt_validation(resource: PlannedResource, stack: Stack) -> list[str]:
    if resource.type == APIM_SUBSCRIPTION:
        scope = str(resource.inputs.get("scope", ""))
        return ["the subscription is scoped to all APIs"] if scope.rstrip("/").endswith("/apis") else []
    api_ids = {resource.inputs.get("apiId"), resource.name, resource.outputs.get("name")}
    policies = [p for p in stack.of_type(APIM_API_POLICY) if p.inputs.get("apiId") in api_ids]
    if not policies:
        return ["the API has no azure-native:apimanagement:ApiPolicy"]
    inbound = " ".join(str(p.inputs.get("value", "")) for p in policies)
    return [] if _JWT_POLICY.search(inbound) else ["the API policy validates no JWT before forwarding"]


@control(
    "Z29",
    "apim-backend-auth-tls",
    cloud=CLOUD,
    types=[APIM_BACKEND],
    cross_resource=True,
    sources="CKV_AZURE_215; AzPol 92bb331d, c15dcc82, f1cc7827",
    summary="Backends use https with certificate chain and name validation, and API Management "
    "authenticates to them (managed identity or a Key Vault-backed key).",
    remediation="Use an https url, leave tls validation on, and add <authentication-managed-identity> to the "
    "API policy or credentials from a Key Vault named value.",
)
def apim_backend_auth_tls(backend: PlannedResource, stack: Stack) -> list[str]:
    inputs = backend.inputs
    problems: list[str] = []
    url = str(inputs.get("url", ""))
    require(url.startswith("https://"), f"url {url!r} is not https", problems)
    for key in ("validateCertificateChain", "validateCertificateName"):
        require(get(inputs, f"tls.{key}") is not False, f"tls.{key} is false", problems)
    managed_identity = any(
        "<authentication-managed-identity" in str(p.inputs.get("value", ""))
        for p in stack.of_type(APIM_API_POLICY)
    )
    require(
        managed_identity or bool(inputs.get("credentials")),
        "API Management does not authenticate to the backend",
        problems,
    )
    return problems


@control(
    "Z30",
    "apim-mgmt-surface",
    cloud=CLOUD,
    types=[APIM_SERVICE],
    sources="AzPol b741306c, ffe25541 / 1b0d74ac, df73bd95",
    summary="API Management has a managed identity, and the developer portal, legacy portal and legacy "
    "configuration API are off.",
    remediation="Set identity.type 'SystemAssigned', developer_portal_status and legacy_portal_status "
    "'Disabled', and configuration_api.legacy_api 'Disabled'.",
)
def apim_mgmt_surface(service: PlannedResource, stack: Stack) -> list[str]:
    inputs = service.inputs
    problems: list[str] = []
    require(
        "Assigned" in str(get(inputs, "identity.type", "")), "the service has no managed identity", problems
    )
    # The Consumption tier has no developer portal, so the setting does not apply there.
    if get(inputs, "sku.name") != "Consumption":
        status = inputs.get("developerPortalStatus")
        require(status == "Disabled", f"developerPortalStatus is {status!r}", problems)
    require(inputs.get("legacyPortalStatus") != "Enabled", "legacyPortalStatus is 'Enabled'", problems)
    require(
        get(inputs, "configurationApi.legacyApi") != "Enabled",
        "configurationApi.legacyApi is 'Enabled'",
        problems,
    )
    return problems


@control(
    "Z31",
    "apim-network",
    cloud=CLOUD,
    types=[APIM_SERVICE],
    advisory=True,
    sources="CKV_AZURE_107; CKV_AZURE_174; AzPol ef619a2c, 73ef9241",
    summary="API Management runs in a virtual network or has public network access off (the ingest "
    "endpoint must stay reachable for AEP).",
    remediation="Set virtual_network_type 'External' (Premium or v2 tiers) or put Application Gateway with "
    "WAF in front and set public_network_access 'Disabled'.",
)
def apim_network(service: PlannedResource, stack: Stack) -> list[str]:
    if service.inputs.get("virtualNetworkType") in ("External", "Internal"):
        return []
    if service.inputs.get("publicNetworkAccess") == "Disabled":
        return []
    return ["the service is public and outside a virtual network"]


@control(
    "Z32",
    "apim-client-cert",
    cloud=CLOUD,
    types=[APIM_SERVICE],
    advisory=True,
    sources="CKV_AZURE_152",
    summary="Client certificates are enabled (an mTLS option).",
    remediation="Set enable_client_certificate=True.",
)
def apim_client_cert(service: PlannedResource, stack: Stack) -> list[str]:
    return (
        []
        if service.inputs.get("enableClientCertificate") is True
        else ["enableClientCertificate is not true"]
    )


@control(
    "Z33",
    "kv-hardening",
    cloud=CLOUD,
    types=[KEY_VAULT, KEY_VAULT_SECRET],
    cross_resource=True,
    sources="CKV_AZURE_110, 42, 111, 189, 109, 41, 114; AzPol 0b60c0b2, 1e66c121, 12d4fa5e, 405c5871 / "
    "55615ac9, 98728c90, 75262d3e, cf820ca0; CIS Az v4 9.3.3-9.3.6, 9.3.8, 7.1.1.4",
    summary="Vaults have purge protection, soft delete, RBAC, a deny-by-default network (or no public "
    "access) and an AuditEvent diagnostic setting; every secret has an expiry and a content type.",
    remediation="Set properties.enable_purge_protection, enable_soft_delete and enable_rbac_authorization "
    "True, network_acls.default_action 'Deny', a monitor.DiagnosticSetting with AuditEvent, and "
    "attributes.expires and content_type on secrets.",
)
def kv_hardening(resource: PlannedResource, stack: Stack) -> list[str]:
    properties = mapping(resource.inputs.get("properties"))
    problems: list[str] = []
    if resource.type == KEY_VAULT_SECRET:
        require(bool(get(properties, "attributes.expires")), "attributes.expires is not set", problems)
        require(bool(properties.get("contentType")), "contentType is not set", problems)
        return problems
    require(properties.get("enablePurgeProtection") is True, "enablePurgeProtection is not true", problems)
    require(properties.get("enableSoftDelete") is not False, "enableSoftDelete is false", problems)
    require(
        properties.get("enableRbacAuthorization") is True, "enableRbacAuthorization is not true", problems
    )
    closed = (
        get(properties, "networkAcls.defaultAction") == "Deny"
        or properties.get("publicNetworkAccess") == "Disabled"
    )
    require(closed, "the vault network does not deny by default", problems)
    categories = diagnostic_categories(stack, resource)
    require(
        bool(categories & {"AuditEvent", "audit", "allLogs"}),
        "no diagnostic setting sends AuditEvent to a workspace",
        problems,
    )
    return problems
