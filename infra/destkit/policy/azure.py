"""The Azure controls of the policy pack (ids Z1-Z33), as checks over azure-native 3 wire inputs."""

from __future__ import annotations

import re

from destkit.plan.model import PlannedResource
from destkit.policy.aws import secret_looking
from destkit.policy.core import Stack, as_list, control, get, mapping, refers_to, require

CLOUD = "azure"

STORAGE_ACCOUNT = "azure-native:storage:StorageAccount"
BLOB_CONTAINER = "azure-native:storage:BlobContainer"
BLOB_SERVICE = "azure-native:storage:BlobServiceProperties"
LOCAL_USER = "azure-native:storage:LocalUser"
# azure-native 3 publishes diagnostic settings under both modules; the kit uses monitor.
DIAGNOSTIC_SETTINGS = ("azure-native:monitor:DiagnosticSetting", "azure-native:insights:DiagnosticSetting")
PRIVATE_ENDPOINT = "azure-native:network:PrivateEndpoint"
RESOURCE_LOCK = "azure-native:authorization:ManagementLockAtResourceLevel"
DEFENDER_FOR_STORAGE = "azure-native:security:DefenderForStorage"
WEB_APP = "azure-native:web:WebApp"
FTP_ALLOWED = "azure-native:web:WebAppFtpAllowed"
SCM_ALLOWED = "azure-native:web:WebAppScmAllowed"
AUTH_SETTINGS_V2 = "azure-native:web:WebAppAuthSettingsV2"
APP_SETTINGS = "azure-native:web:WebAppApplicationSettings"
APIM_SERVICE = "azure-native:apimanagement:ApiManagementService"
APIM_API = "azure-native:apimanagement:Api"
APIM_API_POLICY = "azure-native:apimanagement:ApiPolicy"
APIM_BACKEND = "azure-native:apimanagement:Backend"
APIM_SUBSCRIPTION = "azure-native:apimanagement:Subscription"
KEY_VAULT = "azure-native:keyvault:Vault"
KEY_VAULT_SECRET = "azure-native:keyvault:Secret"  # noqa: S105 (a type token)


def _is_function_app(resource: PlannedResource, stack: Stack) -> bool:
    return "functionapp" in str(resource.inputs.get("kind", "")).lower()


def _shared_key_on(account: PlannedResource, stack: Stack) -> bool:
    return account.inputs.get("allowSharedKeyAccess") is not False


def _is_sftp_account(account: PlannedResource, stack: Stack) -> bool:
    return bool(account.inputs.get("isSftpEnabled") or account.inputs.get("isLocalUserEnabled"))


def _account_children(stack: Stack, account: PlannedResource, child_type: str) -> list[PlannedResource]:
    return stack.referencing(account, [child_type], ["accountName"])


def _site_children(stack: Stack, site: PlannedResource, child_type: str) -> list[PlannedResource]:
    return stack.referencing(site, [child_type], ["name"])


def _diagnostic_categories(stack: Stack, target: PlannedResource) -> set[str]:
    """Return the enabled log categories (and category groups) of diagnostic settings on ``target``."""
    found: set[str] = set()
    for setting in stack.referencing(target, DIAGNOSTIC_SETTINGS, ["resourceUri"]):
        if not setting.inputs.get("workspaceId"):
            continue
        for log in as_list(setting.inputs.get("logs")):
            if isinstance(log, dict) and log.get("enabled") is not False:
                found.update(str(log.get(key)) for key in ("category", "categoryGroup") if log.get(key))
    return found


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


# --- 2a. Storage account ---------------------------------------------------------------------------


@control(
    "Z1",
    "st-https-only",
    cloud=CLOUD,
    types=[STORAGE_ACCOUNT],
    sources="CKV_AZURE_3; AzPol 404c3081 / f81e3117; CIS Az 2.1 3.1 (v4 10.3.4); MCSB DP-3",
    summary="The storage account accepts HTTPS only.",
    remediation="Set enable_https_traffic_only=True on the storage account.",
)
def st_https_only(account: PlannedResource, stack: Stack) -> list[str]:
    return (
        [] if account.inputs.get("enableHttpsTrafficOnly") is True else ["enableHttpsTrafficOnly is not true"]
    )


