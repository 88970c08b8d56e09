"""Pulumi type tokens of the Azure resources the controls read (azure-native 3)."""

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
