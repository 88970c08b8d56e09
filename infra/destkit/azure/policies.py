"""API Management policy documents: the gateway's whole authentication and tenant mapping.

Every document removes any tenant header the caller sent, authenticates the caller, maps it to a
tenant id, sets the tenant header that the function trusts, and forwards to the function with a
token for API Management's managed identity. A request that matches no tenant gets 401 with a
``WWW-Authenticate`` header before it reaches the function. These are pure functions over plain
values, so the tests read the exact XML the gateway receives.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from destkit.azure import defaults

BACKEND_ID = "destkit-function"
JWT_VARIABLE = "jwt"
TENANT_VARIABLE = "tenant"

# Characters allowed in bearer tokens (RFC 6750 b64token) and in Basic passwords that API Management
# compares inside a policy expression: no quote, backslash or brace can end the C# string early or
# start a named-value reference.
_BEARER_TOKEN = re.compile(r"^[A-Za-z0-9._~+/-]+=*$")
_BASIC_PASSWORD = re.compile(r"^[A-Za-z0-9._~+/=!#$*()\[\]:;,?@^|-]+$")
_IDENTIFIER = re.compile(r"^[A-Za-z0-9._-]+$")


@dataclass(frozen=True)
class OAuthValidation:
    """Token checks of the gateway: OpenID configuration, issuer, audience, client map and role."""

    openid_config_url: str
    issuer: str
    audience: str
    tenant_by_client_id: Mapping[str, str]
    """Client id (``azp``, ``client_id`` or ``sub`` claim) to tenant id."""
    required_role: str | None = None
    """App role the token must carry in its ``roles`` claim (managed issuer)."""


def check_bearer_token(tenant: str, token: str) -> None:
    """Raise ValueError unless ``token`` can be compared safely inside a policy expression."""
    if not _BEARER_TOKEN.match(token):
        raise ValueError(
            f"the bearer token of tenant {tenant!r} contains characters outside the RFC 6750 token "
            "alphabet (letters, digits, - . _ ~ + / and trailing =); choose another token"
        )


def check_basic_password(tenant: str, password: str) -> None:
    """Raise ValueError unless ``password`` can be compared safely inside a policy expression."""
    if not _BASIC_PASSWORD.match(password):
        raise ValueError(
            f"the Basic password of tenant {tenant!r} contains a space, quote, backslash or brace, which "
            "the gateway's policy expression cannot compare safely; choose another password"
        )


def check_client_id(client_id: str) -> None:
    """Raise ValueError unless ``client_id`` can be placed in a policy expression safely."""
    _check_identifier("client id", client_id)


def _check_identifier(kind: str, value: str) -> str:
    if not _IDENTIFIER.match(value):
        raise ValueError(f"{kind} {value!r} is invalid; use letters, digits, '.', '_' and '-'")
    return value


def _unauthorized(realm_scheme: str, message: str) -> str:
    return (
        "<return-response>"
        '<set-status code="401" reason="Unauthorized" />'
        f'<set-header name="WWW-Authenticate" exists-action="override"><value>{escape(realm_scheme)}</value>'
        "</set-header>"
        '<set-header name="Content-Type" exists-action="override">'
        "<value>application/json</value></set-header>"
        f"<set-body>{escape(_error_json(message))}</set-body>"
        "</return-response>"
    )


def _error_json(message: str) -> str:
    return '{"error": "unauthorized", "message": "' + message + '"}'


def _forward(backend_audience: str) -> str:
    tenant_header = defaults.TENANT_HEADER
    return (
        f'<set-header name="{tenant_header}" exists-action="override">'
        f'<value>@((string)context.Variables["{TENANT_VARIABLE}"])</value></set-header>'
        f"<authentication-managed-identity resource={quoteattr(backend_audience)} />"
        f'<set-backend-service backend-id="{BACKEND_ID}" />'
    )


def _reject_without_tenant(scheme: str) -> str:
    return (
        "<choose>"
        f'<when condition="@(!context.Variables.ContainsKey(&quot;{TENANT_VARIABLE}&quot;))">'
        + _unauthorized(scheme, "the credentials map to no tenant; send valid credentials")
        + "</when></choose>"
    )


def _document(inbound: str) -> str:
    tenant_header = defaults.TENANT_HEADER
    return (
        "<policies><inbound><base />"
        f'<set-header name="{tenant_header}" exists-action="delete" />'
        f"{inbound}"
        "</inbound><backend><base /></backend>"
        "<outbound><base />"
        '<set-header name="X-Powered-By" exists-action="delete" />'
        '<set-header name="X-AspNet-Version" exists-action="delete" />'
        "</outbound>"
        "<on-error><base />"
        # validate-jwt failures end here; OAuth clients refresh their token on 401 with this header.
        '<choose><when condition="@(context.LastError.Source == &quot;validate-jwt&quot;)">'
        '<set-header name="WWW-Authenticate" exists-action="override">'
        '<value>Bearer realm="destkit", error="invalid_token"</value></set-header>'
        "</when></choose>"
        "</on-error></policies>"
    )


def oauth_policy(validation: OAuthValidation, backend_audience: str) -> str:
    """Build the policy for OAuth 2.0: validate the JWT, then map its client id to a tenant."""
    if not validation.tenant_by_client_id:
        raise ValueError("tenant_by_client_id is empty; map at least one client id to a tenant")
    claims = ""
    if validation.required_role:
        role = _check_identifier("app role", validation.required_role)
        claims += f'<claim name="roles" match="any"><value>{role}</value></claim>'
    validate = (
        '<validate-jwt header-name="Authorization" failed-validation-httpcode="401" '
        'failed-validation-error-message="the access token is missing, expired or invalid" '
        'require-expiration-time="true" require-scheme="Bearer" require-signed-tokens="true" '
        f'output-token-variable-name="{JWT_VARIABLE}">'
        f"<openid-config url={quoteattr(validation.openid_config_url)} />"
        f"<audiences><audience>{escape(validation.audience)}</audience></audiences>"
        f"<issuers><issuer>{escape(validation.issuer)}</issuer></issuers>"
        f"<required-claims>{claims}</required-claims>"
        "</validate-jwt>"
    )
    cases = "".join(
        f'case "{_check_identifier("client id", client_id)}": '
        f'return "{_check_identifier("tenant", tenant)}"; '
        for client_id, tenant in sorted(validation.tenant_by_client_id.items())
    )
    # The client id comes from azp (Entra ID v2 tokens), client_id (most other issuers) or sub.
    mapping = (
        '<set-variable name="tenant" value="@{ '
        f"var jwt = (Jwt)context.Variables[&quot;{JWT_VARIABLE}&quot;]; "
        "var client = jwt.Claims.GetValueOrDefault(&quot;azp&quot;, "
        "jwt.Claims.GetValueOrDefault(&quot;client_id&quot;, jwt.Subject ?? &quot;&quot;)); "
        "switch (client) { " + cases.replace('"', "&quot;") + 'default: return &quot;&quot;; } }" />'
        '<choose><when condition="@(((string)context.Variables[&quot;tenant&quot;]).Length == 0)">'
        + _unauthorized('Bearer realm="destkit"', "the token's client is not mapped to a tenant")
        + "</when></choose>"
    )
    return _document(validate + mapping + _forward(backend_audience))


def bearer_policy(named_values: Mapping[str, str], backend_audience: str) -> str:
    """Build the policy for bearer tokens: compare the header with each tenant's named value.

    ``named_values`` maps tenant id to the name of its Key Vault-backed named value.
    NOTE: the gateway compares with C# ``==``, which is not constant-time; API Management's policy
    expressions offer no documented constant-time comparison. Use oauth2 where that matters.
    """
    whens = "".join(
        f'<when condition="@(context.Request.Headers.GetValueOrDefault(&quot;Authorization&quot;, '
        f'&quot;&quot;) == &quot;Bearer {{{{{_check_identifier("named value", value)}}}}}&quot;)">'
        f'<set-variable name="{TENANT_VARIABLE}" value="{_check_identifier("tenant", tenant)}" /></when>'
        for tenant, value in sorted(named_values.items())
    )
    scheme = 'Bearer realm="destkit"'
    return _document(
        f"<choose>{whens}</choose>" + _reject_without_tenant(scheme) + _forward(backend_audience)
    )


def basic_policy(usernames: Mapping[str, str], named_values: Mapping[str, str], backend_audience: str) -> str:
    """Build the policy for Basic: decode the header and compare user and password per tenant."""
    whens = ""
    for tenant, value in sorted(named_values.items()):
        user = _check_identifier("user name", usernames[tenant])
        whens += (
            '<when condition="@{ var c = context.Request.Headers'
            ".GetValueOrDefault(&quot;Authorization&quot;, "
            "&quot;&quot;).AsBasic(); "
            f"return c != null &amp;&amp; c.UserId == &quot;{user}&quot; &amp;&amp; "
            f'c.Password == &quot;{{{{{_check_identifier("named value", value)}}}}}&quot;; }}">'
            f'<set-variable name="{TENANT_VARIABLE}" value="{_check_identifier("tenant", tenant)}" /></when>'
        )
    scheme = 'Basic realm="destkit", charset="UTF-8"'
    return _document(
        f"<choose>{whens}</choose>" + _reject_without_tenant(scheme) + _forward(backend_audience)
    )