@control(
    "Z2",
    "st-min-tls12",
    cloud=CLOUD,
    types=[STORAGE_ACCOUNT],
    sources="CKV_AZURE_44; AzPol fe83a0eb; CIS Az 2.1 3.15 (v4 10.3.7)",
    summary="The storage account requires TLS 1.2 or newer.",
    remediation="Set minimum_tls_version='TLS1_2'.",
)
def st_min_tls12(account: PlannedResource, stack: Stack) -> list[str]:
    version = account.inputs.get("minimumTlsVersion")
    return [] if version in ("TLS1_2", "TLS1_3") else [f"minimumTlsVersion is {version!r}"]


@control(
    "Z3",
    "st-no-anonymous-blob",
    cloud=CLOUD,
    types=[STORAGE_ACCOUNT, BLOB_CONTAINER],
    sources="CKV_AZURE_190; CKV2_AZURE_47; CKV_AZURE_34; AzPol 4fa4b6c0 / 13502221; "
    "CIS Az 2.1 3.17 (v4 10.3.9)",
    summary="Accounts set allowBlobPublicAccess false, and every container has publicAccess None.",
    remediation="Set allow_blob_public_access=False on the account and public_access='None' on containers.",
)
def st_no_anonymous_blob(resource: PlannedResource, stack: Stack) -> list[str]:
    if resource.type == BLOB_CONTAINER:
        access = resource.inputs.get("publicAccess", "None")
        return [] if access == "None" else [f"publicAccess is {access!r}"]
    allowed = resource.inputs.get("allowBlobPublicAccess")
    return [] if allowed is False else ["allowBlobPublicAccess is not false"]


@control(
    "Z4",
    "st-no-shared-key",
    cloud=CLOUD,
    types=[STORAGE_ACCOUNT],
    sources="CKV2_AZURE_40; AzPol 8c6a50c6; CIS Az v4 10.3.1.3, 10.3.3.1; MCSB IM-1",
    summary="Shared key access is off and Entra ID is the default. AEP's Blob destination needs an account "
    "key, so its dedicated landing account carries a recorded exception.",
    remediation="Set allow_shared_key_access=False and default_to_o_auth_authentication=True; use the ADLS "
    "Gen2 destination (service principal) instead of Blob connection strings.",
)
def st_no_shared_key(account: PlannedResource, stack: Stack) -> list[str]:
    problems: list[str] = []
    require(
        account.inputs.get("allowSharedKeyAccess") is False, "allowSharedKeyAccess is not false", problems
    )
    require(
        account.inputs.get("defaultToOAuthAuthentication") is True,
        "defaultToOAuthAuthentication is not true",
        problems,
    )
    return problems


def _iso_duration_days(value: str) -> float | None:
    """Parse Azure's ``D.HH:MM:SS`` SAS expiration period into days."""
    match = re.fullmatch(r"(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})", value)
    if not match:
        return None
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return days + hours / 24 + minutes / 1440 + seconds / 86400


@control(
    "Z5",
    "st-key-sas-hygiene",
    cloud=CLOUD,
    types=[STORAGE_ACCOUNT],
    selector=_shared_key_on,
    scope="storage account with shared key access on",
    sources="CKV2_AZURE_41; AzPol bc1b984e, 044985bb, 7aa1c9d5; CIS Az 2.1 3.3, 3.4, 3.6",
    summary="Where shared key stays on: a key expiration policy of 90 days or less and a SAS expiration "
    "policy of 7 days or less.",
    remediation="Set key_policy.key_expiration_period_in_days <= 90 and sas_policy.sas_expiration_period "
    "(for example '1.00:00:00') with expiration_action 'Log' or 'Block'.",
)
def st_key_sas_hygiene(account: PlannedResource, stack: Stack) -> list[str]:
    problems: list[str] = []
    key_days = get(account.inputs, "keyPolicy.keyExpirationPeriodInDays")
    require(
        isinstance(key_days, int) and key_days <= 90,
        f"keyPolicy.keyExpirationPeriodInDays is {key_days}, not 90 or less",
        problems,
    )
    period = str(get(account.inputs, "sasPolicy.sasExpirationPeriod", ""))
    days = _iso_duration_days(period)
    require(days is not None and days <= 7, f"sasPolicy.sasExpirationPeriod is {period!r}", problems)
    return problems


