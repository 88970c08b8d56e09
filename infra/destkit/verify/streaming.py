"""Streaming checks: the endpoint behaves the way AEP uses it, for every tenant.

For each tenant, the token endpoint issues a token (oauth2), a sample batch rendered from the message
template is accepted, and the audience API creates and deletes an audience that another tenant's
credentials cannot change. Requests without credentials or with wrong ones must get 401, and
credentials mixed from two tenants must be rejected.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any

from destkit.adobe.outputs import StackOutputs
from destkit.adobe.streaming import audiences_url
from destkit.verify.checklist import Checklist
from destkit.verify.samples import sample_batch

AREA = "streaming"
TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True)
class HttpResult:
    status: int
    body: bytes
    error: str = ""

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None


def http(method: str, url: str, headers: dict[str, str] | None = None, body: bytes | None = None) -> HttpResult:
    """Send one request; return the status (0 when no response arrived) instead of raising."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - URL from outputs
            return HttpResult(response.status, response.read())
    except urllib.error.HTTPError as error:
        return HttpResult(error.code, error.read())
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        return HttpResult(0, b"", str(getattr(error, "reason", error)))


def _describe(result: HttpResult) -> str:
    if result.status == 0:
        return f"no response: {result.error}"
    parsed = result.json()
    reason = ""
    if isinstance(parsed, dict):
        reason = str(parsed.get("message") or parsed.get("error_description") or parsed.get("error") or "")
    return f"HTTP {result.status}" + (f" {reason}" if reason else "")


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _token(token_url: str, client_id: str, client_secret: str, scope: str | None) -> HttpResult:
    form = {"grant_type": "client_credentials"}
    if scope:
        form["scope"] = scope
    headers = {"Authorization": _basic(client_id, client_secret), "Content-Type": "application/x-www-form-urlencoded"}
    return http("POST", token_url, headers, urllib.parse.urlencode(form).encode())


