"""Secure defaults for every Azure component of the kit, kept in one place.

Components read these values instead of hard-coding them, so a reviewer can check the kit's Azure
posture on one page. ``docs/azure.md`` lists them per component.
"""

from __future__ import annotations

from collections.abc import Mapping

# Storage accounts: TLS 1.2 minimum, zone-redundant storage, no anonymous access and no
# cross-tenant replication on every account the kit creates.
STORAGE_MIN_TLS = "TLS1_2"
STORAGE_SKU = "Standard_ZRS"
STORAGE_KIND = "StorageV2"

# Blob soft delete and container soft delete, in days (the compliance floor is 7).
SOFT_DELETE_DAYS = 14

# Rotation reminder for accounts that must keep shared key on (the AEP Blob landing account).
# Azure raises an expiry event after this many days; the compliance ceiling is 90.
KEY_EXPIRATION_DAYS = 90
# Maximum lifetime of a SAS signed with the account key (day.hour:minute:second).
SAS_EXPIRATION_PERIOD = "0.01:00:00"

# Log Analytics retention, in days, when the config gives none.
LOG_RETENTION_DAYS = 365
LOG_ANALYTICS_SKU = "PerGB2018"

# Key Vault: soft-delete retention (the maximum, 90 days) and the SKU.
KEY_VAULT_SOFT_DELETE_DAYS = 90
KEY_VAULT_SKU = "standard"

# Maximum lifetime of the client secrets AEP stores, in days: Entra ID limits new client secrets to
# 24 months. The config sets the lifetime within this limit.
MAX_SECRET_VALIDITY_DAYS = 730

# API Management: TLS 1.0, 1.1, SSL 3.0 and 3DES turned off on the frontend and the backend.
APIM_TLS_CUSTOM_PROPERTIES = {
    "Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls10": "false",
    "Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls11": "false",
    "Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Ssl30": "false",
    "Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Tls10": "false",
    "Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Tls11": "false",
    "Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Ssl30": "false",
    "Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Ciphers.TripleDes168": "false",
}
# The SKU of each streaming profile. Premium v2 is the v2 tier that injects the gateway into a
# virtual network; Consumption is created in minutes and cannot join a network.
APIM_SKUS = {"consumption": ("Consumption", 0), "isolated": ("PremiumV2", 1)}

# Function App on Flex Consumption (plan SKU FC1, Linux), Python 3.11, 2048 MB instances.
FUNCTION_RUNTIME = "python"
FUNCTION_RUNTIME_VERSION = "3.11"
FUNCTION_PLAN_SKU = "FC1"
FUNCTION_PLAN_TIER = "FlexConsumption"
FUNCTION_INSTANCE_MEMORY_MB = 2048
FUNCTION_MAX_INSTANCES = 100
FUNCTION_MIN_TLS = "1.2"
# Container of the host storage account that contains the deployment package.
DEPLOYMENT_CONTAINER = "app-package"

# NOTE: a snapshot of the regions that offered Flex Consumption when this list was written, not
# read from an API. `az functionapp list-flexconsumption-locations` prints the current list.
FLEX_CONSUMPTION_LOCATIONS = frozenset(
    {
        "australiaeast",
        "brazilsouth",
        "canadacentral",
        "centralindia",
        "centralus",
        "eastasia",
        "eastus",
        "eastus2",
        "francecentral",
        "germanywestcentral",
        "italynorth",
        "japaneast",
        "koreacentral",
        "northcentralus",
        "northeurope",
        "norwayeast",
        "southafricanorth",
        "southcentralus",
        "southeastasia",
        "swedencentral",
        "switzerlandnorth",
        "uaenorth",
        "uksouth",
        "westcentralus",
        "westeurope",
        "westus",
        "westus2",
        "westus3",
    }
)

# Built-in role definition ids (the same GUID in every subscription).
ROLE_STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
ROLE_STORAGE_BLOB_DATA_OWNER = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
ROLE_STORAGE_QUEUE_DATA_CONTRIBUTOR = "974c5e8b-45b9-4653-ba55-5f855dd0fb88"
ROLE_STORAGE_TABLE_DATA_CONTRIBUTOR = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"
ROLE_KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
ROLE_MONITORING_METRICS_PUBLISHER = "3913510d-42f4-4e42-8a64-420c390055eb"

# SFTP: RSA key size of generated key pairs (AEP accepts only RSA keys), and the port.
SFTP_RSA_BITS = 4096
SFTP_PORT = 22
# Permissions of an AEP local user on its container: create, write, list and delete (AEP
# overwrites and removes its own exports).
SFTP_PERMISSIONS = "cwdl"

# Header through which API Management passes the authenticated tenant to the function. The
# gateway deletes any value the caller sent before it sets its own.
TENANT_HEADER = "x-destkit-tenant"


def tags(extra: Mapping[str, str], destination: str, environment: str) -> dict[str, str]:
    """Build the tags for every taggable resource: the config's tags plus the kit's two."""
    merged = dict(extra)
    merged["destkit-destination"] = destination
    merged["destkit-environment"] = environment
    return merged


def role_definition_id(subscription_id: str, role_guid: str) -> str:
    """Return the full resource id of a built-in role in ``subscription_id``."""
    return f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{role_guid}"