@control(
    "Z6",
    "st-network-deny",
    cloud=CLOUD,
    types=[STORAGE_ACCOUNT],
    sources="CKV_AZURE_35; CKV_AZURE_36; CKV_AZURE_59; AzPol 34c877ad, c9d007d0, b2982f36; CIS Az 2.1 3.7, "
    "3.8, 3.9 (v4 10.3.2.2, 10.3.2.3, 10.3.5); MCSB NS-2",
    summary="The network rule set denies by default and lets trusted Azure services through, or public "
    "network access is disabled. AEP's published addresses do not cover Azure storage destinations, so "
    "landing accounts without Private Link carry a recorded exception.",
    remediation="Set network_rule_set.default_action 'Deny' with bypass 'AzureServices, Logging, Metrics', "
    "or public_network_access 'Disabled' with a private endpoint.",
)
def st_network_deny(account: PlannedResource, stack: Stack) -> list[str]:
    if account.inputs.get("publicNetworkAccess") == "Disabled":
        return []
    problems: list[str] = []
    action = get(account.inputs, "networkRuleSet.defaultAction")
    require(action == "Deny", f"networkRuleSet.defaultAction is {action!r}", problems)
    bypass = str(get(account.inputs, "networkRuleSet.bypass", ""))
    require("AzureServices" in bypass, "networkRuleSet.bypass does not include AzureServices", problems)
    return problems


@control(
    "Z7",
    "st-private-endpoint",
    cloud=CLOUD,
    types=[STORAGE_ACCOUNT],
    cross_resource=True,
    advisory=True,
    sources="CKV2_AZURE_33; AzPol 6edd7eda; CIS Az 2.1 3.10 (v4 10.3.2.1)",
    summary="A private endpoint for the blob or dfs sub-resource exists (needed for AEP's Private Link).",
    remediation="Create an azure-native network.PrivateEndpoint with group_ids ['blob'] or ['dfs'] on the "
    "account.",
)
def st_private_endpoint(account: PlannedResource, stack: Stack) -> list[str]:
    for endpoint in stack.of_type(PRIVATE_ENDPOINT):
        for connection in as_list(endpoint.inputs.get("privateLinkServiceConnections")):
            linked = refers_to(get(connection, "privateLinkServiceId"), account)
            groups = set(as_list(get(connection, "groupIds")))
            if linked and groups & {"blob", "dfs"}:
                return []
    return ["no private endpoint for blob or dfs targets the account"]


@control(
    "Z8",
    "st-infra-encryption",
    cloud=CLOUD,
    types=[STORAGE_ACCOUNT],
    sources="AzPol 4733ea7b; CIS Az 2.1 3.2",
    summary="Infrastructure (double) encryption is on; it can only be set when the account is created.",
    remediation="Set encryption.require_infrastructure_encryption=True.",
)
def st_infra_encryption(account: PlannedResource, stack: Stack) -> list[str]:
    if get(account.inputs, "encryption.requireInfrastructureEncryption") is True:
        return []
    return ["encryption.requireInfrastructureEncryption is not true"]


@control(
    "Z9",
    "st-cmk",
    cloud=CLOUD,
    types=[STORAGE_ACCOUNT],
    advisory=True,
    sources="CKV2_AZURE_1; AzPol 6fac406b; CIS Az 2.1 3.12; MCSB DP-5",
    summary="The account encrypts with a customer-managed key from Key Vault.",
    remediation="Set encryption.key_source 'Microsoft.Keyvault' with key_vault_properties and a "
    "user-assigned identity.",
)
def st_cmk(account: PlannedResource, stack: Stack) -> list[str]:
    problems: list[str] = []
    source = get(account.inputs, "encryption.keySource")
    require(source == "Microsoft.Keyvault", f"encryption.keySource is {source!r}", problems)
    require(
        bool(get(account.inputs, "encryption.keyVaultProperties")), "keyVaultProperties is not set", problems
    )
    return problems


def _retention_ok(policy: object) -> bool:
    return isinstance(policy, dict) and policy.get("enabled") is True and (policy.get("days") or 0) >= 7


@control(
    "Z10",
    "st-soft-delete",
    cloud=CLOUD,
    types=[STORAGE_ACCOUNT],
    cross_resource=True,
    sources="CKV2_AZURE_38; AzPol 9fbd64e3; CIS Az 2.1 3.11 (v4 10.2.1, 10.3.6)",
    summary="Blob and container soft delete are on with at least 7 days.",
    remediation="Create an azure-native storage.BlobServiceProperties with delete_retention_policy and "
    "container_delete_retention_policy enabled, days >= 7.",
)
def st_soft_delete(account: PlannedResource, stack: Stack) -> list[str]:
    services = _account_children(stack, account, BLOB_SERVICE)
    if not services:
        return ["the account has no azure-native:storage:BlobServiceProperties"]
    problems: list[str] = []
    inputs = services[0].inputs
    require(
        _retention_ok(inputs.get("deleteRetentionPolicy")),
        "blob soft delete is off or under 7 days",
        problems,
    )
    require(
        _retention_ok(inputs.get("containerDeleteRetentionPolicy")),
        "container soft delete is off or under 7 days",
        problems,
    )
    return problems


