"""GCP controls G16-G24: Cloud Run, Cloud Functions and API Gateway."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import yaml

from destkit.plan.model import PlannedResource
from destkit.policy.core import (
    Stack,
    as_list,
    control,
    get,
    mapping,
    not_applicable_control,
    require,
    secret_looking,
)
from destkit.policy.gcp.common import public_grants
from destkit.policy.gcp.tokens import (
    API_CONFIG,
    CLOUD,
    FUNCTION_IAM_BINDING,
    FUNCTION_IAM_MEMBER,
    FUNCTION_V1,
    FUNCTION_V2,
    RUN_IAM_BINDING,
    RUN_IAM_MEMBER,
    RUN_SERVICE,
    SERVERLESS,
)

# --- Cloud Functions and Cloud Run ------------------------------------------------------------


@control(
    "G16",
    "run-no-public-invoker",
    cloud=CLOUD,
    types=[FUNCTION_IAM_MEMBER, FUNCTION_IAM_BINDING, RUN_IAM_MEMBER, RUN_IAM_BINDING, RUN_SERVICE],
    sources="CKV_GCP_107; CKV_GCP_102",
    summary="No function or service grant names allUsers or allAuthenticatedUsers, and Cloud Run services "
    "keep IAM invoker checks on.",
    remediation="Grant roles/run.invoker only to the API Gateway's service account and leave "
    "invoker_iam_disabled unset.",
)
def run_no_public_invoker(resource: PlannedResource, stack: Stack) -> list[str]:
    if resource.type == RUN_SERVICE:
        return ["invokerIamDisabled is true"] if resource.inputs.get("invokerIamDisabled") is True else []
    return public_grants(resource)


def _ingress(resource: PlannedResource) -> str:
    if resource.type == FUNCTION_V2:
        return str(get(resource.inputs, "serviceConfig.ingressSettings", "ALLOW_ALL"))
    return str(resource.inputs.get("ingress", "INGRESS_TRAFFIC_ALL"))


def _has_public_invoker(service: PlannedResource, stack: Stack) -> bool:
    grants = stack.referencing(
        service,
        [FUNCTION_IAM_MEMBER, FUNCTION_IAM_BINDING, RUN_IAM_MEMBER, RUN_IAM_BINDING],
        ["name", "cloudFunction"],
    )
    return any(public_grants(g) for g in grants)


@control(
    "G17",
    "run-ingress",
    cloud=CLOUD,
    types=SERVERLESS,
    cross_resource=True,
    sources="CKV_GCP_124; OrgPol cloudfunctions.allowedIngressSettings, run.allowedIngress",
    summary="Ingress is internal or internal-and-load-balancer; ALL is accepted only behind API Gateway "
    "when no public invoker is granted.",
    remediation="Set ingress to internal-and-GCLB, or keep ALLOW_ALL only behind API Gateway with the "
    "gateway's service account as the only invoker.",
)
def run_ingress(service: PlannedResource, stack: Stack) -> list[str]:
    ingress = _ingress(service)
    if "INTERNAL" in ingress:
        return []
    if stack.of_type(API_CONFIG) and not _has_public_invoker(service, stack):
        return []
    return [f"ingress is {ingress} without API Gateway in front, or with a public invoker"]


@control(
    "G18",
    "fn-https-only",
    cloud=CLOUD,
    types=[FUNCTION_V1],
    selector=lambda function, stack: function.inputs.get("triggerHttp") is True,
    scope="1st-gen gcp:cloudfunctions/function:Function with an HTTP trigger (2nd gen and Cloud Run are "
    "HTTPS only)",
    sources="CKV2_GCP_10",
    summary="1st-gen HTTP functions accept HTTPS only.",
    remediation="Set https_trigger_security_level='SECURE_ALWAYS'.",
)
def fn_https_only(function: PlannedResource, stack: Stack) -> list[str]:
    level = function.inputs.get("httpsTriggerSecurityLevel")
    return [] if level == "SECURE_ALWAYS" else [f"httpsTriggerSecurityLevel is {level!r}"]


def _runtime_service_account(resource: PlannedResource) -> str:
    if resource.type == FUNCTION_V2:
        return str(get(resource.inputs, "serviceConfig.serviceAccountEmail", ""))
    return str(get(resource.inputs, "template.serviceAccount", ""))


@control(
    "G19",
    "fn-dedicated-sa",
    cloud=CLOUD,
    types=SERVERLESS,
    sources="CKV_GCP_46; Google guidance on serverless identity; CIS GCP 4.0 4.1",
    summary="Functions and services run as a dedicated service account, never the Compute Engine default.",
    remediation="Set service_config.service_account_email (or template.service_account) to the kit's "
    "runtime service account.",
)
def fn_dedicated_sa(resource: PlannedResource, stack: Stack) -> list[str]:
    account = _runtime_service_account(resource)
    if not account:
        return ["no service account is set, so the Compute Engine default account is used"]
    if account.endswith("-compute@developer.gserviceaccount.com"):
        return [f"{account} is the Compute Engine default service account"]
    return []


def _plain_env(resource: PlannedResource) -> dict[str, Any]:
    if resource.type == FUNCTION_V2:
        variables = get(resource.inputs, "serviceConfig.environmentVariables", {})
        return dict(variables) if isinstance(variables, dict) else {}
    found: dict[str, Any] = {}
    for container in as_list(get(resource.inputs, "template.containers", [])):
        for env in as_list(get(container, "envs", [])):
            if isinstance(env, dict) and "value" in env:
                found[str(env.get("name"))] = env.get("value")
    return found


@control(
    "G20",
    "fn-secrets-secret-manager",
    cloud=CLOUD,
    types=SERVERLESS,
    sources="CIS GCP 4.0 1.17",
    summary="No plain environment variable holds a secret; secrets come from Secret Manager references.",
    remediation="Use service_config.secret_environment_variables (or envs.value_source.secret_key_ref).",
)
def fn_secrets_secret_manager(resource: PlannedResource, stack: Stack) -> list[str]:
    leaked = sorted(name for name, value in _plain_env(resource).items() if secret_looking(name, value))
    return [f"environment variables {', '.join(leaked)} hold literal secrets"] if leaked else []


@control(
    "G21",
    "fn-cmek-egress",
    cloud=CLOUD,
    types=SERVERLESS,
    advisory=True,
    sources="OrgPol gcp.restrictNonCmekServices, cloudfunctions.requireVPCConnector",
    summary="Source and images are encrypted with a customer-managed key.",
    remediation="Set kms_key_name on the function or template.encryption_key on the service.",
)
def fn_cmek_egress(resource: PlannedResource, stack: Stack) -> list[str]:
    key = resource.inputs.get("kmsKeyName") or get(resource.inputs, "template.encryptionKey")
    return [] if key else ["no customer-managed key is set"]


# --- API Gateway -------------------------------------------------------------------------------

_HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


# PyYAML's libyaml-based loader, when PyYAML was built with it, is faster than the pure-Python one.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse_document(text: str) -> Any:
    """Parse an OpenAPI document written as JSON or YAML; None when it is neither."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 (a safe loader)
    except yaml.YAMLError:
        return None


