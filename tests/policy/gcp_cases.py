"""A compliant GCP stack, as the kit's components register it, and one violation per control."""

from __future__ import annotations

import base64
import json

import yaml
from tests.policy.builders import Case, changed, make, plus, without

from destkit.plan.model import PlannedResource

PROJECT = "acme-aep-dev"
KEY_ID = f"projects/{PROJECT}/locations/europe-west1/keyRings/acme/cryptoKeys/data"
WRITER = f"acme-gcs-retail-eu@{PROJECT}.iam.gserviceaccount.com"
RUNTIME = f"acme-intake@{PROJECT}.iam.gserviceaccount.com"
GATEWAY = f"acme-gateway@{PROJECT}.iam.gserviceaccount.com"
AGENT = "serviceAccount:service-123456789@gs-project-accounts.iam.gserviceaccount.com"
BACKEND = "https://acme-intake-abc-ew.a.run.app"


def openapi(document: dict) -> str:
    return base64.b64encode(yaml.safe_dump(document).encode()).decode()


def gateway_document(**overrides: object) -> dict:
    document: dict = {
        "swagger": "2.0",
        "info": {"title": "acme intake", "version": "1.0.0"},
        "securityDefinitions": {
            "kit_jwt": {
                "type": "oauth2",
                "flow": "application",
                "tokenUrl": "https://issuer.example.com/token",
                "x-google-issuer": "https://issuer.example.com",
                "x-google-jwks_uri": "https://issuer.example.com/.well-known/jwks.json",
                "x-google-audiences": "https://intake.example.com",
            }
        },
        "security": [{"kit_jwt": []}],
        "x-google-backend": {"address": BACKEND, "jwt_audience": BACKEND},
        "paths": {
            "/ingest": {"post": {"operationId": "ingest", "responses": {"200": {"description": "stored"}}}}
        },
    }
    document.update(overrides)
    return document