@control(
    "Z11",
    "st-versioning",
    cloud=CLOUD,
    types=[STORAGE_ACCOUNT],
    cross_resource=True,
    advisory=True,
    selector=lambda account, stack: account.inputs.get("isHnsEnabled") is not True,
    scope="storage account without a hierarchical namespace",
    sources="AzPol c36a325b / 978deb5d; CIS Az v4 10.2.2",
    summary="Blob versioning is on (not for hierarchical-namespace accounts).",
    remediation="Set is_versioning_enabled=True in the account's BlobServiceProperties.",
)
def st_versioning(account: PlannedResource, stack: Stack) -> list[str]:
    services = _account_children(stack, account, BLOB_SERVICE)
    if any(s.inputs.get("isVersioningEnabled") is True for s in services):
        return []
    return ["blob versioning is not enabled"]


@control(
    "Z12",
    "st-no-cross-tenant-replication",
    cloud=CLOUD,
    types=[STORAGE_ACCOUNT],
    sources="AzPol 92a89a79; CIS Az 2.1 3.16 (v4 10.3.8)",
    summary="Cross-tenant object replication is off.",
    remediation="Set allow_cross_tenant_replication=False.",
)
def st_no_cross_tenant_replication(account: PlannedResource, stack: Stack) -> list[str]:
    if account.inputs.get("allowCrossTenantReplication") is False:
        return []
    return ["allowCrossTenantReplication is not false"]


_REDUNDANT_SKUS = {
    "Standard_GRS",
    "Standard_RAGRS",
    "Standard_GZRS",
    "Standard_RAGZRS",
    "Standard_ZRS",
    "Premium_ZRS",
}


@control(
    "Z13",
    "st-redundancy",
    cloud=CLOUD,
    types=[STORAGE_ACCOUNT],
    advisory=True,
    sources="CKV_AZURE_206; AzPol bf045164; CIS Az v4 10.3.12",
    summary="The SKU is zone- or geo-redundant (ZRS at least).",
    remediation="Set sku.name to Standard_ZRS, Standard_GRS or Standard_GZRS.",
)
def st_redundancy(account: PlannedResource, stack: Stack) -> list[str]:
    sku = get(account.inputs, "sku.name")
    return [] if sku in _REDUNDANT_SKUS else [f"sku.name is {sku!r}, which is not zone- or geo-redundant"]


_STORAGE_LOG_CATEGORIES = {"StorageRead", "StorageWrite", "StorageDelete"}


@control(
    "Z14",
    "st-diagnostics",
    cloud=CLOUD,
    types=[STORAGE_ACCOUNT],
    cross_resource=True,
    sources="CKV2_AZURE_21; AzPol b4fe1a3b; CIS Az 2.1 3.13; MCSB LT-3",
    summary="A diagnostic setting on the blob service sends StorageRead, StorageWrite and StorageDelete to "
    "Log Analytics.",
    remediation="Create an azure-native monitor.DiagnosticSetting on '<account id>/blobServices/default' "
    "with those categories (or the allLogs group) and workspace_id.",
)
def st_diagnostics(account: PlannedResource, stack: Stack) -> list[str]:
    categories = _diagnostic_categories(stack, account)
    if "allLogs" in categories:
        return []
    missing = sorted(_STORAGE_LOG_CATEGORIES - categories)
    return [f"no diagnostic setting sends {', '.join(missing)} to a workspace"] if missing else []


@control(
    "Z15",
    "st-lock-and-defender",
    cloud=CLOUD,
    types=[STORAGE_ACCOUNT],
    cross_resource=True,
    advisory=True,
    sources="CIS Az v4 10.3.10; CIS Az v4 9.1.5.1",
    summary="A CanNotDelete lock protects the account and Defender for Storage is on.",
    remediation="Create an azure-native authorization.ManagementLockAtResourceLevel (level 'CanNotDelete') "
    "and a security.DefenderForStorage with is_enabled True.",
)
def st_lock_and_defender(account: PlannedResource, stack: Stack) -> list[str]:
    problems: list[str] = []
    locks = [
        lock
        for lock in stack.of_type(RESOURCE_LOCK)
        if lock.inputs.get("level") == "CanNotDelete" and refers_to(lock.inputs.get("resourceName"), account)
    ]
    require(bool(locks), "no CanNotDelete lock protects the account", problems)
    defenders = stack.referencing(account, [DEFENDER_FOR_STORAGE], ["resourceId"])
    require(
        any(get(d.inputs, "properties.isEnabled") is True for d in defenders),
        "Defender for Storage is not enabled on the account",
        problems,
    )
    return problems


