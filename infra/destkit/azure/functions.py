"""The intake Function App on the Flex Consumption plan, reachable only through API Management.

Code deployment: Flex Consumption runs the package from a blob container of the host storage
account (``functionAppConfig.deployment.storage``), read with the app's system-assigned identity,
so the host account keeps shared key off. The kit does not upload the package through Pulumi:
an upload with ``storage.Blob`` needs shared key, so the package is published after ``pulumi up``
with ``az functionapp deployment source config-zip`` (an Entra ID-authenticated call).

Inbound access: App Service authentication accepts only requests that carry an Entra ID token
issued to API Management's managed identity for the backend app registration. In the isolated
profile, public network access is off as well and the gateway uses a private endpoint. The
consumption profile has no network rule: the ``ApiManagement`` service tag covers API Management's
control plane, not the addresses its gateway calls backends from, and Consumption gateways have no
fixed outbound addresses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native as azure_native

from destkit import waivers
from destkit.azure import defaults
from destkit.azure.storage import (
    AccountSettings,
    HardenedAccount,
    assign_role,
    build_account,
    private_container,
)

web = azure_native.web


@dataclass(frozen=True)
class FunctionAppSettings:
    """Inputs of :func:`build_function_app`."""

    app_name: str
    host_account_name: str
    resource_group_name: pulumi.Input[str]
    location: str
    workspace_id: pulumi.Input[str]
    subscription_id: pulumi.Input[str]
    tenant_id: pulumi.Input[str]
    backend_client_id: pulumi.Input[str]
    """Client id of the app registration that API Management's token is issued for."""
    gateway_principal_id: pulumi.Input[str]
    """Object id of API Management's managed identity, the only caller App Service lets through."""
    environment: Mapping[str, pulumi.Input[str]]
    """``DESTKIT_*`` app settings of the intake."""
    private: bool = False
    """True: public network access off (the gateway reaches the app through a private endpoint)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    protect: bool = True


@dataclass
class IntakeFunction:
    host: HardenedAccount
    deployment_container: azure_native.storage.BlobContainer
    insights: azure_native.applicationinsights.Component
    plan: web.AppServicePlan
    app: web.WebApp
    principal_id: pulumi.Output[str]
    hostname: pulumi.Output[str]


def build_function_app(name: str, settings: FunctionAppSettings, parent: pulumi.Resource) -> IntakeFunction:
    """Create the host account, Application Insights, the Flex Consumption plan and the app."""
    child = pulumi.ResourceOptions(parent=parent)
    host = build_account(
        f"{name}-host",
        AccountSettings(
            account_name=settings.host_account_name,
            resource_group_name=settings.resource_group_name,
            location=settings.location,
            workspace_id=settings.workspace_id,
            tags=settings.tags,
            event_grid=False,
            protect=settings.protect,
        ),
        parent,
    )
    deployment_container = private_container(
        f"{name}-package-container",
        container_name=defaults.DEPLOYMENT_CONTAINER,
        account=host.account,
        resource_group_name=settings.resource_group_name,
        parent=parent,
    )
    insights = azure_native.applicationinsights.Component(
        f"{name}-insights",
        resource_name_=f"{settings.app_name}-insights",
        resource_group_name=settings.resource_group_name,
        location=settings.location,
        kind="web",
        application_type="web",
        workspace_resource_id=settings.workspace_id,
        ingestion_mode="LogAnalytics",
        disable_local_auth=True,
        tags=dict(settings.tags),
        opts=child,
    )
    plan = web.AppServicePlan(
        f"{name}-plan",
        name=f"{settings.app_name}-plan",
        resource_group_name=settings.resource_group_name,
        location=settings.location,
        kind="functionapp",
        reserved=True,
        sku={"name": defaults.FUNCTION_PLAN_SKU, "tier": defaults.FUNCTION_PLAN_TIER},
        tags=dict(settings.tags),
        opts=child,
    )

    package_url = host.account.primary_endpoints.apply(
        lambda endpoints: f"{endpoints.blob.rstrip('/')}/{defaults.DEPLOYMENT_CONTAINER}"
    )
    app_settings = [
        {"name": "AzureWebJobsStorage__accountName", "value": host.account.name},
        {"name": "APPLICATIONINSIGHTS_CONNECTION_STRING", "value": insights.connection_string},
        {"name": "APPLICATIONINSIGHTS_AUTHENTICATION_STRING", "value": "Authorization=AAD"},
        *({"name": key, "value": value} for key, value in sorted(settings.environment.items())),
    ]
    app = web.WebApp(  # type: ignore[call-overload]
        f"{name}-app",
        name=settings.app_name,
        resource_group_name=settings.resource_group_name,
        location=settings.location,
        kind="functionapp,linux",
        server_farm_id=plan.id,
        https_only=True,
        client_cert_enabled=False,
        public_network_access="Disabled" if settings.private else "Enabled",
        identity={"type": "SystemAssigned"},
        function_app_config={
            "deployment": {
                "storage": {
                    "type": "blobContainer",
                    "value": package_url,
                    "authentication": {"type": "SystemAssignedIdentity"},
                }
            },
            "runtime": {"name": defaults.FUNCTION_RUNTIME, "version": defaults.FUNCTION_RUNTIME_VERSION},
            "scale_and_concurrency": {
                "instance_memory_mb": defaults.FUNCTION_INSTANCE_MEMORY_MB,
                "maximum_instance_count": defaults.FUNCTION_MAX_INSTANCES,
            },
        },
        site_config={
            "app_settings": app_settings,
            "min_tls_version": defaults.FUNCTION_MIN_TLS,
            "scm_min_tls_version": defaults.FUNCTION_MIN_TLS,
            "ftps_state": "Disabled",
            "remote_debugging_enabled": False,
            "http20_enabled": True,
            "cors": {"allowed_origins": []},
            "ip_security_restrictions": [],
            "ip_security_restrictions_default_action": "Deny" if settings.private else "Allow",
            "scm_ip_security_restrictions_default_action": "Deny",
            "scm_ip_security_restrictions_use_main": False,
        },
        tags=dict(settings.tags),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[deployment_container]),
    )
    principal_id = app.identity.apply(lambda identity: identity.principal_id if identity else "")
    if not settings.private:
        waivers.record(
            "fn-inbound-restricted",
            f"{name}-app",
            "The Consumption gateway calls the function from shared addresses that no service tag or IP "
            "rule covers; App Service authentication admits only tokens of the gateway's managed identity, "
            "and the isolated profile turns public access off",
        )

    # Basic (publishing) credentials off for FTP and for the SCM site.
    for policy, resource in (("ftp", web.WebAppFtpAllowed), ("scm", web.WebAppScmAllowed)):
        resource(
            f"{name}-{policy}-basic-auth",
            name=app.name,
            resource_group_name=settings.resource_group_name,
            allow=False,
            opts=child,
        )

    web.WebAppAuthSettingsV2(  # type: ignore[call-overload]
        f"{name}-auth",
        name=app.name,
        resource_group_name=settings.resource_group_name,
        platform={"enabled": True, "runtime_version": "~1"},
        global_validation={"require_authentication": True, "unauthenticated_client_action": "Return401"},
        http_settings={"require_https": True},
        identity_providers={
            "azure_active_directory": {
                "enabled": True,
                "registration": {
                    "client_id": settings.backend_client_id,
                    "open_id_issuer": pulumi.Output.from_input(settings.tenant_id).apply(
                        lambda tenant: f"https://sts.windows.net/{tenant}/v2.0"
                    ),
                },
                "validation": {
                    "allowed_audiences": [settings.backend_client_id],
                    "default_authorization_policy": {
                        "allowed_principals": {"identities": [settings.gateway_principal_id]}
                    },
                },
            }
        },
        opts=child,
    )

    azure_native.monitor.DiagnosticSetting(
        f"{name}-app-diagnostics",
        name="destkit-function-logs",
        resource_uri=app.id,
        workspace_id=settings.workspace_id,
        logs=[{"category": "FunctionAppLogs", "enabled": True}],
        metrics=[{"category": "AllMetrics", "enabled": True}],
        opts=child,
    )

    # The app's identity reads its package and runs the host on the host account, and writes
    # telemetry to Application Insights with Entra ID (local authentication is off).
    assign_role(
        f"{name}-host-storage",
        scope=host.account.id,
        principal_id=principal_id,
        role_guid=defaults.ROLE_STORAGE_BLOB_DATA_OWNER,
        subscription_id=settings.subscription_id,
        principal_type="ServicePrincipal",
        parent=parent,
    )
    assign_role(
        f"{name}-telemetry",
        scope=insights.id,
        principal_id=principal_id,
        role_guid=defaults.ROLE_MONITORING_METRICS_PUBLISHER,
        subscription_id=settings.subscription_id,
        principal_type="ServicePrincipal",
        parent=parent,
    )

    return IntakeFunction(
        host=host,
        deployment_container=deployment_container,
        insights=insights,
        plan=plan,
        app=app,
        principal_id=principal_id,
        hostname=app.default_host_name,
    )
