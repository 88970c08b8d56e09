"""A compliant Azure stack, as the kit's components register it, and one violation per control."""

from __future__ import annotations

from tests.policy.builders import Case, changed, make, without

from destkit.plan.model import PlannedResource

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/acme-dev"
DATA_ID = f"{SUB}/providers/Microsoft.Storage/storageAccounts/acmedevdata"
SFTP_ID = f"{SUB}/providers/Microsoft.Storage/storageAccounts/acmedevsftp"
APP_ID = f"{SUB}/providers/Microsoft.Web/sites/acme-dev-intake"
VAULT_ID = f"{SUB}/providers/Microsoft.KeyVault/vaults/acme-dev-kv"
WORKSPACE_ID = f"{SUB}/providers/Microsoft.OperationalInsights/workspaces/acme-dev"
DIAGNOSTICS = "azure-native:monitor:DiagnosticSetting"
APIM_PREFIX = "Microsoft.WindowsAzure.ApiManagement.Gateway.Security."
APIM_OFF = {
    **{
        f"{APIM_PREFIX}{side}Protocols.{p}": "false"
        for side in ("", "Backend.")
        for p in ("Ssl30", "Tls10", "Tls11")
    },
    f"{APIM_PREFIX}Ciphers.TripleDes168": "false",
}
JWT_POLICY = (
    '<policies><inbound><base /><validate-jwt header-name="Authorization" failed-validation-httpcode="401">'
    '<openid-config url="https://login.microsoftonline.com/t/v2.0/.well-known/openid-configuration" />'
    "<audiences><audience>api://acme</audience></audiences></validate-jwt>"
    '<authentication-managed-identity resource="api://acme-backend" /></inbound>'
    "<backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>"
)


def account(name: str, account_name: str, account_id: str, **extra: object) -> PlannedResource:
    inputs: dict[str, object] = {
        "accountName": account_name,
        "kind": "StorageV2",
        "sku": {"name": "Standard_ZRS"},
        "enableHttpsTrafficOnly": True,
        "minimumTlsVersion": "TLS1_2",
        "allowBlobPublicAccess": False,
        "allowSharedKeyAccess": False,
        "defaultToOAuthAuthentication": True,
        "allowCrossTenantReplication": False,
        "publicNetworkAccess": "Enabled",
        "networkRuleSet": {"defaultAction": "Deny", "bypass": "AzureServices, Logging, Metrics"},
        "encryption": {
            "keySource": "Microsoft.Keyvault",
            "keyVaultProperties": {
                "keyName": "storage",
                "keyVaultUri": "https://acme-dev-kv.vault.azure.net",
            },
            "requireInfrastructureEncryption": True,
        },
    }
    inputs.update(extra)
    return make("azure-native:storage:StorageAccount", name, inputs, {"id": account_id, "name": account_name})


def account_children(
    prefix: str, account_name: str, account_id: str, *, versioning: bool
) -> list[PlannedResource]:
    return [
        make(
            "azure-native:storage:BlobServiceProperties",
            f"{prefix}-blob-service",
            {
                "accountName": account_name,
                "blobServicesName": "default",
                "deleteRetentionPolicy": {"enabled": True, "days": 7},
                "containerDeleteRetentionPolicy": {"enabled": True, "days": 7},
                "isVersioningEnabled": versioning,
            },
        ),
        make(
            DIAGNOSTICS,
            f"{prefix}-blob-diagnostics",
            {
                "resourceUri": f"{account_id}/blobServices/default",
                "workspaceId": WORKSPACE_ID,
                "logs": [
                    {"category": c, "enabled": True} for c in ("StorageRead", "StorageWrite", "StorageDelete")
                ],
            },
        ),
        make(
            "azure-native:network:PrivateEndpoint",
            f"{prefix}-endpoint",
            {
                "privateLinkServiceConnections": [
                    {"name": "blob", "privateLinkServiceId": account_id, "groupIds": ["blob"]}
                ]
            },
        ),
        make(
            "azure-native:authorization:ManagementLockAtResourceLevel",
            f"{prefix}-lock",
            {"level": "CanNotDelete", "resourceName": account_name, "resourceType": "storageAccounts"},
        ),
        make(
            "azure-native:security:DefenderForStorage",
            f"{prefix}-defender",
            {"resourceId": account_id, "properties": {"isEnabled": True}},
        ),
    ]


