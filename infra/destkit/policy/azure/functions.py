"""Azure controls Z18-Z26: the Functions app that runs the intake."""

from __future__ import annotations

from destkit.plan.model import PlannedResource
from destkit.policy.azure.common import diagnostic_categories
from destkit.policy.azure.tokens import (
    APP_SETTINGS,
    AUTH_SETTINGS_V2,
    CLOUD,
    FTP_ALLOWED,
    SCM_ALLOWED,
    WEB_APP,
)
from destkit.policy.core import Stack, as_list, control, get, mapping, require, secret_looking


def _is_function_app(resource: PlannedResource, stack: Stack) -> bool:
    return "functionapp" in str(resource.inputs.get("kind", "")).lower()


def _site_children(stack: Stack, site: PlannedResource, child_type: str) -> list[PlannedResource]:
    return stack.referencing(site, [child_type], ["name"])


def _app_settings(site: PlannedResource, stack: Stack) -> dict[str, str]:
    settings = {
        str(get(item, "name")): str(get(item, "value", ""))
        for item in as_list(get(site.inputs, "siteConfig.appSettings"))
        if isinstance(item, dict)
    }
    for extra in _site_children(stack, site, APP_SETTINGS):
        properties = extra.inputs.get("properties")
        if isinstance(properties, dict):
            settings.update({str(k): str(v) for k, v in properties.items()})
    return settings


# --- Azure Functions -----------------------------------------------------------------------------

_FUNCTION_APP_SCOPE = "function app (azure-native:web:WebApp of kind functionapp)"


@control(
    "Z18",
    "fn-https-tls12",
    cloud=CLOUD,
    types=[WEB_APP],
    selector=_is_function_app,
    scope=_FUNCTION_APP_SCOPE,
    sources="CKV_AZURE_70; CKV_AZURE_145; AzPol 6d555dd1, f9d614c5; CIS Az 2.1 9.2, 9.3",
    summary="The function app is HTTPS only with TLS 1.2 or newer on the site and on SCM.",
    remediation="Set https_only=True, site_config.min_tls_version '1.2' and scm_min_tls_version '1.2'.",
)
def fn_https_tls12(site: PlannedResource, stack: Stack) -> list[str]:
    problems: list[str] = []
    require(site.inputs.get("httpsOnly") is True, "httpsOnly is not true", problems)
    for key in ("minTlsVersion", "scmMinTlsVersion"):
        version = get(site.inputs, f"siteConfig.{key}")
        require(version in ("1.2", "1.3"), f"siteConfig.{key} is {version!r}", problems)
    return problems


@control(
    "Z19",
    "fn-no-ftp-basic-auth",
    cloud=CLOUD,
    types=[WEB_APP],
    selector=_is_function_app,
    scope=_FUNCTION_APP_SCOPE,
    cross_resource=True,
    sources="AzPol 399b2637, 871b205b, aede300b; CIS Az 2.1 9.9; CKV_AZURE_78",
    summary="FTP is disabled and basic-auth publishing is off for FTP and SCM.",
    remediation="Set site_config.ftps_state 'Disabled' and create web.WebAppFtpAllowed and "
    "web.WebAppScmAllowed with allow=False.",
)
def fn_no_ftp_basic_auth(site: PlannedResource, stack: Stack) -> list[str]:
    problems: list[str] = []
    state = get(site.inputs, "siteConfig.ftpsState")
    require(state == "Disabled", f"siteConfig.ftpsState is {state!r}", problems)
    for child_type, label in ((FTP_ALLOWED, "FTP"), (SCM_ALLOWED, "SCM")):
        children = _site_children(stack, site, child_type)
        require(
            bool(children) and all(c.inputs.get("allow") is False for c in children),
            f"{label} basic-auth publishing is not turned off",
            problems,
        )
    return problems


@control(
    "Z20",
    "fn-remote-debug-off",
    cloud=CLOUD,
    types=[WEB_APP],
    selector=_is_function_app,
    scope=_FUNCTION_APP_SCOPE,
    sources="CKV_AZURE_72; AzPol 0e60b895",
    summary="Remote debugging is off.",
    remediation="Set site_config.remote_debugging_enabled=False.",
)
def fn_remote_debug_off(site: PlannedResource, stack: Stack) -> list[str]:
    if get(site.inputs, "siteConfig.remoteDebuggingEnabled") is True:
        return ["siteConfig.remoteDebuggingEnabled is true"]
    return []


@control(
    "Z21",
    "fn-managed-identity",
    cloud=CLOUD,
    types=[WEB_APP],
    selector=_is_function_app,
    scope=_FUNCTION_APP_SCOPE,
    cross_resource=True,
    sources="AzPol 0da106f2; CIS Az 2.1 9.4; MCSB IM-3",
    summary="The function app has a managed identity and reaches its host storage by identity, not by a "
    "connection string.",
    remediation="Set identity.type 'SystemAssigned' (or UserAssigned) and replace AzureWebJobsStorage with "
    "AzureWebJobsStorage__accountName.",
)
def fn_managed_identity(site: PlannedResource, stack: Stack) -> list[str]:
    problems: list[str] = []
    identity = str(get(site.inputs, "identity.type", ""))
    require("Assigned" in identity, f"identity.type is {identity or None!r}", problems)
    settings = _app_settings(site, stack)
    require(
        "AccountKey=" not in settings.get("AzureWebJobsStorage", ""),
        "AzureWebJobsStorage is an account-key connection string",
        problems,
    )
    return problems


