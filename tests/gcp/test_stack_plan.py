"""The GCP stack under the mock engine: security properties on what was registered."""

from __future__ import annotations

import base64
import json
from typing import Any

import pulumi
import pytest
import yaml

from destkit import program
from destkit.config import ConfigError, parse_config
from destkit.gcp import naming
from destkit.plan.engine import PlanResult, plan_stack, run_program
from destkit.plan.mocks import GCP_PROJECT, KitMocks
from destkit.runtime import routes

BASE: dict[str, Any] = {
    "destination": {"name": "acme", "cloud": "gcp", "environment": "dev"},
    "tenants": ["contoso", "fabrikam"],
    "gcp": {"project": "acme-aep-dev", "region": "europe-west1"},
}


def _run(**overrides: Any) -> PlanResult:
    config = parse_config({**BASE, **overrides})

    def build() -> None:
        for name, value in program.build(config).items():
            pulumi.export(name, value)

    return run_program(build, config={"gcp:region": "europe-west1"})


@pytest.fixture(scope="module")
def plan() -> PlanResult:
    return plan_stack("gcp-dev")


def _document(result: PlanResult) -> dict[str, Any]:
    config = result.one("gcp:apigateway/apiConfig:ApiConfig")
    contents = config.inputs["openapiDocuments"][0]["document"]["contents"]
    return yaml.safe_load(base64.b64decode(contents))


def test_plan_has_every_component(plan):
    types = {r.type for r in plan.resources}
    for component in ("Sink", "StreamingEndpoint", "GcsDropZone", "SftpDropZone"):
        assert f"destkit:gcp:{component}" in types


def test_plan_no_mandatory_violation(plan):
    violated = [c for c in plan.compliance if c.status == "violated" and c.enforcement == "mandatory"]
    assert violated == []


def test_credential_outputs_secret(plan):
    for name in ("client_secrets", "gcs_hmac_secrets", "sftp_private_keys"):
        assert name in plan.secret_outputs


def test_hmac_access_ids_plain(plan):
    assert "gcs_hmac_access_ids" not in plan.secret_outputs


def test_hmac_access_id_length(plan):
    # fake-gcs-server has no HMAC key API and rejects XML-API writes, so no test here signs a request
    # with these keys: the tests check the credentials the kit outputs, and destkit verify checks them
    # against a deployed bucket. AEP expects 61-character access ids.
    for access_id in plan.outputs["gcs_hmac_access_ids"].values():
        assert len(access_id) == 61


def test_secret_versions_marked_secret(plan):
    for version in plan.find("gcp:secretmanager/secretVersion:SecretVersion"):
        assert "secretData" in version.secret_paths


def test_buckets_hardened(plan):
    for bucket in plan.find("gcp:storage/bucket:Bucket"):
        assert bucket.inputs["uniformBucketLevelAccess"] is True
        assert bucket.inputs["publicAccessPrevention"] == "enforced"
        assert bucket.inputs["softDeletePolicy"]["retentionDurationSeconds"] >= 604800
        assert bucket.inputs["versioning"]["enabled"] is True
        assert bucket.inputs["encryption"]["defaultKmsKeyName"]
        assert bucket.inputs.get("forceDestroy") is False


