"""API Management in front of the intake function: service, logging, named values, API and policy.

Profiles: ``consumption`` (created in minutes, public, no virtual network) and ``isolated``
(Premium v2, joined to a subnet so it reaches the function's private endpoint). The Consumption
tier cannot join a virtual network or take a private endpoint, and it has no Azure Monitor
resource logs for gateway requests, so the kit sends request telemetry to Application Insights.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_azure_native as azure_native

from destkit import waivers
from destkit.azure import defaults
from destkit.azure.policies import BACKEND_ID

apim = azure_native.apimanagement

API_ID = "destkit"
API_PATH = "aep"
LOGGER_ID = "destkit-insights"


@dataclass(frozen=True)
class GatewaySettings:
    service_name: str
    profile: str
    resource_group_name: pulumi.Input[str]
    location: str
    publisher_email: str
    publisher_name: str
    subnet_id: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


def build_service(name: str, settings: GatewaySettings, parent: pulumi.Resource) -> apim.ApiManagementService:
    """Create the API Management service with TLS 1.2, managed identity and the profile's network."""
    sku_name, capacity = defaults.APIM_SKUS[settings.profile]
    isolated = settings.profile == "isolated"
    # The management surface: no developer portal (the Consumption tier has none to turn on) and no
    # legacy configuration API.
    extra: dict[str, object] = {
        "developer_portal_status": "Disabled",
        "legacy_portal_status": "Disabled",
        "configuration_api": {"legacy_api": "Disabled"},
    }
    if isolated:
        extra["virtual_network_type"] = "External"
        extra["virtual_network_configuration"] = {"subnet_resource_id": settings.subnet_id}
    else:
        waivers.record(
            "apim-network",
            f"{name}-service",
            "The consumption profile uses the Consumption tier, which cannot join a virtual network; the "
            "gateway stays public because AEP calls it over the internet, and the function behind it "
            "admits only this gateway's managed identity. The isolated profile puts the gateway in a network",
        )
    # Long operations: non-Consumption tiers take 30 to 90 minutes to create.
    timeouts = pulumi.CustomTimeouts(create="120m", update="120m") if isolated else None
    return apim.ApiManagementService(  # type: ignore[call-overload]
        f"{name}-service",
        service_name=settings.service_name,
        resource_group_name=settings.resource_group_name,
        location=settings.location,
        sku={"name": sku_name, "capacity": capacity},
        publisher_email=settings.publisher_email,
        publisher_name=settings.publisher_name,
        identity={"type": "SystemAssigned"},
        custom_properties=dict(defaults.APIM_TLS_CUSTOM_PROPERTIES),
        public_network_access="Enabled",
        tags=dict(settings.tags),
        opts=pulumi.ResourceOptions(parent=parent, custom_timeouts=timeouts),
        **extra,
    )


def build_logging(
    name: str,
    *,
    service: apim.ApiManagementService,
    resource_group_name: pulumi.Input[str],
    insights: azure_native.applicationinsights.Component,
    parent: pulumi.Resource,
) -> apim.Diagnostic:
    """Send request telemetry (no bodies) to Application Insights, authenticated by managed identity."""
    child = pulumi.ResourceOptions(parent=parent)
    logger = apim.Logger(
        f"{name}-logger",
        logger_id=LOGGER_ID,
        service_name=service.name,
        resource_group_name=resource_group_name,
        logger_type="applicationInsights",
        resource_id=insights.id,
        credentials={
            "connectionString": _secret(insights.connection_string),
            "identityClientId": "SystemAssigned",
        },
        opts=child,
    )
    no_bodies = {"request": {"body": {"bytes": 0}}, "response": {"body": {"bytes": 0}}}
    return apim.Diagnostic(  # type: ignore[call-overload]
        f"{name}-diagnostic",
        diagnostic_id="applicationinsights",
        service_name=service.name,
        resource_group_name=resource_group_name,
        logger_id=logger.id,
        always_log="allErrors",
        log_client_ip=True,
        verbosity="information",
        sampling={"sampling_type": "fixed", "percentage": 100},
        frontend=no_bodies,
        backend=no_bodies,
        opts=child,
    )


def build_named_values(
    name: str,
    *,
    service: apim.ApiManagementService,
    resource_group_name: pulumi.Input[str],
    secret_uris: Mapping[str, pulumi.Input[str]],
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
) -> dict[str, str]:
    """Create one Key Vault-backed secret named value per tenant; return tenant to named-value id."""
    named: dict[str, str] = {}
    for tenant, uri in sorted(secret_uris.items()):
        named_value_id = f"{name}-{tenant}"
        apim.NamedValue(
            f"{name}-{tenant}-named-value",
            named_value_id=named_value_id,
            display_name=named_value_id,
            service_name=service.name,
            resource_group_name=resource_group_name,
            secret=True,
            key_vault={"secret_identifier": uri},
            opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)),
        )
        named[tenant] = named_value_id
    return named


def build_api(
    name: str,
    *,
    service: apim.ApiManagementService,
    resource_group_name: pulumi.Input[str],
    function_hostname: pulumi.Input[str],
    routes: Sequence[tuple[str, str]],
    policy_xml: pulumi.Input[str],
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
) -> apim.Api:
    """Create the backend, the API with one operation per route, and the API-wide policy."""
    child = pulumi.ResourceOptions(parent=parent)
    backend = apim.Backend(
        f"{name}-backend",
        backend_id=BACKEND_ID,
        service_name=service.name,
        resource_group_name=resource_group_name,
        protocol="http",
        # The Functions host serves HTTP triggers under its default "api" route prefix.
        url=pulumi.Output.from_input(function_hostname).apply(lambda host: f"https://{host}/api"),
        tls={"validate_certificate_chain": True, "validate_certificate_name": True},
        description="The intake Function App",
        opts=child,
    )
    api = apim.Api(
        f"{name}-api",
        api_id=API_ID,
        service_name=service.name,
        resource_group_name=resource_group_name,
        display_name="AEP destination intake",
        path=API_PATH,
        protocols=["https"],
        subscription_required=False,
        api_type="http",
        opts=child,
    )
    operations = []
    for method, template in routes:
        operation_id = (
            f"{method.lower()}-{template.strip('/').replace('/', '-').replace('{', '').replace('}', '')}"
        )
        parameters: list[Any] = [
            {"name": part[1:-1], "type": "string", "required": True}
            for part in template.split("/")
            if part.startswith("{")
        ]
        operations.append(
            apim.ApiOperation(
                f"{name}-{operation_id}",
                operation_id=operation_id,
                api_id=api.name,
                service_name=service.name,
                resource_group_name=resource_group_name,
                display_name=f"{method} {template}",
                method=method,
                url_template=template,
                template_parameters=parameters,
                opts=child,
            )
        )
    apim.ApiPolicy(
        f"{name}-policy",
        policy_id="policy",
        api_id=api.name,
        service_name=service.name,
        resource_group_name=resource_group_name,
        format="rawxml",
        value=policy_xml,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[backend, *operations, *depends_on]),
    )
    return api


def _secret(value: pulumi.Output[str]) -> pulumi.Output[str]:
    return pulumi.Output.secret(value)
