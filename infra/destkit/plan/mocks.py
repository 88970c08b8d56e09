"""Pulumi mocks that respond the way the clouds do, for the offline plan and the tests.

Every registered resource gets an id and the outputs a real deployment would report, shaped
as the cloud shapes them (ARNs, resource ids, URLs), so that wiring between resources can be
inspected. Fields the provider marks secret come back as plain values: the program itself must
mark them secret, and the tests prove it does. An invoke this module does not know raises, so an
unmocked data-source call fails loudly instead of returning nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pulumi
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs

AWS_ACCOUNT_ID = "123456789012"
AZURE_SUBSCRIPTION_ID = "00000000-0000-4000-8000-000000000001"
AZURE_TENANT_ID = "00000000-0000-4000-8000-000000000002"
GCP_PROJECT = "destkit-plan-project"
GCP_PROJECT_NUMBER = "123456789012"

# Output fields each provider marks secret. With a sentinel set, the mocks fill them with a
# recognisable value so a test can scan everything the plan prints for a leak.
PROVIDER_SECRET_FIELDS: dict[str, tuple[str, ...]] = {
    "random:index/randomPassword:RandomPassword": ("result", "bcryptHash"),
    "tls:index/privateKey:PrivateKey": ("privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8"),
    "aws:iam/accessKey:AccessKey": ("secret", "sesSmtpPasswordV4", "encryptedSecret"),
    "aws:cognito/userPoolClient:UserPoolClient": ("clientSecret",),
    "gcp:storage/hmacKey:HmacKey": ("secret",),
    "azuread:index/applicationPassword:ApplicationPassword": ("value",),
    "azuread:index/servicePrincipalPassword:ServicePrincipalPassword": ("value",),
}


def _digest(*parts: str, length: int = 12) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


class KitMocks(pulumi.runtime.Mocks):
    """Mocks that record every registration and invoke and return realistically shaped outputs."""

    def __init__(self, region: str = "us-east-1", secret_sentinel: str | None = None):
        self.region = region
        self.secret_sentinel = secret_sentinel
        self.registrations: list[MockResourceArgs] = []
        self.invokes: list[MockCallArgs] = []

    # -- resources -------------------------------------------------------------------------

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict]:
        self.registrations.append(args)
        inputs = dict(args.inputs)
        # Reads (stack references) arrive with custom unset, like components, but need outputs.
        if not args.custom and args.typ != STACK_REFERENCE_TYPE:
            return "", inputs
        resource_id, computed = self._computed_outputs(args.typ, args.name, inputs)
        state = {**inputs, **computed}
        for field in PROVIDER_SECRET_FIELDS.get(args.typ, ()):
            state[field] = self._secret_value(args.name, field, state.get(field))
        return resource_id, state

    def _secret_value(self, name: str, field: str, current: Any) -> Any:
        if self.secret_sentinel is not None:
            return f"{self.secret_sentinel}-{name}-{field}"
        if current not in (None, ""):
            return current
        if field.startswith("privateKey"):
            return f"-----BEGIN PRIVATE KEY-----\nplan-{_digest(name, field, length=32)}\n-----END PRIVATE KEY-----\n"
        return f"plan-{_digest(name, field, length=32)}"

    def _computed_outputs(self, typ: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        package = typ.split(":", 1)[0]
        builder = _TYPE_OUTPUTS.get(typ)
        if builder is not None:
            return builder(self, name, inputs)
        if package == "aws":
            return _aws_generic(self, typ, name, inputs)
        if package == "azure-native":
            return _azure_generic(typ, name, inputs)
        if package == "gcp":
            return _gcp_generic(typ, name, inputs)
        return f"{name}-{_digest(typ, name, length=8)}", {}

    # -- invokes ---------------------------------------------------------------------------

    def call(self, args: MockCallArgs) -> tuple[dict, list[tuple[str, str]] | None]:
        self.invokes.append(args)
        handler = _INVOKES.get(args.token)
        if handler is None:
            raise NotImplementedError(
                f"the offline plan has no mock for the invoke {args.token!r}; add one to "
                "destkit.plan.mocks._INVOKES or avoid the data-source call"
            )
        # Pulumi's mock monitor iterates the failures, so no failures is an empty list, not None.
        return handler(self, args.args), []


class RecordingMonitor(MockMonitor):
    """Mock monitor that also records each registration's URN and parent URN."""

    def __init__(self, mocks: KitMocks):
        super().__init__(mocks)
        self.parents: dict[str, str] = {}
        self.order: list[str] = []

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.parents[response.urn] = request.parent
            self.order.append(response.urn)
        return response