def baseline() -> list[PlannedResource]:
    """Every GCP resource type the controls read, each meeting every control."""
    bucket_inputs = {
        "location": "EUROPE-WEST1",
        "uniformBucketLevelAccess": True,
        "publicAccessPrevention": "enforced",
        "versioning": {"enabled": True},
        "softDeletePolicy": {"retentionDurationSeconds": 604800},
        "encryption": {"defaultKmsKeyName": KEY_ID},
        "logging": {"logBucket": "acme-logs-7c8d"},
        "lifecycleRules": [
            {
                "action": {"type": "Delete"},
                "condition": {"daysSinceNoncurrentTime": 7, "withState": "ARCHIVED"},
            },
            {"action": {"type": "AbortIncompleteMultipartUpload"}, "condition": {"age": 1}},
            {"action": {"type": "Delete"}, "condition": {"age": 30, "withState": "LIVE"}},
        ],
    }
    log_bucket_inputs = {
        **bucket_inputs,
        "versioning": {"enabled": False},
        "logging": None,
        "retentionPolicy": {"retentionPeriod": 2592000, "isLocked": True},
    }
    log_bucket_inputs.pop("logging")
    return [
        make(
            "gcp:storage/bucket:Bucket",
            "landing",
            bucket_inputs,
            {"id": "acme-landing-1a2b", "name": "acme-landing-1a2b"},
        ),
        make(
            "gcp:storage/bucket:Bucket",
            "access-logs",
            log_bucket_inputs,
            {"id": "acme-logs-7c8d", "name": "acme-logs-7c8d"},
        ),
        make(
            "gcp:storage/bucketIAMMember:BucketIAMMember",
            "retail-eu-writer-objects",
            {
                "bucket": "acme-landing-1a2b",
                "role": "roles/storage.objectCreator",
                "member": f"serviceAccount:{WRITER}",
            },
        ),
        make(
            "gcp:projects/iAMAuditConfig:IAMAuditConfig",
            "storage-audit",
            {
                "project": PROJECT,
                "service": "storage.googleapis.com",
                "auditLogConfigs": [{"logType": t} for t in ("ADMIN_READ", "DATA_READ", "DATA_WRITE")],
            },
        ),
        make(
            "gcp:projects/iAMMember:IAMMember",
            "runtime-logging",
            {"project": PROJECT, "role": "roles/logging.logWriter", "member": f"serviceAccount:{RUNTIME}"},
        ),
        make(
            "gcp:serviceaccount/account:Account",
            "retail-eu-writer",
            {"accountId": "acme-gcs-retail-eu", "project": PROJECT},
            {"id": f"projects/{PROJECT}/serviceAccounts/{WRITER}", "email": WRITER},
        ),
        make(
            "gcp:storage/hmacKey:HmacKey",
            "retail-eu-hmac",
            {"serviceAccountEmail": WRITER, "state": "ACTIVE"},
        ),
        make(
            "gcp:secretmanager/secretVersion:SecretVersion",
            "retail-eu-hmac-secret-value",
            {"secret": "s", "secretData": "x"},
        ),
        make(
            "gcp:kms/cryptoKey:CryptoKey",
            "data-key",
            {
                "keyRing": "projects/acme-aep-dev/locations/europe-west1/keyRings/acme",
                "rotationPeriod": "7776000s",
            },
            {"id": KEY_ID, "name": "data"},
        ),
        make(
            "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
            "storage-agent-key",
            {"cryptoKeyId": KEY_ID, "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter", "member": AGENT},
        ),
        make(
            "gcp:cloudrunv2/service:Service",
            "intake",
            {
                "location": "europe-west1",
                "ingress": "INGRESS_TRAFFIC_ALL",
                "template": {
                    "serviceAccount": RUNTIME,
                    "encryptionKey": KEY_ID,
                    "containers": [
                        {
                            "image": "europe-west1-docker.pkg.dev/acme/intake:1",
                            "envs": [
                                {"name": "SINK_BUCKET", "value": "acme-landing-1a2b"},
                                {
                                    "name": "TOKEN_KEY",
                                    "valueSource": {
                                        "secretKeyRef": {"secret": "token-key", "version": "latest"}
                                    },
                                },
                            ],
                        }
                    ],
                },
            },
            {"id": f"projects/{PROJECT}/locations/europe-west1/services/acme-intake", "name": "acme-intake"},
        ),
        make(
            "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
            "intake-invoker",
            {
                "name": "acme-intake",
                "location": "europe-west1",
                "role": "roles/run.invoker",
                "member": f"serviceAccount:{GATEWAY}",
            },
        ),
        make(
            "gcp:cloudfunctionsv2/function:Function",
            "token",
            {
                "location": "europe-west1",
                "kmsKeyName": KEY_ID,
                "serviceConfig": {
                    "serviceAccountEmail": RUNTIME,
                    "ingressSettings": "ALLOW_INTERNAL_AND_GCLB",
                    "environmentVariables": {"ISSUER": "https://issuer.example.com"},
                    "secretEnvironmentVariables": [
                        {"key": "SIGNING_KEY", "secret": "signing", "version": "latest"}
                    ],
                },
            },
        ),
        make(
            "gcp:apigateway/apiConfig:ApiConfig",
            "gateway-config",
            {
                "api": "acme-intake",
                "openapiDocuments": [
                    {"document": {"path": "openapi.yaml", "contents": openapi(gateway_document())}}
                ],
                "gatewayConfig": {"backendConfig": {"googleServiceAccount": GATEWAY}},
            },
        ),
    ]


BASE = baseline()
PUBLIC_BINDING = {"role": "roles/storage.objectViewer", "members": ["allAuthenticatedUsers"]}
FIRST_GEN = make(
    "gcp:cloudfunctions/function:Function",
    "legacy",
    {
        "runtime": "python312",
        "triggerHttp": True,
        "httpsTriggerSecurityLevel": "SECURE_ALWAYS",
        "serviceAccountEmail": RUNTIME,
    },
)
PUBLIC_INVOKER = make(
    "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
    "intake-public",
    {"name": "acme-intake", "location": "europe-west1", "role": "roles/run.invoker", "member": "allUsers"},
)


