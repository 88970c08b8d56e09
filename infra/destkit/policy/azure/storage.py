"""Azure controls Z1-Z17: storage accounts, Blob SFTP and its local users."""

from __future__ import annotations

import re

from destkit.plan.model import PlannedResource
from destkit.policy.azure.common import diagnostic_categories
from destkit.policy.azure.tokens import (
    BLOB_CONTAINER,
    BLOB_SERVICE,
    CLOUD,
    DEFENDER_FOR_STORAGE,
    LOCAL_USER,
    PRIVATE_ENDPOINT,
    RESOURCE_LOCK,
    STORAGE_ACCOUNT,
    WEB_APP,
)
from destkit.policy.core import Stack, as_list, control, get, refers_to, require


def _shared_key_on(account: PlannedResource, stack: Stack) -> bool:
    return account.inputs.get("allowSharedKeyAccess") is not False


def _is_sftp_account(account: PlannedResource, stack: Stack) -> bool:
    return bool(account.inputs.get("isSftpEnabled") or account.inputs.get("isLocalUserEnabled"))


def _account_children(stack: Stack, account: PlannedResource, child_type: str) -> list[PlannedResource]:
    return stack.referencing(account, [child_type], ["accountName"])


# --- Storage account ---------------------------------------------------------------------------


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
    categories = diagnostic_categories(stack, account)
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


# --- Blob SFTP ---------------------------------------------------------------------------------


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