# -- AWS shapes --------------------------------------------------------------------------------

_AWS_GLOBAL_SERVICES = {"iam", "s3", "cloudfront", "route53", "wafv2-global"}


def _physical_name(name: str, inputs: dict[str, Any], *keys: str) -> str:
    for key in keys:
        value = inputs.get(key)
        if isinstance(value, str) and value:
            return value
    # Pulumi auto-naming appends a hyphen and seven random characters.
    return f"{name}-{_digest(name, length=7)}"


def _aws_arn(mocks: KitMocks, service: str, resource: str) -> str:
    region = "" if service in _AWS_GLOBAL_SERVICES else mocks.region
    account = "" if service == "s3" else AWS_ACCOUNT_ID
    return f"arn:aws:{service}:{region}:{account}:{resource}"


def _aws_generic(mocks: KitMocks, typ: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    module = typ.split(":")[1].split("/")[0]
    service = {"lambda": "lambda", "cloudwatch": "logs", "apigateway": "apigateway"}.get(module, module)
    physical = _physical_name(name, inputs, "name")
    return physical, {
        "arn": _aws_arn(mocks, service, f"{typ.split(':')[-1].lower()}/{physical}"),
        "tagsAll": inputs.get("tags") or {},
    }


def _aws_bucket(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    bucket = _physical_name(name, inputs, "bucket")
    return bucket, {
        "bucket": bucket,
        "arn": f"arn:aws:s3:::{bucket}",
        "bucketDomainName": f"{bucket}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{bucket}.s3.{mocks.region}.amazonaws.com",
        "region": mocks.region,
        "tagsAll": inputs.get("tags") or {},
    }


def _aws_kms_key(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    key_id = _uuid(name)
    return key_id, {"keyId": key_id, "arn": _aws_arn(mocks, "kms", f"key/{key_id}")}


def _aws_iam(kind: str) -> Callable[[KitMocks, str, dict[str, Any]], tuple[str, dict[str, Any]]]:
    def build(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        physical = _physical_name(name, inputs, "name")
        path = inputs.get("path") or "/"
        outputs: dict[str, Any] = {"name": physical, "arn": _aws_arn(mocks, "iam", f"{kind}{path}{physical}")}
        if kind == "role":
            outputs["uniqueId"] = "AROA" + _digest(name, length=16).upper()
        if kind == "user":
            outputs["uniqueId"] = "AIDA" + _digest(name, length=16).upper()
        return physical, outputs

    return build


def _aws_access_key(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    key_id = "AKIA" + _digest(name, length=16).upper()
    return key_id, {"status": inputs.get("status") or "Active"}


def _aws_lambda(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    function_name = _physical_name(name, inputs, "name")
    arn = _aws_arn(mocks, "lambda", f"function:{function_name}")
    return function_name, {
        "arn": arn,
        "name": function_name,
        "qualifiedArn": f"{arn}:$LATEST",
        "invokeArn": f"arn:aws:apigateway:{mocks.region}:lambda:path/2015-03-31/functions/{arn}/invocations",
        "version": "$LATEST",
    }


def _aws_layer(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    layer = _physical_name(name, inputs, "layerName")
    arn = _aws_arn(mocks, "lambda", f"layer:{layer}")
    return f"{arn}:1", {"arn": f"{arn}:1", "layerArn": arn, "version": "1"}


def _aws_rest_api(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    api_id = _digest(name, length=10)
    return api_id, {
        "rootResourceId": _digest(name, "root", length=10),
        "executionArn": f"arn:aws:execute-api:{mocks.region}:{AWS_ACCOUNT_ID}:{api_id}",
        "arn": f"arn:aws:apigateway:{mocks.region}::/restapis/{api_id}",
        "name": _physical_name(name, inputs, "name"),
    }


def _aws_http_api(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    api_id = _digest(name, length=10)
    return api_id, {
        "apiEndpoint": f"https://{api_id}.execute-api.{mocks.region}.amazonaws.com",
        "executionArn": f"arn:aws:execute-api:{mocks.region}:{AWS_ACCOUNT_ID}:{api_id}",
        "arn": f"arn:aws:apigateway:{mocks.region}::/apis/{api_id}",
    }


def _aws_stage(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    api_id = inputs.get("restApi") or inputs.get("apiId") or _digest(name, length=10)
    stage = inputs.get("stageName") or inputs.get("name") or "$default"
    path = "restapis" if "restApi" in inputs else "apis"
    suffix = "" if stage == "$default" else f"/{stage}"
    return f"ags-{api_id}-{stage}", {
        "arn": f"arn:aws:apigateway:{mocks.region}::/{path}/{api_id}/stages/{stage}",
        "invokeUrl": f"https://{api_id}.execute-api.{mocks.region}.amazonaws.com{suffix}",
        "executionArn": f"arn:aws:execute-api:{mocks.region}:{AWS_ACCOUNT_ID}:{api_id}/{stage}",
    }


def _aws_resource_id(prefix: str) -> Callable[[KitMocks, str, dict[str, Any]], tuple[str, dict[str, Any]]]:
    def build(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return f"{prefix}{_digest(name, length=10)}", {}

    return build


def _aws_authorizer(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    authorizer_id = _digest(name, length=6)
    api_id = inputs.get("restApi") or inputs.get("apiId")
    return authorizer_id, {
        "arn": f"arn:aws:apigateway:{mocks.region}::/restapis/{api_id}/authorizers/{authorizer_id}"
    }


def _aws_domain_name(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    domain = inputs.get("domainName") or f"{name}.example.com"
    return domain, {
        "regionalDomainName": f"d-{_digest(name, length=10)}.execute-api.{mocks.region}.amazonaws.com",
        "regionalZoneId": "Z1UJRXOUMOOFQ8",
        "arn": f"arn:aws:apigateway:{mocks.region}::/domainnames/{domain}",
        "domainNameConfiguration": inputs.get("domainNameConfiguration"),
    }


def _aws_certificate(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    arn = _aws_arn(mocks, "acm", f"certificate/{_uuid(name)}")
    domain = inputs.get("domainName") or f"{name}.example.com"
    return arn, {
        "arn": arn,
        "domainValidationOptions": [
            {
                "domainName": domain,
                "resourceRecordName": f"_{_digest(name, length=32)}.{domain}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{_digest(name, 'v', length=32)}.acm-validations.aws.",
            }
        ],
    }


def _aws_user_pool(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    pool_id = f"{mocks.region}_{_digest(name, length=9)}"
    return pool_id, {
        "arn": _aws_arn(mocks, "cognito-idp", f"userpool/{pool_id}"),
        "endpoint": f"cognito-idp.{mocks.region}.amazonaws.com/{pool_id}",
        "name": inputs.get("name") or name,
    }


def _aws_user_pool_client(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return _digest(name, length=26), {}


def _aws_user_pool_domain(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    domain = inputs.get("domain") or name
    return domain, {"cloudfrontDistribution": f"{_digest(name, length=14)}.cloudfront.net"}


def _aws_secret(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    secret_name = _physical_name(name, inputs, "name")
    arn = _aws_arn(mocks, "secretsmanager", f"secret:{secret_name}-{_digest(name, length=6)}")
    return arn, {"arn": arn, "name": secret_name}


def _aws_log_group(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    group = _physical_name(name, inputs, "name")
    return group, {"arn": _aws_arn(mocks, "logs", f"log-group:{group}"), "name": group}


def _aws_transfer_server(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    server_id = "s-" + _digest(name, length=17)
    return server_id, {
        "arn": _aws_arn(mocks, "transfer", f"server/{server_id}"),
        "endpoint": f"{server_id}.server.transfer.{mocks.region}.amazonaws.com",
        "hostKeyFingerprint": "SHA256:" + _digest(name, "host", length=43),
    }


def _aws_eip(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    # 203.0.113.0/24 is TEST-NET-3 (RFC 5737): documentation addresses that route nowhere.
    host = int(_digest(name, length=2), 16) % 254 + 1
    allocation = "eipalloc-" + _digest(name, length=17)
    return allocation, {"allocationId": allocation, "publicIp": f"203.0.113.{host}"}


def _aws_web_acl(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    acl_id = _uuid(name)
    acl_name = inputs.get("name") or name
    return acl_id, {"arn": _aws_arn(mocks, "wafv2", f"regional/webacl/{acl_name}/{acl_id}"), "capacity": 100}


def _uuid(seed: str) -> str:
    digest = _digest(seed, length=32)
    return f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-8{digest[17:20]}-{digest[20:32]}"


# -- Azure and GCP shapes (generic; per-type shapes are added with each cloud) --------------------


def _azure_generic(typ: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    module, kind = typ.split(":")[1], typ.split(":")[2]
    group = inputs.get("resourceGroupName") or "destkit-plan-rg"
    physical = _physical_name(name, inputs, "name", "accountName", "vaultName", "serviceName")
    resource_id = (
        f"/subscriptions/{AZURE_SUBSCRIPTION_ID}/resourceGroups/{group}/providers/"
        f"Microsoft.{module.capitalize()}/{kind[0].lower() + kind[1:]}s/{physical}"
    )
    return resource_id, {"name": physical, "id": resource_id}


def _gcp_generic(typ: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    module = typ.split(":")[1].split("/")[0]
    physical = _physical_name(name, inputs, "name", "accountId")
    project = inputs.get("project") or GCP_PROJECT
    resource_id = f"projects/{project}/{module}/{physical}"
    return resource_id, {
        "name": physical,
        "project": project,
        "selfLink": f"https://plan.invalid/{resource_id}",
    }


_TYPE_OUTPUTS: dict[str, Callable[[KitMocks, str, dict[str, Any]], tuple[str, dict[str, Any]]]] = {
    "aws:s3/bucket:Bucket": _aws_bucket,
    "aws:kms/key:Key": _aws_kms_key,
    "aws:iam/role:Role": _aws_iam("role"),
    "aws:iam/user:User": _aws_iam("user"),
    "aws:iam/group:Group": _aws_iam("group"),
    "aws:iam/policy:Policy": _aws_iam("policy"),
    "aws:iam/accessKey:AccessKey": _aws_access_key,
    "aws:lambda/function:Function": _aws_lambda,
    "aws:lambda/layerVersion:LayerVersion": _aws_layer,
    "aws:apigateway/restApi:RestApi": _aws_rest_api,
    "aws:apigateway/stage:Stage": _aws_stage,
    "aws:apigateway/deployment:Deployment": _aws_resource_id(""),
    "aws:apigateway/resource:Resource": _aws_resource_id(""),
    "aws:apigateway/authorizer:Authorizer": _aws_authorizer,
    "aws:apigateway/domainName:DomainName": _aws_domain_name,
    "aws:apigatewayv2/api:Api": _aws_http_api,
    "aws:apigatewayv2/stage:Stage": _aws_stage,
    "aws:apigatewayv2/authorizer:Authorizer": _aws_authorizer,
    "aws:acm/certificate:Certificate": _aws_certificate,
    "aws:cognito/userPool:UserPool": _aws_user_pool,
    "aws:cognito/userPoolClient:UserPoolClient": _aws_user_pool_client,
    "aws:cognito/userPoolDomain:UserPoolDomain": _aws_user_pool_domain,
    "aws:secretsmanager/secret:Secret": _aws_secret,
    "aws:cloudwatch/logGroup:LogGroup": _aws_log_group,
    "aws:transfer/server:Server": _aws_transfer_server,
    "aws:ec2/eip:Eip": _aws_eip,
    "aws:ec2/vpc:Vpc": _aws_resource_id("vpc-0"),
    "aws:ec2/subnet:Subnet": _aws_resource_id("subnet-0"),
    "aws:ec2/securityGroup:SecurityGroup": _aws_resource_id("sg-0"),
    "aws:ec2/internetGateway:InternetGateway": _aws_resource_id("igw-0"),
    "aws:ec2/routeTable:RouteTable": _aws_resource_id("rtb-0"),
    "aws:wafv2/webAcl:WebAcl": _aws_web_acl,
    "random:index/randomString:RandomString": lambda mocks, name, inputs: _random_string(name, inputs),
    "aws:apigatewayv2/domainName:DomainName": lambda mocks, name, inputs: _aws_http_domain_name(mocks, name, inputs),
}


def _aws_http_domain_name(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Return an HTTP API domain name whose configuration carries the computed alias target."""
    domain = inputs.get("domainName") or f"{name}.example.com"
    configuration = dict(inputs.get("domainNameConfiguration") or {})
    configuration["targetDomainName"] = f"d-{_digest(name, length=10)}.execute-api.{mocks.region}.amazonaws.com"
    configuration["hostedZoneId"] = "Z1UJRXOUMOOFQ8"
    return domain, {
        "arn": f"arn:aws:apigateway:{mocks.region}::/domainnames/{domain}",
        "domainNameConfiguration": configuration,
    }


def _random_string(name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Return a lowercase hex string of the requested length as RandomString's ``result``."""
    length = int(inputs.get("length") or 16)
    value = (_digest(name, "random", length=64) * (length // 64 + 1))[:length]
    return value, {"result": value}


# -- invokes ---------------------------------------------------------------------------------------


def _caller_identity(mocks: KitMocks, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "accountId": AWS_ACCOUNT_ID,
        "arn": f"arn:aws:iam::{AWS_ACCOUNT_ID}:user/destkit-plan",
        "userId": "AIDAPLANUSER000000000",
        "id": AWS_ACCOUNT_ID,
    }


def _region(mocks: KitMocks, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": mocks.region,
        "region": mocks.region,
        "id": mocks.region,
        "endpoint": f"ec2.{mocks.region}.amazonaws.com",
        "description": mocks.region,
    }


def _partition(mocks: KitMocks, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "partition": "aws",
        "dnsSuffix": "amazonaws.com",
        "reverseDnsPrefix": "com.amazonaws",
        "id": "aws",
    }


def _azure_client_config(mocks: KitMocks, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "clientId": "00000000-0000-4000-8000-000000000003",
        "objectId": "00000000-0000-4000-8000-000000000004",
        "subscriptionId": AZURE_SUBSCRIPTION_ID,
        "tenantId": AZURE_TENANT_ID,
    }


def _azure_storage_keys(mocks: KitMocks, args: dict[str, Any]) -> dict[str, Any]:
    account = args.get("accountName", "account")
    value = (
        f"{mocks.secret_sentinel}-{account}-key1"
        if mocks.secret_sentinel
        else f"plan-{_digest(account, length=40)}"
    )
    return {"keys": [{"keyName": "key1", "value": value, "permissions": "FULL"}]}


def _gcp_project(mocks: KitMocks, args: dict[str, Any]) -> dict[str, Any]:
    project = args.get("projectId") or GCP_PROJECT
    return {"projectId": project, "number": GCP_PROJECT_NUMBER, "name": project, "id": f"projects/{project}"}


def _gcp_client_config(mocks: KitMocks, args: dict[str, Any]) -> dict[str, Any]:
    return {"project": GCP_PROJECT, "region": "europe-west1", "zone": "europe-west1-b", "id": "plan"}


def _gcs_service_account(mocks: KitMocks, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "emailAddress": f"service-{GCP_PROJECT_NUMBER}@gs-project-accounts.iam.gserviceaccount.com",
        "member": f"serviceAccount:service-{GCP_PROJECT_NUMBER}@gs-project-accounts.iam.gserviceaccount.com",
        "id": "gcs-agent",
    }


_INVOKES: dict[str, Callable[[KitMocks, dict[str, Any]], dict[str, Any]]] = {
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
    "aws:index/getRegion:getRegion": _region,
    "aws:index/getPartition:getPartition": _partition,
    "azure-native:authorization:getClientConfig": _azure_client_config,
    "azuread:index/getClientConfig:getClientConfig": _azure_client_config,
    "azure-native:storage:listStorageAccountKeys": _azure_storage_keys,
    "gcp:organizations/getProject:getProject": _gcp_project,
    "gcp:organizations/getClientConfig:getClientConfig": _gcp_client_config,
    "gcp:storage/getProjectServiceAccount:getProjectServiceAccount": _gcs_service_account,
}


# -- GCP shapes (destkit.gcp components) -----------------------------------------------------------
# Each builder returns the outputs pulumi-gcp 10 reports for the type, named and formatted as
# GCP formats them, so wiring (service account emails, function URLs, gateway host) can be checked.


def _gcp_project_of(inputs: dict[str, Any]) -> str:
    project = inputs.get("project")
    return project if isinstance(project, str) and project else GCP_PROJECT


def _gcp_service_account(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    project = _gcp_project_of(inputs)
    email = f"{inputs.get('accountId') or name}@{project}.iam.gserviceaccount.com"
    resource_name = f"projects/{project}/serviceAccounts/{email}"
    return resource_name, {
        "email": email,
        "member": f"serviceAccount:{email}",
        "name": resource_name,
        "uniqueId": str(int(_digest(name, length=15), 16)).rjust(21, "1")[:21],
    }


def _gcp_bucket(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    bucket = _physical_name(name, inputs, "name")
    return bucket, {"name": bucket, "url": f"gs://{bucket}", "selfLink": f"https://plan.invalid/b/{bucket}"}


def _gcp_hmac_key(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    # HMAC access ids are 61 characters: GOOG1E and 55 upper-case letters and digits.
    access_id = "GOOG1E" + (_digest(name, length=64) + _digest(name, "2", length=64)).upper()[:55]
    return access_id, {"accessId": access_id, "state": inputs.get("state") or "ACTIVE"}


def _gcp_function(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    project = _gcp_project_of(inputs)
    location = inputs.get("location") or mocks.region
    function = _physical_name(name, inputs, "name")
    service_config = dict(inputs.get("serviceConfig") or {})
    service_config.update(
        service=f"projects/{project}/locations/{location}/services/{function}",
        uri=f"https://{function}-{_digest(name, length=10)}-ew.a.run.app",
    )
    return f"projects/{project}/locations/{location}/functions/{function}", {
        "name": function,
        "url": f"https://{location}-{project}.cloudfunctions.net/{function}",
        "serviceConfig": service_config,
        "state": "ACTIVE",
    }


def _gcp_api(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    project = _gcp_project_of(inputs)
    api_id = _physical_name(name, inputs, "apiId")
    return f"projects/{project}/locations/global/apis/{api_id}", {
        "apiId": api_id,
        "name": f"projects/{project}/locations/global/apis/{api_id}",
        "managedService": f"{api_id}-{_digest(name, length=14)}.apigateway.{project}.cloud.goog",
    }


def _gcp_api_config(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    project = _gcp_project_of(inputs)
    config_id = (inputs.get("apiConfigIdPrefix") or f"{name}-") + _digest(name, length=8)
    resource_id = f"projects/{project}/locations/global/apis/{inputs.get('api')}/configs/{config_id}"
    return resource_id, {"apiConfigId": config_id, "name": resource_id}


def _gcp_gateway(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    project = _gcp_project_of(inputs)
    gateway_id = _physical_name(name, inputs, "gatewayId")
    region = inputs.get("region") or mocks.region
    return f"projects/{project}/locations/{region}/gateways/{gateway_id}", {
        "defaultHostname": f"{gateway_id}-{_digest(name, length=8)}.ew.gateway.dev",
        "name": f"projects/{project}/locations/{region}/gateways/{gateway_id}",
    }


def _gcp_address(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    # 203.0.113.0/24 is TEST-NET-3 (RFC 5737): documentation addresses that route nowhere.
    host = int(_digest(name, length=2), 16) % 254 + 1
    address = _physical_name(name, inputs, "name")
    project = _gcp_project_of(inputs)
    region = inputs.get("region") or mocks.region
    return f"projects/{project}/regions/{region}/addresses/{address}", {
        "address": f"203.0.113.{host}",
        "name": address,
    }


def _gcp_topic(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    topic = _physical_name(name, inputs, "name")
    return f"projects/{_gcp_project_of(inputs)}/topics/{topic}", {"name": topic}


def _gcp_key_ring(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    ring = _physical_name(name, inputs, "name")
    location = inputs.get("location") or mocks.region
    return f"projects/{_gcp_project_of(inputs)}/locations/{location}/keyRings/{ring}", {"name": ring}


def _gcp_crypto_key(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    key = _physical_name(name, inputs, "name")
    return f"{inputs.get('keyRing')}/cryptoKeys/{key}", {"name": key}


def _gcp_secret(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    secret_id = _physical_name(name, inputs, "secretId")
    return f"projects/{_gcp_project_of(inputs)}/secrets/{secret_id}", {
        "name": f"projects/{GCP_PROJECT_NUMBER}/secrets/{secret_id}",
        "secretId": secret_id,
    }


def _gcp_secret_version(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return f"{inputs.get('secret')}/versions/1", {"version": "1", "name": f"{inputs.get('secret')}/versions/1"}


def _random_id(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    length = int(inputs.get("byteLength") or 8)
    hex_value = _digest(name, "random-id", length=2 * length)
    return hex_value, {"hex": hex_value, "dec": str(int(hex_value, 16)), "b64Url": hex_value}


def _tls_private_key(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    # The public halves of a generated key; the bodies are placeholders, not real keys.
    algorithm = str(inputs.get("algorithm") or "RSA").lower()
    key_type = {"rsa": "ssh-rsa", "ed25519": "ssh-ed25519"}.get(algorithm, "ecdsa-sha2-nistp256")
    body = "AAAAB3NzaC1yc2EAAAADAQABAAABAQ" + _digest(name, "public", length=40)
    return _digest(name, length=40), {
        "publicKeyOpenssh": f"{key_type} {body}\n",
        "publicKeyPem": f"-----BEGIN PUBLIC KEY-----\nplan-{_digest(name, length=32)}\n-----END PUBLIC KEY-----\n",
        "publicKeyFingerprintSha256": "SHA256:" + _digest(name, "fingerprint", length=43),
    }


_TYPE_OUTPUTS.update(
    {
        "gcp:serviceaccount/account:Account": _gcp_service_account,
        "gcp:storage/bucket:Bucket": _gcp_bucket,
        "gcp:storage/hmacKey:HmacKey": _gcp_hmac_key,
        "gcp:cloudfunctionsv2/function:Function": _gcp_function,
        "gcp:apigateway/api:Api": _gcp_api,
        "gcp:apigateway/apiConfig:ApiConfig": _gcp_api_config,
        "gcp:apigateway/gateway:Gateway": _gcp_gateway,
        "gcp:compute/address:Address": _gcp_address,
        "gcp:pubsub/topic:Topic": _gcp_topic,
        "gcp:kms/keyRing:KeyRing": _gcp_key_ring,
        "gcp:kms/cryptoKey:CryptoKey": _gcp_crypto_key,
        "gcp:secretmanager/secret:Secret": _gcp_secret,
        "gcp:secretmanager/secretVersion:SecretVersion": _gcp_secret_version,
        "random:index/randomId:RandomId": _random_id,
        "tls:index/privateKey:PrivateKey": _tls_private_key,
    }
)
# Secret Manager reports the stored value back as secretData, which pulumi-gcp marks secret.
PROVIDER_SECRET_FIELDS["gcp:secretmanager/secretVersion:SecretVersion"] = ("secretData",)


# -- Azure shapes ------------------------------------------------------------------------------


def _azure_id(inputs: dict[str, Any], provider: str, kind: str, physical: str) -> str:
    group = inputs.get("resourceGroupName") or "destkit-plan-rg"
    return f"/subscriptions/{AZURE_SUBSCRIPTION_ID}/resourceGroups/{group}/providers/{provider}/{kind}/{physical}"


def _azure_resource_group(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    group = _physical_name(name, inputs, "resourceGroupName")
    resource_id = f"/subscriptions/{AZURE_SUBSCRIPTION_ID}/resourceGroups/{group}"
    return resource_id, {"name": group, "id": resource_id}


def _azure_storage_account(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    account = _physical_name(name, inputs, "accountName")
    resource_id = _azure_id(inputs, "Microsoft.Storage", "storageAccounts", account)
    return resource_id, {
        "name": account,
        "id": resource_id,
        "primaryEndpoints": {
            "blob": f"https://{account}.blob.core.windows.net/",
            "dfs": f"https://{account}.dfs.core.windows.net/",
            "queue": f"https://{account}.queue.core.windows.net/",
            "table": f"https://{account}.table.core.windows.net/",
            "file": f"https://{account}.file.core.windows.net/",
            "web": f"https://{account}.z6.web.core.windows.net/",
        },
    }


def _azure_vault(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    vault = _physical_name(name, inputs, "vaultName")
    resource_id = _azure_id(inputs, "Microsoft.KeyVault", "vaults", vault)
    properties = dict(inputs.get("properties") or {})
    properties["vaultUri"] = f"https://{vault}.vault.azure.net/"
    return resource_id, {"name": vault, "id": resource_id, "properties": properties}


def _azure_workspace(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    workspace = _physical_name(name, inputs, "workspaceName")
    resource_id = _azure_id(inputs, "Microsoft.OperationalInsights", "workspaces", workspace)
    return resource_id, {"name": workspace, "id": resource_id, "customerId": _uuid(name)}


def _azure_identity(name: str) -> dict[str, Any]:
    return {"type": "SystemAssigned", "principalId": _uuid(f"{name}/principal"), "tenantId": AZURE_TENANT_ID}


def _azure_apim(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    service = _physical_name(name, inputs, "serviceName")
    resource_id = _azure_id(inputs, "Microsoft.ApiManagement", "service", service)
    return resource_id, {
        "name": service,
        "id": resource_id,
        "gatewayUrl": f"https://{service}.azure-api.net",
        "identity": _azure_identity(name),
    }


def _azure_web_app(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    app = _physical_name(name, inputs, "name")
    resource_id = _azure_id(inputs, "Microsoft.Web", "sites", app)
    return resource_id, {
        "name": app,
        "id": resource_id,
        "defaultHostName": f"{app}.azurewebsites.net",
        "identity": _azure_identity(name),
    }


def _azure_insights(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    component = _physical_name(name, inputs, "resourceName")
    resource_id = _azure_id(inputs, "Microsoft.Insights", "components", component)
    key = _uuid(f"{name}/instrumentation")
    return resource_id, {
        "name": component,
        "id": resource_id,
        "instrumentationKey": key,
        "connectionString": f"InstrumentationKey={key};IngestionEndpoint=https://plan.invalid/",
    }


def _azure_vault_secret(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    vault = inputs.get("vaultName") or "destkit-plan-kv"
    secret = _physical_name(name, inputs, "secretName")
    # The properties input (with the secret value) is echoed back by the caller unchanged.
    resource_id = _azure_id(inputs, "Microsoft.KeyVault", "vaults", f"{vault}/secrets/{secret}")
    return resource_id, {"name": secret, "id": resource_id}


def _azuread_application(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    object_id = _uuid(f"{name}/object")
    return f"/applications/{object_id}", {"clientId": _uuid(f"{name}/client"), "objectId": object_id}


def _azuread_service_principal(
    mocks: KitMocks, name: str, inputs: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    object_id = _uuid(f"{name}/object")
    return f"/servicePrincipals/{object_id}", {"objectId": object_id}


def _azuread_application_password(
    mocks: KitMocks, name: str, inputs: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    key_id = _uuid(f"{name}/key")
    return f"{inputs.get('applicationId', '')}/password/{key_id}", {"keyId": key_id}


_TYPE_OUTPUTS.update(
    {
        "azure-native:resources:ResourceGroup": _azure_resource_group,
        "azure-native:storage:StorageAccount": _azure_storage_account,
        "azure-native:keyvault:Vault": _azure_vault,
        "azure-native:keyvault:Secret": _azure_vault_secret,
        "azure-native:operationalinsights:Workspace": _azure_workspace,
        "azure-native:apimanagement:ApiManagementService": _azure_apim,
        "azure-native:web:WebApp": _azure_web_app,
        "azure-native:applicationinsights:Component": _azure_insights,
        "azuread:index/application:Application": _azuread_application,
        "azuread:index/servicePrincipal:ServicePrincipal": _azuread_service_principal,
        "azuread:index/applicationPassword:ApplicationPassword": _azuread_application_password,
    }
)


# -- Stack references (examples/*-existing-stack) -------------------------------------------------
# Append-only block. A StackReference is read, not registered: the engine expects the referenced
# stack's exports under ``outputs`` and the names of its secret exports under ``secretOutputNames``.

STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"


class StackReferenceMocks(KitMocks):
    """KitMocks that also return the outputs of the named stacks when a StackReference is read."""

    def __init__(
        self,
        stack_outputs: dict[str, dict[str, Any]],
        *,
        secret_outputs: dict[str, tuple[str, ...]] | None = None,
        region: str = "us-east-1",
        secret_sentinel: str | None = None,
    ):
        super().__init__(region=region, secret_sentinel=secret_sentinel)
        self.stack_outputs = stack_outputs
        """Exports of each referenced stack, keyed by the fully qualified stack name."""
        self.secret_outputs = secret_outputs or {}
        """Names of the exports that each referenced stack marks secret."""


def _stack_reference(mocks: KitMocks, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    stack_name = str(inputs.get("name") or name)
    known: dict[str, dict[str, Any]] = getattr(mocks, "stack_outputs", {})
    if stack_name not in known:
        # PlanError makes destkit plan exit with status 2 (invalid input) instead of 3 (internal error).
        from destkit.plan.engine import PlanError

        raise PlanError(
            f"the offline plan has no outputs for the stack reference {stack_name!r}: destkit plan cannot "
            "read other stacks. Plan the program from Python with "
            f"destkit.plan.mocks.StackReferenceMocks(stack_outputs={{{stack_name!r}: {{...}}}})"
        )
    secret_names = getattr(mocks, "secret_outputs", {}).get(stack_name, ())
    return stack_name, {
        "name": stack_name,
        "outputs": dict(known[stack_name]),
        "secretOutputNames": sorted(secret_names),
    }


_TYPE_OUTPUTS[STACK_REFERENCE_TYPE] = _stack_reference