@control(
    "Z22",
    "fn-secrets-in-keyvault",
    cloud=CLOUD,
    types=[WEB_APP],
    selector=_is_function_app,
    scope=_FUNCTION_APP_SCOPE,
    cross_resource=True,
    sources="CIS Az 2.1 9.10; MCSB IM-8",
    summary="No app setting holds a literal secret, account key or SAS; secrets are Key Vault references.",
    remediation="Store the secret in Key Vault and set the app setting to "
    "@Microsoft.KeyVault(SecretUri=...).",
)
def fn_secrets_in_keyvault(site: PlannedResource, stack: Stack) -> list[str]:
    leaked = sorted(name for name, value in _app_settings(site, stack).items() if secret_looking(name, value))
    return [f"app settings {', '.join(leaked)} hold literal secrets"] if leaked else []


@control(
    "Z23",
    "fn-cors-not-wildcard",
    cloud=CLOUD,
    types=[WEB_APP],
    selector=_is_function_app,
    scope=_FUNCTION_APP_SCOPE,
    sources="CKV_AZURE_62; AzPol 0820b7b9",
    summary="CORS does not allow every origin.",
    remediation="Remove '*' from site_config.cors.allowed_origins.",
)
def fn_cors_not_wildcard(site: PlannedResource, stack: Stack) -> list[str]:
    origins = as_list(get(site.inputs, "siteConfig.cors.allowedOrigins"))
    return ["siteConfig.cors.allowedOrigins contains '*'"] if "*" in origins else []


def _restricted_to_apim(site: PlannedResource) -> bool:
    config = mapping(site.inputs.get("siteConfig"))
    rules = [r for r in as_list(config.get("ipSecurityRestrictions")) if isinstance(r, dict)]
    if not rules or config.get("ipSecurityRestrictionsDefaultAction") != "Deny":
        return False
    allowed = [r for r in rules if r.get("action", "Allow") == "Allow"]
    return all(r.get("tag") == "ServiceTag" and r.get("ipAddress") == "ApiManagement" for r in allowed)


@control(
    "Z24",
    "fn-inbound-restricted",
    cloud=CLOUD,
    types=[WEB_APP],
    selector=_is_function_app,
    scope=_FUNCTION_APP_SCOPE,
    cross_resource=True,
    sources="CKV_AZURE_221; CKV_AZURE_56; AzPol 969ac98b, c75248c1; CIS Az 2.1 9.1",
    summary="The function app is private or accepts only the ApiManagement service tag, and Easy Auth "
    "requires an Entra token.",
    remediation="Set public_network_access 'Disabled' (with a private endpoint) or ip_security_restrictions "
    "allowing only the ApiManagement service tag with default action Deny; add web.WebAppAuthSettingsV2 "
    "with global_validation.require_authentication True.",
)
def fn_inbound_restricted(site: PlannedResource, stack: Stack) -> list[str]:
    problems: list[str] = []
    private = site.inputs.get("publicNetworkAccess") == "Disabled"
    require(
        private or _restricted_to_apim(site),
        "the function app is reachable from any address (no private access, no ApiManagement-only rule)",
        problems,
    )
    auth = _site_children(stack, site, AUTH_SETTINGS_V2)
    require(
        any(get(a.inputs, "globalValidation.requireAuthentication") is True for a in auth),
        "Easy Auth (web:WebAppAuthSettingsV2) does not require authentication",
        problems,
    )
    return problems


@control(
    "Z25",
    "fn-runtime-http2",
    cloud=CLOUD,
    types=[WEB_APP],
    selector=_is_function_app,
    scope=_FUNCTION_APP_SCOPE,
    advisory=True,
    sources="CKV_AZURE_67; AzPol e2c1c086, 7238174a; CIS Az 2.1 9.6, 9.8",
    summary="HTTP/2 is on.",
    remediation="Set site_config.http20_enabled=True.",
)
def fn_runtime_http2(site: PlannedResource, stack: Stack) -> list[str]:
    return (
        []
        if get(site.inputs, "siteConfig.http20Enabled") is True
        else ["siteConfig.http20Enabled is not true"]
    )


@control(
    "Z26",
    "fn-logging",
    cloud=CLOUD,
    types=[WEB_APP],
    selector=_is_function_app,
    scope=_FUNCTION_APP_SCOPE,
    cross_resource=True,
    sources="AzPol 91a78b24; CKV_AZURE_159; MCSB LT-3",
    summary="Application Insights is connected and a diagnostic setting sends FunctionAppLogs to Log "
    "Analytics.",
    remediation="Set APPLICATIONINSIGHTS_CONNECTION_STRING and create a monitor.DiagnosticSetting on the "
    "site with the FunctionAppLogs category and workspace_id.",
)
def fn_logging(site: PlannedResource, stack: Stack) -> list[str]:
    problems: list[str] = []
    settings = _app_settings(site, stack)
    require(
        "APPLICATIONINSIGHTS_CONNECTION_STRING" in settings,
        "APPLICATIONINSIGHTS_CONNECTION_STRING is not set",
        problems,
    )
    categories = diagnostic_categories(stack, site)
    require(
        bool(categories & {"FunctionAppLogs", "allLogs"}),
        "no diagnostic setting sends FunctionAppLogs to a workspace",
        problems,
    )
    return problems