class StreamingVerifier:
    def __init__(self, outputs: StackOutputs, checklist: Checklist, run_id: str) -> None:
        self.outputs = outputs
        self.checklist = checklist
        self.run_id = run_id
        self.auth_type = outputs.get("auth_type")
        self.url = str(outputs.get("url"))
        self.tenants = [str(t) for t in outputs.get("tenants") or []]

    def authorization(self, tenant: str) -> str | None:
        """Return the Authorization header AEP would send for ``tenant``, or None when it cannot get one."""
        if self.auth_type == "bearer":
            token = self.outputs.tenant_map("tokens").get(tenant)
            return f"Bearer {token}" if token else None
        if self.auth_type == "basic":
            user = self.outputs.tenant_map("usernames").get(tenant)
            password = self.outputs.tenant_map("passwords").get(tenant)
            return _basic(user, password) if user and password else None
        client_id = self.outputs.tenant_map("client_ids").get(tenant)
        secret = self.outputs.tenant_map("client_secrets").get(tenant)
        if not client_id or not secret:
            self.checklist.failed(AREA, tenant, "token endpoint issues a token", "client id or secret missing")
            return None
        result = _token(str(self.outputs.get("token_url")), client_id, secret, self.outputs.get("scope"))
        body = result.json()
        token = body.get("access_token") if isinstance(body, dict) else None
        if result.status != 200 or not isinstance(token, str) or not token:
            self.checklist.failed(AREA, tenant, "token endpoint issues a token", _describe(result))
            return None
        self.checklist.passed(AREA, tenant, "token endpoint issues a token")
        return f"Bearer {token}"

    def post_batch(self, authorization: str | None) -> HttpResult:
        headers = {"Content-Type": "application/json"}
        if authorization is not None:
            headers["Authorization"] = authorization
        return http("POST", self.url, headers, sample_batch(self.run_id))

    def run(self) -> None:
        if self.auth_type not in ("oauth2", "bearer", "basic"):
            self.checklist.failed(AREA, "", "auth type is known", f"auth_type is {self.auth_type!r}")
            return
        missing = self.post_batch(None)
        self._expect_401("missing credentials get 401", "", missing)
        wrong = self.post_batch(
            "Bearer destkit-verify-not-a-token"
            if self.auth_type != "basic"
            else _basic("destkit-verify", "wrong-password")
        )
        self._expect_401("wrong credentials get 401", "", wrong)

        authorizations: dict[str, str] = {}
        for tenant in self.tenants:
            authorization = self.authorization(tenant)
            if authorization is None:
                if self.auth_type != "oauth2":
                    self.checklist.failed(AREA, tenant, "credentials present", f"no {self.auth_type} credentials")
                continue
            authorizations[tenant] = authorization
            result = self.post_batch(authorization)
            if result.status in (200, 201, 202):
                self.checklist.passed(
                    AREA, tenant, "sample batch rendered from the template is accepted", f"HTTP {result.status}"
                )
            else:
                self.checklist.failed(
                    AREA, tenant, "sample batch rendered from the template is accepted", _describe(result)
                )

        if self.outputs.get("audience_api_url"):
            tenants = list(authorizations)
            for index, tenant in enumerate(tenants):
                # The next tenant (if any) tries to change this tenant's audience.
                other = tenants[(index + 1) % len(tenants)] if len(tenants) > 1 else None
                self._audience_round_trip(tenant, authorizations[tenant], other, authorizations.get(other or ""))
        self._mixed_credentials()

    def _expect_401(self, name: str, tenant: str, result: HttpResult) -> None:
        if result.status == 401:
            self.checklist.passed(AREA, tenant, name)
        else:
            self.checklist.failed(AREA, tenant, name, f"expected HTTP 401, got {_describe(result)}")

    def _mixed_credentials(self) -> None:
        """Credentials that pair one tenant's identity with another tenant's secret must be rejected."""
        if len(self.tenants) < 2:
            return
        first, second = self.tenants[0], self.tenants[1]
        name = f"{first}'s id with {second}'s secret is rejected"
        if self.auth_type == "oauth2":
            client_id = self.outputs.tenant_map("client_ids").get(first)
            secret = self.outputs.tenant_map("client_secrets").get(second)
            result = _token(
                str(self.outputs.get("token_url")), client_id or "", secret or "", self.outputs.get("scope")
            )
            self._expect_401(name, "", result)
        elif self.auth_type == "basic":
            user = self.outputs.tenant_map("usernames").get(first) or ""
            password = self.outputs.tenant_map("passwords").get(second) or ""
            self._expect_401(name, "", self.post_batch(_basic(user, password)))

    def _audience_round_trip(
        self, tenant: str, authorization: str, other: str | None, other_authorization: str | None
    ) -> None:
        collection = audiences_url(str(self.outputs.get("audience_api_url")))
        headers = {"Authorization": authorization, "Content-Type": "application/json"}
        aep_id = str(uuid.uuid4())
        body = json.dumps({"name": f"destkit-verify-{self.run_id}", "aepId": aep_id}).encode()
        created = http("POST", collection, headers, body)
        parsed = created.json()
        audience_id = parsed.get("id") if isinstance(parsed, dict) else None
        if created.status not in (200, 201) or not isinstance(audience_id, str) or not audience_id:
            self.checklist.failed(AREA, tenant, "audience API creates an audience", _describe(created))
            return
        self.checklist.passed(AREA, tenant, "audience API creates an audience", f"id {audience_id}")
        item = f"{collection}/{urllib.parse.quote(audience_id, safe='')}"

        if other is not None and other_authorization is not None:
            name = f"{other}'s credentials cannot change {tenant}'s audience"
            foreign = {"Authorization": other_authorization, "Content-Type": "application/json"}
            renamed = http("PUT", item, foreign, json.dumps({"name": "destkit-verify-foreign"}).encode())
            removed = http("DELETE", item, {"Authorization": other_authorization})
            if renamed.status in (401, 403, 404) and removed.status in (401, 403, 404):
                self.checklist.passed(AREA, tenant, name)
            else:
                self.checklist.failed(
                    AREA, tenant, name, f"PUT got {_describe(renamed)}, DELETE got {_describe(removed)}"
                )

        deleted = http("DELETE", item, {"Authorization": authorization})
        if deleted.status in (200, 204):
            self.checklist.passed(AREA, tenant, "audience API deletes the audience")
        else:
            self.checklist.failed(AREA, tenant, "audience API deletes the audience", _describe(deleted))
        again = http("DELETE", item, {"Authorization": authorization})
        if again.status == 404:
            self.checklist.passed(AREA, tenant, "deleted audience is gone (404)")
        else:
            self.checklist.failed(AREA, tenant, "deleted audience is gone (404)", f"got {_describe(again)}")