def openapi_documents(config: PlannedResource) -> list[dict[str, Any]]:
    """Return the parsed OpenAPI documents of an API config (contents are base64 on the wire)."""
    documents = []
    for entry in as_list(config.inputs.get("openapiDocuments")):
        contents = get(entry, "document.contents")
        if not isinstance(contents, str):
            continue
        try:
            text = base64.b64decode(contents, validate=True).decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            text = contents
        parsed = _parse_document(text)
        if isinstance(parsed, dict):
            documents.append(parsed)
    return documents


def _operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path, item in mapping(document.get("paths")).items():
        if not isinstance(item, dict):
            continue
        for method, operation in item.items():
            if method.lower() in _HTTP_METHODS and isinstance(operation, dict):
                found.append((f"{method.upper()} {path}", operation))
    return found


@control(
    "G22",
    "apigw-jwt-every-path",
    cloud=CLOUD,
    types=[API_CONFIG],
    sources="Kit rule (no scanner covers API Gateway configs); CIS GCP 4.0 1.12-1.15",
    summary="The OpenAPI document declares a JWT scheme (x-google-issuer, x-google-jwks_uri, "
    "x-google-audiences) and every operation requires it; an API key alone never suffices. Bearer and "
    "Basic credentials checked by the backend carry a recorded exception.",
    remediation="Add an oauth2 securityDefinition with x-google-issuer, x-google-jwks_uri and "
    "x-google-audiences, and a top-level security requirement naming it.",
)
def apigw_jwt_every_path(config: PlannedResource, stack: Stack) -> list[str]:
    documents = openapi_documents(config)
    if not documents:
        return ["openapiDocuments holds no readable OpenAPI document"]
    problems: list[str] = []
    for document in documents:
        definitions = mapping(document.get("securityDefinitions"))
        jwt_schemes = {
            name
            for name, scheme in definitions.items()
            if isinstance(scheme, dict)
            and all(scheme.get(k) for k in ("x-google-issuer", "x-google-jwks_uri"))
        }
        require(
            bool(jwt_schemes),
            "no securityDefinition declares x-google-issuer and x-google-jwks_uri",
            problems,
        )
        for name in jwt_schemes:
            require(
                bool(definitions[name].get("x-google-audiences")),
                f"the scheme {name} has no x-google-audiences",
                problems,
            )
        top_level = as_list(document.get("security"))
        for label, operation in _operations(document):
            requirements = as_list(operation.get("security", top_level))
            covered = any(isinstance(r, dict) and set(r) & jwt_schemes for r in requirements)
            require(covered, f"{label} does not require a JWT", problems)
    return problems


@control(
    "G23",
    "apigw-backend-auth",
    cloud=CLOUD,
    types=[API_CONFIG],
    sources="Kit rule; ties into G16 and G19",
    summary="Every operation has an https x-google-backend with a jwt_audience, and the gateway calls the "
    "backend as a dedicated service account.",
    remediation="Set x-google-backend.address (https) and jwt_audience, and "
    "gateway_config.backend_config.google_service_account.",
)
def apigw_backend_auth(config: PlannedResource, stack: Stack) -> list[str]:
    problems: list[str] = []
    account = get(config.inputs, "gatewayConfig.backendConfig.googleServiceAccount")
    require(bool(account), "gatewayConfig.backendConfig.googleServiceAccount is not set", problems)
    for document in openapi_documents(config):
        default_backend = document.get("x-google-backend")
        for label, operation in _operations(document):
            backend = operation.get("x-google-backend", default_backend)
            if not isinstance(backend, dict):
                problems.append(f"{label} has no x-google-backend")
                continue
            require(
                str(backend.get("address", "")).startswith("https://"),
                f"{label} backend is not https",
                problems,
            )
            require(bool(backend.get("jwt_audience")), f"{label} backend has no jwt_audience", problems)
    return problems


not_applicable_control(
    "G24",
    "apigw-edge-protection",
    cloud=CLOUD,
    sources="Analogue of FSBP APIGateway.4",
    summary="Cloud Armor (rate limit, WAF rules, writer IP allowlist) on an external HTTPS load balancer.",
    reason="The kit fronts Cloud Run with API Gateway, which takes no Cloud Armor policy; an external HTTPS "
    "load balancer with a serverless NEG is the alternative.",
)