def baseline() -> list[PlannedResource]:
    """Every Azure resource type the controls read, each meeting every control."""
    site_config = {
        "appSettings": [
            {"name": "AzureWebJobsStorage__accountName", "value": "acmedevhost"},
            {"name": "APPLICATIONINSIGHTS_CONNECTION_STRING", "value": "InstrumentationKey=00000000-0000"},
            {
                "name": "TOKEN_SECRET",
                "value": "@Microsoft.KeyVault(SecretUri=https://acme-dev-kv.vault.azure.net/secrets/t)",
            },
        ],
        "minTlsVersion": "1.2",
        "scmMinTlsVersion": "1.2",
        "ftpsState": "Disabled",
        "remoteDebuggingEnabled": False,
        "http20Enabled": True,
        "cors": {"allowedOrigins": []},
        "ipSecurityRestrictions": [
            {
                "name": "api-management",
                "action": "Allow",
                "tag": "ServiceTag",
                "ipAddress": "ApiManagement",
                "priority": 100,
            }
        ],
        "ipSecurityRestrictionsDefaultAction": "Deny",
    }
    return [
        account("data-account", "acmedevdata", DATA_ID),
        *account_children("data", "acmedevdata", DATA_ID, versioning=True),
        account(
            "sftp-account",
            "acmedevsftp",
            SFTP_ID,
            isHnsEnabled=True,
            isSftpEnabled=True,
            isLocalUserEnabled=True,
        ),
        *account_children("sftp", "acmedevsftp", SFTP_ID, versioning=False),
        make(
            "azure-native:storage:BlobContainer",
            "data-retail-eu",
            {"accountName": "acmedevdata", "publicAccess": "None"},
        ),
        make(
            "azure-native:storage:LocalUser",
            "sftp-retail-eu",
            {
                "accountName": "acmedevsftp",
                "hasSshKey": True,
                "hasSshPassword": False,
                "hasSharedKey": False,
                "homeDirectory": "retail-eu",
                "permissionScopes": [{"permissions": "cwl", "service": "blob", "resourceName": "retail-eu"}],
                "sshAuthorizedKeys": [{"description": "aep", "key": "ssh-rsa AAAA"}],
            },
        ),
        make(
            "azure-native:web:WebApp",
            "intake-app",
            {
                "name": "acme-dev-intake",
                "kind": "functionapp,linux",
                "httpsOnly": True,
                "publicNetworkAccess": "Enabled",
                "identity": {"type": "SystemAssigned"},
                "siteConfig": site_config,
            },
            {"id": APP_ID, "name": "acme-dev-intake"},
        ),
        make(
            "azure-native:web:WebAppFtpAllowed",
            "intake-ftp-basic-auth",
            {"name": "acme-dev-intake", "allow": False},
        ),
        make(
            "azure-native:web:WebAppScmAllowed",
            "intake-scm-basic-auth",
            {"name": "acme-dev-intake", "allow": False},
        ),
        make(
            "azure-native:web:WebAppAuthSettingsV2",
            "intake-auth",
            {"name": "acme-dev-intake", "globalValidation": {"requireAuthentication": True}},
        ),
        make(
            DIAGNOSTICS,
            "intake-diagnostics",
            {
                "resourceUri": APP_ID,
                "workspaceId": WORKSPACE_ID,
                "logs": [{"category": "FunctionAppLogs", "enabled": True}],
            },
        ),
        make(
            "azure-native:apimanagement:ApiManagementService",
            "apim",
            {
                "serviceName": "acme-dev-apim",
                "sku": {"name": "Consumption", "capacity": 0},
                "identity": {"type": "SystemAssigned"},
                "customProperties": APIM_OFF,
                "virtualNetworkType": "External",
                "enableClientCertificate": True,
            },
        ),
        make(
            "azure-native:apimanagement:Api",
            "intake-api",
            {"apiId": "intake", "path": "intake", "protocols": ["https"]},
        ),
        make(
            "azure-native:apimanagement:ApiPolicy",
            "intake-api-policy",
            {"apiId": "intake", "format": "rawxml", "value": JWT_POLICY},
        ),
        make(
            "azure-native:apimanagement:Backend",
            "intake-backend",
            {
                "url": "https://acme-dev-intake.azurewebsites.net/api",
                "protocol": "http",
                "tls": {"validateCertificateChain": True},
            },
        ),
        make(
            "azure-native:apimanagement:Subscription",
            "aep-subscription",
            {"scope": "/apis/intake", "displayName": "AEP"},
        ),
        make(
            "azure-native:keyvault:Vault",
            "vault",
            {
                "vaultName": "acme-dev-kv",
                "properties": {
                    "enableRbacAuthorization": True,
                    "enablePurgeProtection": True,
                    "enableSoftDelete": True,
                    "networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices"},
                },
            },
            {"id": VAULT_ID, "name": "acme-dev-kv"},
        ),
        make(
            DIAGNOSTICS,
            "vault-diagnostics",
            {
                "resourceUri": VAULT_ID,
                "workspaceId": WORKSPACE_ID,
                "logs": [{"category": "AuditEvent", "enabled": True}],
            },
        ),
        make(
            "azure-native:keyvault:Secret",
            "adls-secret",
            {
                "vaultName": "acme-dev-kv",
                "properties": {
                    "value": "x",
                    "contentType": "text/plain",
                    "attributes": {"expires": 1830297600},
                },
            },
        ),
    ]