def _config(document: dict) -> list[PlannedResource]:
    return changed(
        BASE,
        "gateway-config",
        openapiDocuments=[{"document": {"path": "openapi.yaml", "contents": openapi(document)}}],
    )


PASSING = [Case("fn-https-only", plus(BASE, FIRST_GEN), None, "first-gen")]

VIOLATIONS = [
    Case(
        "gcs-ubla",
        changed(BASE, "landing", uniformBucketLevelAccess=False),
        "uniformBucketLevelAccess is not true",
    ),
    Case(
        "gcs-pap-enforced",
        changed(BASE, "landing", publicAccessPrevention="inherited"),
        "'inherited', not 'enforced'",
    ),
    Case(
        "gcs-no-public-iam",
        plus(
            BASE,
            make(
                "gcp:storage/bucketIAMBinding:BucketIAMBinding",
                "public",
                {
                    "bucket": "acme-landing-1a2b",
                    "role": "roles/storage.objectViewer",
                    "members": ["allUsers"],
                },
            ),
        ),
        "granted to allUsers",
    ),
    Case(
        "gcs-no-public-iam",
        plus(
            BASE,
            make(
                "gcp:storage/bucketIAMPolicy:BucketIAMPolicy",
                "public-policy",
                {
                    "bucket": "acme-landing-1a2b",
                    "policyData": json.dumps({"bindings": [PUBLIC_BINDING]}),
                },
            ),
        ),
        "granted to allAuthenticatedUsers",
        "policy",
    ),
    Case("gcs-cmek", changed(BASE, "landing", encryption=None), "defaultKmsKeyName is not set"),
    Case(
        "gcs-cmek",
        without(BASE, "storage-agent-key"),
        "service agent has no cryptoKeyEncrypterDecrypter",
        "agent",
    ),
    Case(
        "gcs-soft-delete",
        changed(BASE, "landing", softDeletePolicy={"retentionDurationSeconds": 0}),
        "is 0, below 604800",
    ),
    Case(
        "gcs-versioning",
        changed(BASE, "landing", versioning={"enabled": False}),
        "versioning.enabled is not true",
    ),
    Case(
        "gcs-retention-lock",
        changed(BASE, "access-logs", retentionPolicy={"retentionPeriod": 2592000}),
        "isLocked is not true",
    ),
    Case("gcs-audit-logging", without(BASE, "storage-audit"), "ADMIN_READ, DATA_READ, DATA_WRITE"),
    Case(
        "gcs-audit-logging",
        changed(BASE, "landing", logging={"logBucket": "acme-landing-1a2b"}),
        "logs to itself",
        "self",
    ),
    Case(
        "gcs-lifecycle",
        changed(BASE, "landing", lifecycleRules=[{"action": {"type": "Delete"}, "condition": {"age": 30}}]),
        "aborts incomplete",
    ),
    Case("gcs-location", changed(BASE, "landing", location=None), "location is not set"),
    Case(
        "writer-sa-least-privilege",
        changed(BASE, "retail-eu-writer-objects", role="roles/storage.admin"),
        "holds roles/storage.admin on the bucket",
    ),
    Case(
        "writer-sa-least-privilege",
        changed(BASE, "runtime-logging", role="roles/editor"),
        "basic role roles/editor",
        "basic",
    ),
    Case(
        "writer-sa-least-privilege",
        changed(
            BASE,
            "runtime-logging",
            role="roles/iam.serviceAccountTokenCreator",
            member="user:dev@example.com",
        ),
        "may impersonate",
        "impersonation",
    ),
    Case(
        "gcs-hmac-key-hygiene",
        changed(BASE, "retail-eu-hmac", serviceAccountEmail="dev@example.com"),
        "is not a service account",
    ),
    Case(
        "gcs-hmac-key-hygiene",
        plus(
            BASE,
            make("gcp:storage/hmacKey:HmacKey", "retail-eu-hmac-2", {"serviceAccountEmail": WRITER}),
            make("gcp:storage/hmacKey:HmacKey", "retail-eu-hmac-3", {"serviceAccountEmail": WRITER}),
        ),
        "3 HMAC keys are ACTIVE",
        "count",
    ),
    Case(
        "no-sa-json-keys",
        plus(BASE, make("gcp:serviceaccount/key:Key", "writer-json-key", {"serviceAccountId": WRITER})),
        "user-managed service-account key",
    ),
    Case("kms-rotation-90d", changed(BASE, "data-key", rotationPeriod="31536000s"), "'31536000s'"),
    Case("kms-rotation-90d", changed(BASE, "data-key", rotationPeriod=None), "None", "unset"),
    Case(
        "kms-not-public-protected",
        changed(BASE, "storage-agent-key", member="allUsers"),
        "granted to allUsers",
    ),
    Case(
        "kms-not-public-protected",
        plus(
            BASE,
            make(
                "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
                "agent-admin",
                {"cryptoKeyId": KEY_ID, "role": "roles/cloudkms.admin", "member": AGENT},
            ),
        ),
        "holds both cloudkms.admin",
        "separation",
    ),
    Case("run-no-public-invoker", plus(BASE, PUBLIC_INVOKER), "granted to allUsers"),
    Case(
        "run-no-public-invoker",
        changed(BASE, "intake", invokerIamDisabled=True),
        "invokerIamDisabled is true",
        "iam-off",
    ),
    Case("run-ingress", without(BASE, "gateway-config"), "without API Gateway in front"),
    Case("run-ingress", plus(BASE, PUBLIC_INVOKER), "with a public invoker", "public"),
    Case(
        "fn-https-only",
        plus(BASE, make("gcp:cloudfunctions/function:Function", "legacy", {"triggerHttp": True})),
        "httpsTriggerSecurityLevel is None",
    ),
    Case(
        "fn-dedicated-sa",
        changed(BASE, "token", serviceConfig={"ingressSettings": "ALLOW_INTERNAL_ONLY"}),
        "Compute Engine default account is used",
    ),
    Case(
        "fn-dedicated-sa",
        changed(
            BASE, "intake", template={"serviceAccount": "123456789-compute@developer.gserviceaccount.com"}
        ),
        "is the Compute Engine default",
        "default-sa",
    ),
    Case(
        "fn-secrets-secret-manager",
        changed(
            BASE,
            "token",
            serviceConfig={
                "serviceAccountEmail": RUNTIME,
                "environmentVariables": {"CLIENT_SECRET": "abcdefghijklmnop"},
            },
        ),
        "CLIENT_SECRET hold literal secrets",
    ),
    Case(
        "fn-secrets-secret-manager",
        changed(
            BASE,
            "intake",
            template={
                "serviceAccount": RUNTIME,
                "containers": [
                    {"image": "i", "envs": [{"name": "API_TOKEN", "value": "tok-1234567890abcdef"}]}
                ],
            },
        ),
        "API_TOKEN hold literal secrets",
        "run",
    ),
    Case("fn-cmek-egress", changed(BASE, "token", kmsKeyName=None), "no customer-managed key"),
    Case(
        "apigw-jwt-every-path",
        _config(gateway_document(security=[{"api_key": []}])),
        "POST /ingest does not require a JWT",
    ),
    Case(
        "apigw-jwt-every-path",
        _config(gateway_document(securityDefinitions={})),
        "no securityDefinition",
        "no-scheme",
    ),
    Case(
        "apigw-jwt-every-path",
        changed(
            BASE,
            "gateway-config",
            openapiDocuments=[{"document": {"path": "openapi.yaml", "contents": "bm90IHlhbWw6IFs="}}],
        ),
        "no readable OpenAPI document",
        "unreadable",
    ),
    Case(
        "apigw-backend-auth",
        _config(gateway_document(**{"x-google-backend": {"address": "http://10.0.0.1"}})),
        "backend is not https",
    ),
    Case(
        "apigw-backend-auth",
        changed(BASE, "gateway-config", gatewayConfig=None),
        "googleServiceAccount is not set",
        "account",
    ),
]