# --- 2b. Blob SFTP ---------------------------------------------------------------------------------


@control(
    "Z16",
    "sftp-isolated-account",
    cloud=CLOUD,
    types=[STORAGE_ACCOUNT],
    cross_resource=True,
    selector=_is_sftp_account,
    scope="storage account with SFTP or local users enabled",
    sources="CKV_AZURE_244; Microsoft SFTP docs (local users only)",
    summary="SFTP and local users are enabled only on a dedicated hierarchical-namespace account that no "
    "function or other drop zone shares, with HTTPS, TLS 1.2 and no anonymous access.",
    remediation="Create a separate storage account for SFTP drops with is_hns_enabled=True and keep other "
    "containers and app settings off it.",
)
def sftp_isolated_account(account: PlannedResource, stack: Stack) -> list[str]:
    inputs = account.inputs
    problems: list[str] = []
    require(inputs.get("isHnsEnabled") is True, "isHnsEnabled is not true", problems)
    require(inputs.get("enableHttpsTrafficOnly") is True, "enableHttpsTrafficOnly is not true", problems)
    require(
        inputs.get("minimumTlsVersion") in ("TLS1_2", "TLS1_3"), "minimumTlsVersion is below TLS1_2", problems
    )
    require(inputs.get("allowBlobPublicAccess") is False, "allowBlobPublicAccess is not false", problems)
    sites = [site for site in stack.of_type(WEB_APP) if any(refers_to(v, account) for v in _site_refs(site))]
    require(not sites, f"the function app {sites[0].name if sites else ''} uses the SFTP account", problems)
    return problems


def _site_refs(site: PlannedResource) -> list[str]:
    refs = []
    for item in as_list(get(site.inputs, "siteConfig.appSettings")):
        if isinstance(item, dict) and str(item.get("name", "")).startswith("AzureWebJobsStorage"):
            refs.append(str(item.get("value", "")))
    return refs


@control(
    "Z17",
    "sftp-local-user-least-privilege",
    cloud=CLOUD,
    types=[LOCAL_USER],
    sources="Microsoft SFTP permission model; MCSB IM-8; PA-7",
    summary="Local users sign in with SSH keys only, have no shared key, and hold create, write, list (and "
    "delete) on exactly one container, which is their home directory.",
    remediation="Set has_ssh_key=True, has_ssh_password=False, has_shared_key=False, one permission_scope "
    "with permissions 'cwl' (or 'cwld') and home_directory set to that container.",
)
def sftp_local_user_least_privilege(user: PlannedResource, stack: Stack) -> list[str]:
    inputs = user.inputs
    problems: list[str] = []
    require(inputs.get("hasSshKey") is True, "hasSshKey is not true", problems)
    require(inputs.get("hasSshPassword") is not True, "hasSshPassword is true", problems)
    require(inputs.get("hasSharedKey") is not True, "hasSharedKey is true", problems)
    scopes = [s for s in as_list(inputs.get("permissionScopes")) if isinstance(s, dict)]
    require(len(scopes) == 1, f"the user has {len(scopes)} permission scopes, not one container", problems)
    for scope in scopes:
        extra = set(str(scope.get("permissions", ""))) - set("cwld")
        require(not extra, f"permissions {scope.get('permissions')!r} go beyond c, w, l and d", problems)
    require(bool(inputs.get("homeDirectory")), "homeDirectory is not set", problems)
    return problems


# --- 2c. Azure Functions -----------------------------------------------------------------------------

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
    categories = _diagnostic_categories(stack, site)
    require(
        bool(categories & {"FunctionAppLogs", "allLogs"}),
        "no diagnostic setting sends FunctionAppLogs to a workspace",
        problems,
    )
    return problems


# --- 2d. API Management --------------------------------------------------------------------------

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
    categories = _diagnostic_categories(stack, resource)
    require(
        bool(categories & {"AuditEvent", "audit", "allLogs"}),
        "no diagnostic setting sends AuditEvent to a workspace",
        problems,
    )
    return problems
