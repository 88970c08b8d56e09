"""The Azure stack under the mock engine: security properties on what was registered."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from typing import Any

import pulumi
import pytest

from destkit import program
from destkit.config import ConfigError, parse_config
from destkit.plan.engine import PlanResult, plan_stack, run_program
from destkit.plan.mocks import KitMocks
from destkit.plan.model import PlannedResource

ACCOUNT = "azure-native:storage:StorageAccount"
APIM_POLICY = "azure-native:apimanagement:ApiPolicy"
BASE: dict[str, Any] = {
    "destination": {"name": "acme", "cloud": "azure", "environment": "dev"},
    "tenants": ["contoso", "fabrikam"],
    "azure": {"location": "westeurope"},
}
SENTINEL = "leak-sentinel-4242"


def _run(mocks: KitMocks | None = None, **overrides: Any) -> PlanResult:
    config = parse_config({**BASE, **overrides})

    def build() -> None:
        for name, value in program.build(config).items():
            pulumi.export(name, value)

    return run_program(build, config={"azure-native:location": "westeurope"}, mocks=mocks)


@pytest.fixture(scope="module")
def plan() -> PlanResult:
    return plan_stack("azure-dev")


@pytest.fixture(scope="module")
def bearer_plan() -> PlanResult:
    return _run(streaming={"auth": "bearer"})


@pytest.fixture(scope="module")
def basic_plan() -> PlanResult:
    return _run(streaming={"auth": "basic"})


def _account(result: PlanResult, name: str) -> PlannedResource:
    return result.one(ACCOUNT, name)


def _policy(result: PlanResult) -> ElementTree.Element:
    return ElementTree.fromstring(result.one(APIM_POLICY).inputs["value"])


def _inbound_tags(root: ElementTree.Element) -> list[str]:
    inbound = root.find("inbound")
    assert inbound is not None
    return [child.tag for child in inbound]


# -- the stack as a whole ------------------------------------------------------------------------------


def test_plan_has_every_component(plan):
    types = {r.type for r in plan.resources}
    for component in (
        "Foundation",
        "Sink",
        "StreamingEndpoint",
        "BlobDropZone",
        "AdlsDropZone",
        "SftpDropZone",
    ):
        assert f"destkit:azure:{component}" in types


def test_plan_no_mandatory_violation(plan):
    violated = [c for c in plan.compliance if c.status == "violated" and c.enforcement == "mandatory"]
    assert violated == []


def test_every_child_has_parent(plan):
    orphans = [r.name for r in plan.resources if r.parent is None and not r.type.startswith("destkit:")]
    assert orphans == []


@pytest.mark.parametrize(
    "name",
    ["client_secrets", "blob_connection_strings", "adls_client_secrets", "sftp_private_keys"],
)
def test_credential_output_secret(plan, name):
    assert name in plan.secret_outputs


def test_outputs_use_table_names(plan):
    from destkit.outputs import BY_NAME

    assert sorted(set(plan.outputs) - set(BY_NAME)) == []


def test_token_url_is_entra_v2(plan):
    assert plan.outputs["token_url"].endswith("/oauth2/v2.0/token")


def test_scope_is_default_of_app_uri(plan):
    assert plan.outputs["scope"].startswith("api://")
    assert plan.outputs["scope"].endswith("/.default")


def test_adls_url_is_abfss(plan):
    for url in plan.outputs["adls_urls"].values():
        assert url.startswith("abfss://")
        assert ".dfs.core.windows.net/" in url


def test_tags_on_every_account(plan):
    for account in plan.find(ACCOUNT):
        assert account.inputs["tags"]["destkit-destination"] == "acme-aep"


def test_secrets_never_in_plain_outputs():
    mocks = KitMocks(region="westeurope", secret_sentinel=SENTINEL)
    result = _run(
        mocks=mocks, batch={"blob": {"enabled": True}, "adls": {"enabled": True}, "sftp": {"enabled": True}}
    )
    plain = {name: value for name, value in result.outputs.items() if name not in result.secret_outputs}
    assert SENTINEL not in repr(plain)


def test_secret_inputs_marked_secret(plan):
    for secret in plan.find("azure-native:keyvault:Secret"):
        assert "properties" in secret.secret_paths


# -- storage accounts ----------------------------------------------------------------------------------


def test_accounts_https_tls12_no_public_blobs(plan):
    for account in plan.find(ACCOUNT):
        assert account.inputs["enableHttpsTrafficOnly"] is True
        assert account.inputs["minimumTlsVersion"] == "TLS1_2"
        assert account.inputs["allowBlobPublicAccess"] is False
        assert account.inputs["allowCrossTenantReplication"] is False


def test_accounts_infrastructure_encryption(plan):
    for account in plan.find(ACCOUNT):
        assert account.inputs["encryption"]["requireInfrastructureEncryption"] is True


@pytest.mark.parametrize(
    "name", ["acme-aep-dev-sink", "acme-aep-dev-adls", "acme-aep-dev-sftp", "acme-aep-dev-streaming-host"]
)
def test_shared_key_off(plan, name):
    account = _account(plan, name)
    assert account.inputs["allowSharedKeyAccess"] is False
    assert account.inputs["defaultToOAuthAuthentication"] is True


def test_blob_landing_shared_key_waived(plan):
    for tenant in ("retail-eu", "retail-us"):
        assert any(
            w.control == "st-no-shared-key" and w.resource == f"acme-aep-dev-blob-{tenant}"
            for w in plan.waivers
        )


def test_blob_landing_key_expiry(plan):
    account = _account(plan, "acme-aep-dev-blob-retail-eu")
    assert account.inputs["keyPolicy"]["keyExpirationPeriodInDays"] <= 90


def test_blob_landing_sas_policy(plan):
    account = _account(plan, "acme-aep-dev-blob-retail-eu")
    assert account.inputs["sasPolicy"]["sasExpirationPeriod"] == "0.01:00:00"


def test_blob_landing_versioning_on(plan):
    service = plan.one(
        "azure-native:storage:BlobServiceProperties", "acme-aep-dev-blob-retail-eu-blob-service"
    )
    assert service.inputs["isVersioningEnabled"] is True


def test_soft_delete_everywhere(plan):
    for service in plan.find("azure-native:storage:BlobServiceProperties"):
        assert service.inputs["deleteRetentionPolicy"] == {"enabled": True, "days": 14}
        assert service.inputs["containerDeleteRetentionPolicy"] == {"enabled": True, "days": 14}


def test_diagnostics_for_every_account(plan):
    targets = {d.inputs["resourceUri"] for d in plan.find("azure-native:monitor:DiagnosticSetting")}
    for account in plan.find(ACCOUNT):
        assert f"{account.outputs['id']}/blobServices/default" in targets


def test_one_landing_account_per_tenant(plan):
    names = {a.inputs["accountName"] for a in plan.find(ACCOUNT) if a.name.startswith("acme-aep-dev-blob-")}
    assert len(names) == 2


def test_container_per_tenant_shares_account():
    result = _run(
        streaming={"enabled": False}, batch={"blob": {"enabled": True, "isolation": "container_per_tenant"}}
    )
    containers = result.outputs["blob_containers"]
    assert len([a for a in result.find(ACCOUNT) if a.name.startswith("acme-dev-blob")]) == 1
    assert containers == {"contoso": "landing-contoso", "fabrikam": "landing-fabrikam"}


def test_containers_private(plan):
    for container in plan.find("azure-native:storage:BlobContainer"):
        assert container.inputs["publicAccess"] == "None"


def test_sink_has_event_grid_topic(plan):
    topic = plan.one("azure-native:eventgrid:SystemTopic", "acme-aep-dev-sink-events")
    assert topic.inputs["topicType"] == "Microsoft.Storage.StorageAccounts"


# -- ADLS Gen2 -----------------------------------------------------------------------------------------


def test_adls_hierarchical_namespace(plan):
    assert _account(plan, "acme-aep-dev-adls").inputs["isHnsEnabled"] is True


def test_adls_role_scoped_to_container(plan):
    for tenant in ("retail-eu", "retail-us"):
        assignment = plan.one(
            "azure-native:authorization:RoleAssignment", f"acme-aep-dev-adls-{tenant}-writer"
        )
        assert assignment.inputs["scope"].endswith(f"/blobServices/default/containers/aep-{tenant}")
        assert assignment.inputs["roleDefinitionId"].endswith("ba92f5b4-2d11-453d-a403-e96b0029c9fe")


def test_adls_secret_copied_with_expiry(plan):
    secret = plan.one("azure-native:keyvault:Secret", "acme-aep-dev-adls-retail-eu-vault-secret")
    assert isinstance(secret.inputs["properties"]["attributes"]["expires"], int)
    assert secret.inputs["properties"]["contentType"] == "client-secret"


def test_client_secret_lifetime_at_most_two_years(plan):
    import datetime as dt

    limit = dt.date.today() + dt.timedelta(days=730)
    for password in plan.find("azuread:index/applicationPassword:ApplicationPassword"):
        assert dt.date.fromisoformat(password.inputs["endDate"][:10]) <= limit


# -- SFTP ----------------------------------------------------------------------------------------------


def test_sftp_account_dedicated(plan):
    sftp_accounts = [a.name for a in plan.find(ACCOUNT) if a.inputs.get("isSftpEnabled")]
    assert sftp_accounts == ["acme-aep-dev-sftp"]


def test_sftp_firewall_denies_by_default(plan):
    rules = _account(plan, "acme-aep-dev-sftp").inputs["networkRuleSet"]
    assert rules["defaultAction"] == "Deny"
    assert {"iPAddressOrRange": "52.247.108.70", "action": "Allow"} in rules["ipRules"]


def test_sftp_users_key_only(plan):
    for user in plan.find("azure-native:storage:LocalUser"):
        assert user.inputs["hasSshKey"] is True
        assert user.inputs["hasSshPassword"] is False
        assert user.inputs["hasSharedKey"] is False


def test_sftp_user_scoped_to_own_container(plan):
    user = plan.one("azure-native:storage:LocalUser", "acme-aep-dev-sftp-retail-eu-user")
    assert user.inputs["permissionScopes"] == [
        {"permissions": "cwdl", "service": "blob", "resourceName": "sftp-retail-eu"}
    ]
    assert user.inputs["homeDirectory"] == "sftp-retail-eu"


def test_sftp_generated_key_is_rsa(plan):
    for key in plan.find("tls:index/privateKey:PrivateKey"):
        assert (key.inputs["algorithm"], key.inputs["rsaBits"]) == ("RSA", 4096)


# -- Function App --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def web_app(plan) -> PlannedResource:
    return plan.one("azure-native:web:WebApp")


def test_function_https_tls_ftp_debug(web_app):
    site = web_app.inputs["siteConfig"]
    assert web_app.inputs["httpsOnly"] is True
    assert (site["minTlsVersion"], site["scmMinTlsVersion"]) == ("1.2", "1.2")
    assert site["ftpsState"] == "Disabled"
    assert site["remoteDebuggingEnabled"] is False


def test_function_scm_site_denied(web_app):
    site = web_app.inputs["siteConfig"]
    assert site["scmIpSecurityRestrictionsDefaultAction"] == "Deny"
    assert site["scmIpSecurityRestrictionsUseMain"] is False


def test_function_network_rule_waived_on_consumption(plan):
    assert any(
        w.control == "fn-inbound-restricted" and w.resource == "acme-aep-dev-streaming-app"
        for w in plan.waivers
    )


def test_backend_app_has_service_principal(plan):
    backend = plan.one("azuread:index/application:Application", "acme-aep-dev-streaming-backend-app")
    principal = plan.one(
        "azuread:index/servicePrincipal:ServicePrincipal", "acme-aep-dev-streaming-backend-sp"
    )
    assert principal.inputs["clientId"] == backend.outputs["clientId"]


def test_function_host_storage_by_identity(web_app):
    settings = {s["name"]: s["value"] for s in web_app.inputs["siteConfig"]["appSettings"]}
    assert "AzureWebJobsStorage__accountName" in settings
    assert "AzureWebJobsStorage" not in settings
    assert not any("AccountKey=" in str(value) for value in settings.values())


def test_function_deployment_by_identity(web_app):
    storage = web_app.inputs["functionAppConfig"]["deployment"]["storage"]
    assert storage["authentication"] == {"type": "SystemAssignedIdentity"}
    assert storage["type"] == "blobContainer"


def test_function_basic_publishing_off(plan):
    for kind in ("WebAppFtpAllowed", "WebAppScmAllowed"):
        assert plan.one(f"azure-native:web:{kind}").inputs["allow"] is False


def test_function_auth_admits_only_gateway(plan):
    auth = plan.one("azure-native:web:WebAppAuthSettingsV2").inputs
    service = plan.one("azure-native:apimanagement:ApiManagementService")
    aad = auth["identityProviders"]["azureActiveDirectory"]
    allowed = aad["validation"]["defaultAuthorizationPolicy"]["allowedPrincipals"]["identities"]
    assert auth["globalValidation"] == {
        "requireAuthentication": True,
        "unauthenticatedClientAction": "Return401",
    }
    assert allowed == [service.outputs["identity"]["principalId"]]


def test_function_gateway_principal_setting(plan, web_app):
    service = plan.one("azure-native:apimanagement:ApiManagementService")
    settings = {s["name"]: s["value"] for s in web_app.inputs["siteConfig"]["appSettings"]}
    assert settings["DESTKIT_GATEWAY_PRINCIPAL_ID"] == service.outputs["identity"]["principalId"]


def test_unsupported_location_rejected():
    with pytest.raises(ConfigError, match="Flex Consumption"):
        _run(azure={"location": "southindia"})


# -- API Management ------------------------------------------------------------------------------------


def test_apim_tls_custom_properties(plan):
    properties = plan.one("azure-native:apimanagement:ApiManagementService").inputs["customProperties"]
    assert properties["Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls10"] == "false"
    assert (
        properties["Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Tls11"] == "false"
    )


def test_apim_consumption_network_waived(plan):
    assert any(w.control == "apim-network" for w in plan.waivers)


def test_api_https_only_no_subscription(plan):
    api = plan.one("azure-native:apimanagement:Api").inputs
    assert api["protocols"] == ["https"]


def test_backend_validates_certificates(plan):
    backend = plan.one("azure-native:apimanagement:Backend").inputs
    assert backend["url"].startswith("https://")
    assert backend["tls"] == {"validateCertificateChain": True, "validateCertificateName": True}


def test_oauth_policy_validates_jwt_first(plan):
    tags = _inbound_tags(_policy(plan))
    assert tags.index("validate-jwt") < tags.index("authentication-managed-identity")


def test_oauth_policy_deletes_caller_tenant_header(plan):
    inbound = _policy(plan).find("inbound")
    assert inbound is not None
    first = inbound.findall("set-header")[0]
    assert (first.get("name"), first.get("exists-action")) == ("x-destkit-tenant", "delete")


def test_oauth_policy_requires_app_role(plan):
    claim = _policy(plan).find("inbound/validate-jwt/required-claims/claim")
    assert claim is not None
    assert claim.get("name") == "roles"
    assert [value.text for value in claim] == ["Ingest.Write"]


def test_oauth_policy_v2_issuer(plan):
    issuer = _policy(plan).find("inbound/validate-jwt/issuers/issuer")
    assert issuer is not None and issuer.text is not None
    assert issuer.text.endswith("/v2.0")


def test_oauth_policy_audience_is_api_app(plan):
    audience = _policy(plan).find("inbound/validate-jwt/audiences/audience")
    api_app = plan.one("azuread:index/application:Application", "acme-aep-dev-streaming-api-app")
    assert audience is not None
    assert audience.text == api_app.outputs["clientId"]


def test_oauth_policy_maps_each_client(plan):
    mapping = _policy(plan).find("inbound/set-variable")
    assert mapping is not None
    for client in plan.outputs["client_ids"].values():
        assert client in (mapping.get("value") or "")


def test_role_assigned_to_each_client(plan):
    assignments = plan.find("azuread:index/appRoleAssignment:AppRoleAssignment")
    assert len(assignments) == 2


def test_api_app_issues_v2_tokens(plan):
    api_app = plan.one("azuread:index/application:Application", "acme-aep-dev-streaming-api-app")
    assert api_app.inputs["api"]["requestedAccessTokenVersion"] == 2


def test_bearer_policy_uses_named_values(bearer_plan):
    when = _policy(bearer_plan).find("inbound/choose/when")
    assert when is not None
    assert "{{bearer-contoso}}" in (when.get("condition") or "")


def test_bearer_named_values_key_vault_backed(bearer_plan):
    for named in bearer_plan.find("azure-native:apimanagement:NamedValue"):
        assert named.inputs["secret"] is True
        assert named.inputs["keyVault"]["secretIdentifier"].startswith("https://")


def test_gateway_reads_only_its_secrets(bearer_plan):
    reader = bearer_plan.one(
        "azure-native:authorization:RoleAssignment", "acme-dev-streaming-contoso-gateway-secret-reader"
    )
    secret = bearer_plan.one("azure-native:keyvault:Secret", "acme-dev-streaming-contoso-bearer-secret")
    assert reader.inputs["scope"] == secret.outputs["id"]


def test_bearer_tokens_secret_output(bearer_plan):
    assert "tokens" in bearer_plan.secret_outputs


def test_bearer_unknown_caller_gets_401(bearer_plan):
    status = _policy(bearer_plan).find("inbound/choose/when/return-response/set-status")
    assert status is not None
    assert status.get("code") == "401"


def test_basic_policy_compares_user_and_password(basic_plan):
    when = _policy(basic_plan).find("inbound/choose/when")
    assert when is not None
    condition = when.get("condition") or ""
    assert 'c.UserId == "aep-contoso"' in condition
    assert "{{basic-contoso}}" in condition


def test_basic_passwords_secret_output(basic_plan):
    assert "passwords" in basic_plan.secret_outputs


def test_bearer_token_with_quote_rejected():
    with pytest.raises(ValueError, match="RFC 6750"):
        _run(streaming={"auth": "bearer"}, secrets={"bearer_tokens": {"contoso": 'x"' + "a" * 40}})


def test_basic_password_with_brace_rejected():
    with pytest.raises(ValueError, match="brace"):
        _run(streaming={"auth": "basic"}, secrets={"basic_passwords": {"contoso": "{{other}}" + "a" * 40}})


def _external_streaming(tenant_by_client_id: dict[str, str]) -> dict[str, Any]:
    external = {
        "issuer_url": "https://idp.example.com/oauth2/default",
        "jwks_url": "https://idp.example.com/oauth2/default/v1/keys",
        "token_url": "https://idp.example.com/oauth2/default/v1/token",
        "audience": "api://aep-intake",
        "tenant_by_client_id": tenant_by_client_id,
    }
    return {"oauth2": {"issuer": "external", "external": external}}


def test_external_issuer_policy():
    result = _run(streaming=_external_streaming({"0oa1": "contoso"}))
    config = _policy(result).find("inbound/validate-jwt/openid-config")
    assert config is not None
    assert config.get("url") == "https://idp.example.com/oauth2/default/.well-known/openid-configuration"


def test_external_client_id_with_quote_rejected():
    with pytest.raises(ValueError, match="client id"):
        _run(streaming=_external_streaming({'x"; return "fabrikam': "contoso"}))


# -- invalid Azure options -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("azure", "message"),
    [
        ({"apim_profile": "isolated"}, "azure.apim_subnet_id: required"),
        ({"apim_subnet_id": "not-an-id"}, "azure.apim_subnet_id"),
        ({"client_secret_validity_days": 731}, "client_secret_validity_days"),
        ({"location": "West Europe"}, "azure.location"),
        ({"apim_profile": "premium"}, "azure.apim_profile"),
    ],
)
def test_invalid_azure_option(azure, message):
    with pytest.raises(ConfigError, match=message):
        parse_config({**BASE, "azure": {**BASE["azure"], **azure}})


def test_isolated_profile_private_function():
    subnet = (
        "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/net/providers/"
        "Microsoft.Network/virtualNetworks/hub/subnets/"
    )
    result = _run(
        azure={
            "location": "westeurope",
            "apim_profile": "isolated",
            "apim_subnet_id": subnet + "apim",
            "private_endpoint_subnet_id": subnet + "endpoints",
        }
    )
    site = result.one("azure-native:web:WebApp").inputs
    assert site["publicNetworkAccess"] == "Disabled"
    assert site["siteConfig"]["ipSecurityRestrictionsDefaultAction"] == "Deny"
    assert (
        result.one("azure-native:apimanagement:ApiManagementService").inputs["virtualNetworkType"]
        == "External"
    )
    assert result.one("azure-native:network:PrivateEndpoint").inputs["privateLinkServiceConnections"][0][
        "groupIds"
    ] == ["sites"]