BASE = baseline()
SHARED_KEY = {"allowSharedKeyAccess": True, "defaultToOAuthAuthentication": False}


# Passing cases for controls the baseline does not select (the baseline keeps shared key off).
PASSING = [
    Case(
        "st-key-sas-hygiene",
        changed(
            BASE,
            "data-account",
            keyPolicy={"keyExpirationPeriodInDays": 90},
            sasPolicy={"sasExpirationPeriod": "1.00:00:00", "expirationAction": "Block"},
            **SHARED_KEY,
        ),
        None,
        "shared-key",
    ),
]


def _site(**changes: object) -> list[PlannedResource]:
    return changed(BASE, "intake-app", **changes)


VIOLATIONS = [
    Case(
        "st-https-only",
        changed(BASE, "data-account", enableHttpsTrafficOnly=False),
        "enableHttpsTrafficOnly is not true",
    ),
    Case(
        "st-min-tls12",
        changed(BASE, "data-account", minimumTlsVersion="TLS1_0"),
        "minimumTlsVersion is 'TLS1_0'",
    ),
    Case(
        "st-no-anonymous-blob",
        changed(BASE, "data-account", allowBlobPublicAccess=True),
        "allowBlobPublicAccess is not false",
    ),
    Case(
        "st-no-anonymous-blob",
        changed(BASE, "data-retail-eu", publicAccess="Container"),
        "publicAccess is 'Container'",
        "container",
    ),
    Case(
        "st-no-shared-key", changed(BASE, "data-account", **SHARED_KEY), "allowSharedKeyAccess is not false"
    ),
    Case(
        "st-key-sas-hygiene",
        changed(
            BASE,
            "data-account",
            keyPolicy={"keyExpirationPeriodInDays": 365},
            sasPolicy={"sasExpirationPeriod": "30.00:00:00"},
            **SHARED_KEY,
        ),
        "not 90 or less",
    ),
    Case(
        "st-key-sas-hygiene",
        changed(BASE, "data-account", keyPolicy={"keyExpirationPeriodInDays": 90}, **SHARED_KEY),
        "sasPolicy.sasExpirationPeriod is ''",
        "sas",
    ),
    Case(
        "st-network-deny",
        changed(BASE, "data-account", networkRuleSet={"defaultAction": "Allow"}),
        "defaultAction is 'Allow'",
    ),
    Case("st-private-endpoint", without(BASE, "data-endpoint"), "no private endpoint"),
    Case(
        "st-infra-encryption",
        changed(BASE, "data-account", encryption={"keySource": "Microsoft.Storage"}),
        "requireInfrastructureEncryption",
    ),
    Case(
        "st-cmk",
        changed(
            BASE,
            "data-account",
            encryption={"keySource": "Microsoft.Storage", "requireInfrastructureEncryption": True},
        ),
        "'Microsoft.Storage'",
    ),
    Case(
        "st-soft-delete",
        changed(BASE, "data-blob-service", deleteRetentionPolicy={"enabled": True, "days": 1}),
        "blob soft delete",
    ),
    Case(
        "st-soft-delete",
        without(BASE, "data-blob-service"),
        "no azure-native:storage:BlobServiceProperties",
        "missing",
    ),
    Case(
        "st-versioning",
        changed(BASE, "data-blob-service", isVersioningEnabled=False),
        "versioning is not enabled",
    ),
    Case(
        "st-no-cross-tenant-replication",
        changed(BASE, "data-account", allowCrossTenantReplication=None),
        "not false",
    ),
    Case("st-redundancy", changed(BASE, "data-account", sku={"name": "Standard_LRS"}), "'Standard_LRS'"),
    Case(
        "st-diagnostics", without(BASE, "data-blob-diagnostics"), "StorageDelete, StorageRead, StorageWrite"
    ),
    Case("st-lock-and-defender", without(BASE, "data-lock"), "no CanNotDelete lock"),
    Case(
        "sftp-isolated-account", changed(BASE, "sftp-account", isHnsEnabled=False), "isHnsEnabled is not true"
    ),
    Case(
        "sftp-isolated-account",
        changed(
            BASE,
            "intake-app",
            siteConfig__appSettings=[{"name": "AzureWebJobsStorage__accountName", "value": "acmedevsftp"}],
        ),
        "uses the SFTP account",
        "shared",
    ),
    Case(
        "sftp-local-user-least-privilege",
        changed(BASE, "sftp-retail-eu", hasSshPassword=True),
        "hasSshPassword is true",
    ),
    Case(
        "sftp-local-user-least-privilege",
        changed(
            BASE,
            "sftp-retail-eu",
            permissionScopes=[{"permissions": "rcwdlmo", "service": "blob", "resourceName": "retail-eu"}],
        ),
        "go beyond c, w, l and d",
        "scope",
    ),
    Case("fn-https-tls12", _site(httpsOnly=False), "httpsOnly is not true"),
    Case(
        "fn-https-tls12", _site(siteConfig__minTlsVersion="1.0"), "siteConfig.minTlsVersion is '1.0'", "tls"
    ),
    Case("fn-no-ftp-basic-auth", _site(siteConfig__ftpsState="AllAllowed"), "ftpsState is 'AllAllowed'"),
    Case("fn-no-ftp-basic-auth", without(BASE, "intake-scm-basic-auth"), "SCM basic-auth", "scm"),
    Case(
        "fn-remote-debug-off",
        _site(siteConfig__remoteDebuggingEnabled=True),
        "remoteDebuggingEnabled is true",
    ),
    Case("fn-managed-identity", _site(identity=None), "identity.type is None"),
    Case(
        "fn-managed-identity",
        _site(
            siteConfig__appSettings=[
                {"name": "AzureWebJobsStorage", "value": "DefaultEndpointsProtocol=https;AccountKey=abc=="}
            ]
        ),
        "account-key connection string",
        "connection-string",
    ),
    Case(
        "fn-secrets-in-keyvault",
        _site(siteConfig__appSettings=[{"name": "CLIENT_SECRET", "value": "plain-text-secret-value"}]),
        "CLIENT_SECRET",
    ),
    Case("fn-cors-not-wildcard", _site(siteConfig__cors={"allowedOrigins": ["*"]}), "contains '*'"),
    Case("fn-inbound-restricted", _site(siteConfig__ipSecurityRestrictions=[]), "reachable from any address"),
    Case("fn-inbound-restricted", without(BASE, "intake-auth"), "Easy Auth", "easy-auth"),
    Case("fn-runtime-http2", _site(siteConfig__http20Enabled=False), "http20Enabled is not true"),
    Case("fn-logging", without(BASE, "intake-diagnostics"), "FunctionAppLogs"),
    Case("apim-tls", changed(BASE, "apim", customProperties={}), "do not turn off Protocols.Ssl30"),
    Case("apim-tls", changed(BASE, "intake-api", protocols=["http", "https"]), "not ['https']", "api"),
    Case(
        "apim-jwt-validation",
        changed(BASE, "intake-api-policy", value="<policies><inbound><base /></inbound></policies>"),
        "validates no JWT",
    ),
    Case(
        "apim-jwt-validation",
        changed(BASE, "aep-subscription", scope="/apis"),
        "scoped to all APIs",
        "subscription",
    ),
    Case(
        "apim-backend-auth-tls",
        changed(BASE, "intake-backend", url="http://acme-dev-intake.azurewebsites.net/api"),
        "is not https",
    ),
    Case(
        "apim-backend-auth-tls",
        changed(BASE, "intake-backend", tls={"validateCertificateChain": False}),
        "validateCertificateChain is false",
        "tls",
    ),
    Case("apim-mgmt-surface", changed(BASE, "apim", identity=None), "no managed identity"),
    Case("apim-network", changed(BASE, "apim", virtualNetworkType="None"), "outside a virtual network"),
    Case(
        "apim-client-cert",
        changed(BASE, "apim", enableClientCertificate=False),
        "enableClientCertificate is not true",
    ),
    Case(
        "kv-hardening",
        changed(BASE, "vault", properties__enablePurgeProtection=False),
        "enablePurgeProtection is not true",
    ),
    Case("kv-hardening", without(BASE, "vault-diagnostics"), "AuditEvent", "diagnostics"),
    Case(
        "kv-hardening",
        changed(BASE, "adls-secret", properties={"value": "x", "contentType": "text/plain"}),
        "attributes.expires",
        "secret",
    ),
]