def test_cmek_bucket_after_agent_grant(plan):
    grant = plan.one("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
    sink_bucket = plan.one("gcp:storage/bucket:Bucket", "acme-dev-sink")
    registered = [r.urn for r in plan.resources]
    assert registered.index(grant.urn) < registered.index(sink_bucket.urn)


def test_key_rotation_90_days(plan):
    key = plan.one("gcp:kms/cryptoKey:CryptoKey")
    assert key.inputs["rotationPeriod"] == "7776000s"


def test_only_gateway_invokes(plan):
    gateway = plan.one("gcp:serviceaccount/account:Account", "acme-dev-streaming-gateway")
    members = plan.find("gcp:cloudrunv2/serviceIamMember:ServiceIamMember")
    assert len(members) == 2
    for member in members:
        assert member.inputs["member"] == gateway.outputs["member"]
        assert member.inputs["role"] == "roles/run.invoker"


def test_no_public_member(plan):
    for resource in plan.resources:
        member = str(resource.inputs.get("member", ""))
        assert member not in ("allUsers", "allAuthenticatedUsers")


def test_functions_dedicated_accounts(plan):
    for function in plan.find("gcp:cloudfunctionsv2/function:Function"):
        email = function.inputs["serviceConfig"]["serviceAccountEmail"]
        assert email.endswith("@acme-aep-dev.iam.gserviceaccount.com")
        assert "-compute@" not in email


def test_function_secrets_by_reference(plan):
    token = plan.one("gcp:cloudfunctionsv2/function:Function", "acme-dev-streaming-token")
    keys = {v["key"] for v in token.inputs["serviceConfig"]["secretEnvironmentVariables"]}
    assert keys == {"DESTKIT_SECRET_CONTOSO", "DESTKIT_SECRET_FABRIKAM"}


def test_source_named_by_hash(plan):
    source = plan.one("gcp:storage/bucketObject:BucketObject")
    name = source.inputs["name"]
    assert name.startswith("functions/")
    assert len(name.removeprefix("functions/").removesuffix(".zip")) == 64


def test_signing_account_has_token_creator(plan):
    signer = plan.one("gcp:serviceaccount/account:Account", "acme-dev-streaming-signer")
    token_account = plan.one("gcp:serviceaccount/account:Account", "acme-dev-streaming-token")
    grant = plan.one("gcp:serviceaccount/iAMMember:IAMMember")
    assert grant.inputs["serviceAccountId"] == signer.outputs["name"]
    assert grant.inputs["member"] == token_account.outputs["member"]
    assert grant.inputs["role"] == "roles/iam.serviceAccountTokenCreator"


def test_no_service_account_keys(plan):
    assert plan.find("gcp:serviceaccount/key:Key") == []


def test_openapi_secures_all_but_token(plan):
    document = _document(plan)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            if path == routes.TOKEN_PATH:
                assert operation["security"] == []
            else:
                assert operation["security"] == [{"destkit_oauth2": []}], (path, method)


def test_openapi_backend_points_at_function(plan):
    intake = plan.one("gcp:cloudfunctionsv2/function:Function", "acme-dev-streaming-intake")
    backend = _document(plan)["paths"][routes.INTAKE_PATH]["post"]["x-google-backend"]
    assert backend["address"] == intake.outputs["url"]
    assert backend["jwt_audience"] == intake.outputs["url"]


def test_openapi_issuer_is_signer(plan):
    signer = plan.one("gcp:serviceaccount/account:Account", "acme-dev-streaming-signer")
    scheme = _document(plan)["securityDefinitions"]["destkit_oauth2"]
    assert scheme["x-google-issuer"] == signer.outputs["email"]
    assert scheme["x-google-jwks_uri"].endswith("/jwk/" + signer.outputs["email"])
    assert scheme["x-google-audiences"] == "acme-dev-intake"


def test_api_config_gateway_account(plan):
    gateway = plan.one("gcp:serviceaccount/account:Account", "acme-dev-streaming-gateway")
    config = plan.one("gcp:apigateway/apiConfig:ApiConfig")
    assert config.inputs["gatewayConfig"]["backendConfig"]["googleServiceAccount"] == gateway.outputs["email"]


def test_token_path_exception_recorded(plan):
    recorded = {(w.control, w.resource) for w in plan.waivers}
    assert ("apigw-jwt-every-path", "acme-dev-streaming-config") in recorded
    assert ("run-ingress", "acme-dev-streaming-intake") in recorded


def test_hmac_writer_prefix_condition(plan):
    binding = plan.one("gcp:storage/bucketIAMMember:BucketIAMMember", "acme-dev-gcs-contoso-writer-objects")
    bucket = plan.one("gcp:storage/bucket:Bucket", "acme-dev-gcs").outputs["name"]
    expression = binding.inputs["condition"]["expression"]
    assert f'resource.name.startsWith("projects/_/buckets/{bucket}/objects/contoso/")' in expression
    assert (
        'api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("contoso/")' in expression
    )


def test_hmac_writer_condition_names_own_tenant(plan):
    binding = plan.one("gcp:storage/bucketIAMMember:BucketIAMMember", "acme-dev-gcs-fabrikam-writer-objects")
    assert "contoso" not in binding.inputs["condition"]["expression"]


def test_notification_object_finalize_json(plan):
    notification = plan.one("gcp:storage/notification:Notification", "acme-dev-gcs-notification")
    assert notification.inputs["eventTypes"] == ["OBJECT_FINALIZE"]
    assert notification.inputs["payloadFormat"] == "JSON_API_V1"


def test_sftp_instance_shielded(plan):
    instance = plan.one("gcp:compute/instance:Instance")
    shielded = instance.inputs["shieldedInstanceConfig"]
    assert shielded == {"enableSecureBoot": True, "enableVtpm": True, "enableIntegrityMonitoring": True}
    assert instance.inputs["metadata"]["enable-oslogin"] == "TRUE"


def test_sftp_firewall_sources(plan):
    sftp = plan.one("gcp:compute/firewall:Firewall", "acme-dev-sftp-sftp")
    admin = plan.one("gcp:compute/firewall:Firewall", "acme-dev-sftp-iap-admin")
    assert "0.0.0.0/0" not in sftp.inputs["sourceRanges"]
    assert admin.inputs["sourceRanges"] == ["35.235.240.0/20"]


def test_labels_on_buckets(plan):
    for bucket in plan.find("gcp:storage/bucket:Bucket"):
        assert bucket.inputs["labels"]["destkit-destination"] == "acme"


def test_bearer_tokens_secret():
    result = _run(streaming={"auth": "bearer"})
    assert "tokens" in result.secret_outputs


def test_bearer_exception_recorded():
    result = _run(streaming={"auth": "bearer"})
    assert ("apigw-jwt-every-path", "acme-dev-streaming-config") in {
        (w.control, w.resource) for w in result.waivers
    }


def test_bearer_intake_reads_secrets():
    result = _run(streaming={"auth": "bearer"})
    intake = result.one("gcp:cloudfunctionsv2/function:Function", "acme-dev-streaming-intake")
    keys = {v["key"] for v in intake.inputs["serviceConfig"]["secretEnvironmentVariables"]}
    assert keys == {"DESTKIT_SECRET_CONTOSO", "DESTKIT_SECRET_FABRIKAM"}


def test_basic_passwords_secret():
    result = _run(streaming={"auth": "basic"})
    assert "passwords" in result.secret_outputs
    assert result.outputs["usernames"] == {"contoso": "contoso", "fabrikam": "fabrikam"}


def test_external_issuer_in_document():
    external = {
        "issuer_url": "https://idp.example.com/",
        "jwks_url": "https://idp.example.com/jwks.json",
        "token_url": "https://idp.example.com/token",
        "audience": "aep",
        "tenant_by_client_id": {"client-a": "contoso", "client-b": "fabrikam"},
    }
    result = _run(streaming={"oauth2": {"issuer": "external", "external": external}})
    scheme = _document(result)["securityDefinitions"]["destkit_oauth2"]
    assert scheme["x-google-issuer"] == "https://idp.example.com/"
    assert routes.TOKEN_PATH not in _document(result)["paths"]
    assert result.outputs["token_url"] == "https://idp.example.com/token"


def test_sink_writer_create_only_role():
    result = _run()
    binding = result.one(
        "gcp:storage/bucketIAMMember:BucketIAMMember", "acme-dev-streaming-intake-sink-writer"
    )
    assert binding.inputs["role"] == "roles/storage.objectCreator"


def test_existing_key_used():
    key = "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k"
    result = _run(gcp={**BASE["gcp"], "kms_key_id": key}, batch={"gcs": {"enabled": True}})
    assert result.find("gcp:kms/cryptoKey:CryptoKey") == []
    assert (
        result.one("gcp:storage/bucket:Bucket", "acme-dev-gcs").inputs["encryption"]["defaultKmsKeyName"]
        == key
    )


def test_existing_account_used():
    email = "intake@acme-aep-dev.iam.gserviceaccount.com"
    result = _run(gcp={**BASE["gcp"], "service_account_email": email})
    intake = result.one("gcp:cloudfunctionsv2/function:Function", "acme-dev-streaming-intake")
    assert intake.inputs["serviceConfig"]["serviceAccountEmail"] == email


def test_token_lifetime_over_12h_rejected():
    with pytest.raises(ConfigError, match="token_validity_hours: 24"):
        _run(streaming={"oauth2": {"token_validity_hours": 24}})


def test_token_lifetime_default_capped():
    result = _run()
    token = result.one("gcp:cloudfunctionsv2/function:Function", "acme-dev-streaming-token")
    assert token.inputs["serviceConfig"]["environmentVariables"]["DESTKIT_ISSUER_LIFETIME_SECONDS"] == "43200"


def test_token_lifetime_error_before_resources():
    config = parse_config({**BASE, "streaming": {"oauth2": {"token_validity_hours": 13}}})
    mocks = KitMocks(region="europe-west1")
    with pytest.raises(ConfigError):
        run_program(lambda: program.build(config), mocks=mocks)
    assert mocks.registrations == []


def test_sftp_without_opt_in_rejected():
    with pytest.raises(ConfigError, match=r"batch\.sftp\.experimental"):
        parse_config({**BASE, "batch": {"sftp": {"enabled": True}}})


def test_s3_on_gcp_rejected():
    with pytest.raises(ConfigError, match=r"batch\.s3\.enabled"):
        parse_config({**BASE, "batch": {"s3": {"enabled": True}}})


def test_body_limit_over_gcp_max_rejected():
    with pytest.raises(ConfigError, match=r"gcp maximum"):
        parse_config({**BASE, "streaming": {"max_body_bytes": 40_000_000}})


def test_bad_region_rejected():
    with pytest.raises(ConfigError, match=r"destkit:gcp\.region"):
        parse_config({**BASE, "gcp": {"region": "Europe West"}})


def test_outputs_cloud_gcp(plan):
    json.dumps(plan.masked_outputs())
    assert plan.outputs["cloud"] == "gcp"


def test_planned_account_ids_valid(plan):
    for account in plan.find("gcp:serviceaccount/account:Account"):
        assert naming.service_account_id_problem(account.inputs["accountId"]) is None, account.name


def test_planned_resource_ids_valid(plan):
    ids = [plan.one("gcp:apigateway/api:Api").inputs["apiId"]]
    ids.append(plan.one("gcp:apigateway/gateway:Gateway").inputs["gatewayId"])
    ids.append(plan.one("gcp:compute/instance:Instance").inputs["name"])
    ids += [function.inputs["name"] for function in plan.find("gcp:cloudfunctionsv2/function:Function")]
    for resource_id in ids:
        assert naming.resource_id_problem(resource_id) is None, resource_id


def test_planned_bucket_names_valid(plan):
    for bucket in plan.find("gcp:storage/bucket:Bucket"):
        assert naming.bucket_problem(bucket.outputs["name"]) is None, bucket.outputs["name"]


def test_planned_secret_ids_valid(plan):
    for secret in plan.find("gcp:secretmanager/secret:Secret"):
        assert naming.secret_id_problem(secret.inputs["secretId"]) is None, secret.inputs["secretId"]


def test_planned_labels_valid(plan):
    for resource in plan.resources:
        for key, value in (resource.inputs.get("labels") or {}).items():
            assert naming.label_problem(key, value) is None, resource.name


def test_long_names_still_valid():
    result = _run(
        destination={"name": "averylongdestinatio", "cloud": "gcp", "environment": "staging1"},
        tenants=["tenant-with-16ch", "second-tenant-16"],
        batch={"gcs": {"enabled": True}},
    )
    for account in result.find("gcp:serviceaccount/account:Account"):
        assert naming.service_account_id_problem(account.inputs["accountId"]) is None, account.inputs[
            "accountId"
        ]


def test_existing_project_everywhere(plan):
    projects = {r.inputs["project"] for r in plan.resources if "project" in r.inputs}
    assert projects == {"acme-aep-dev"}


def test_project_from_provider_when_unset():
    result = _run(gcp={"region": "europe-west1"})
    projects = {r.inputs["project"] for r in result.resources if "project" in r.inputs}
    assert projects == {GCP_PROJECT}


def _endpoint_alone() -> None:
    from destkit.gcp.streaming import StreamingEndpoint, StreamingEndpointArgs

    StreamingEndpoint(
        "team-intake",
        StreamingEndpointArgs(
            tenants=["contoso"],
            project="team-project",
            region="europe-west1",
            prefix="team-aep",
            sink_bucket="existing-sink",
            auth_mode="bearer",
            kms_key_id="projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k",
        ),
    )


def test_endpoint_alone_grants_key_first():
    result = run_program(_endpoint_alone, config={"gcp:region": "europe-west1"})
    grant = result.one("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
    bucket = result.one("gcp:storage/bucket:Bucket")
    order = [r.urn for r in result.resources]
    assert order.index(grant.urn) < order.index(bucket.urn)
    assert bucket.inputs["encryption"]["defaultKmsKeyName"].endswith("/cryptoKeys/k")


def test_endpoint_alone_creates_no_key():
    result = run_program(_endpoint_alone, config={"gcp:region": "europe-west1"})
    assert result.find("gcp:kms/cryptoKey:CryptoKey") == []
