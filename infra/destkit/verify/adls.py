"""ADLS Gen2 checks with each tenant's service principal, the credential AEP's ADLS destination holds.

The checks speak the Data Lake Storage REST API directly: a client-credentials token from Microsoft
Entra ID for ``https://storage.azure.com/.default``, then create, append, flush, list, read and delete
on the tenant's file system. Isolation: each service principal is granted its own file system only,
so listing another tenant's file system must fail.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

from destkit.adobe.outputs import StackOutputs
from destkit.verify.batch import StoreError, round_trip
from destkit.verify.checklist import Checklist
from destkit.verify.streaming import HttpResult, http

AREA = "adls"
API_VERSION = "2023-11-03"
STORAGE_SCOPE = "https://storage.azure.com/.default"

_ABFS = re.compile(r"^abfss?://(?P<fs>[^@/]+)@(?P<account>[^./]+)\.dfs\.core\.windows\.net(?P<path>/.*)?$")


@dataclass(frozen=True)
class AdlsLocation:
    file_system: str
    account: str
    folder: str


def parse_adls_url(url: str) -> AdlsLocation:
    """Split ``abfss://<file system>@<account>.dfs.core.windows.net/<folder>``."""
    match = _ABFS.match(url)
    if not match:
        raise ValueError(f"{url!r} is not an abfss://<file system>@<account>.dfs.core.windows.net URL")
    return AdlsLocation(match["fs"], match["account"], (match["path"] or "").strip("/"))


def _error(result: HttpResult) -> str:
    if result.status == 0:
        return f"no response: {result.error}"
    parsed = result.json()
    code = ""
    if isinstance(parsed, dict) and isinstance(parsed.get("error"), dict):
        code = str(parsed["error"].get("code") or "")
    hint = (
        " (grant the service principal Storage Blob Data Contributor on the file system)"
        if result.status == 403
        else ""
    )
    return f"HTTP {result.status} {code}".rstrip() + hint


@dataclass
class AdlsStore:
    base: str  # https://<account>.dfs.core.windows.net/<file system>
    token: str

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "x-ms-version": API_VERSION}

    def _url(self, path: str, query: dict[str, str]) -> str:
        quoted = urllib.parse.quote(path.lstrip("/"))
        return f"{self.base}/{quoted}?{urllib.parse.urlencode(query)}" if query else f"{self.base}/{quoted}"

    def put(self, name: str, data: bytes) -> None:
        steps = [
            ("PUT", {"resource": "file"}, b""),
            ("PATCH", {"action": "append", "position": "0"}, data),
            ("PATCH", {"action": "flush", "position": str(len(data))}, b""),
        ]
        for method, query, body in steps:
            result = http(method, self._url(name, query), self._headers(), body)
            if result.status not in (200, 201, 202):
                raise StoreError(f"write {name} failed at {query}: {_error(result)}")

    def list(self, prefix: str) -> list[str]:
        query = {"resource": "filesystem", "recursive": "true", "directory": prefix.strip("/")}
        result = http("GET", f"{self.base}?{urllib.parse.urlencode(query)}", self._headers())
        if result.status != 200:
            raise StoreError(f"list {prefix} failed: {_error(result)}")
        parsed = result.json()
        paths = parsed.get("paths", []) if isinstance(parsed, dict) else []
        return [str(entry["name"]) for entry in paths if str(entry.get("isDirectory", "false")) != "true"]

    def get(self, name: str) -> bytes:
        result = http("GET", self._url(name, {}), self._headers())
        if result.status != 200:
            raise StoreError(f"read {name} failed: {_error(result)}")
        return result.body

    def delete(self, name: str) -> None:
        result = http("DELETE", self._url(name, {}), self._headers())
        if result.status not in (200, 202, 204):
            raise StoreError(f"delete {name} failed: {_error(result)}")


def _token(authority: str, tenant_id: str, client_id: str, secret: str) -> HttpResult:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret, "scope": STORAGE_SCOPE}
    url = f"{authority.rstrip('/')}/{urllib.parse.quote(tenant_id)}/oauth2/v2.0/token"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return http("POST", url, headers, urllib.parse.urlencode(form).encode())


def verify_adls(
    outputs: StackOutputs, checklist: Checklist, run_id: str, endpoint: str | None, authority: str | None
) -> None:
    if not authority:
        checklist.failed(AREA, "", "Entra ID authority", "no authority given: pass --entra-authority")
        return
    urls = outputs.tenant_map("adls_urls")
    ids = outputs.tenant_map("adls_client_ids")
    secrets = outputs.tenant_map("adls_client_secrets")
    entra_tenant = str(outputs.get("adls_tenant_id") or "")
    tenants = [str(t) for t in outputs.get("tenants") or []]
    stores: dict[str, AdlsStore] = {}
    locations: dict[str, AdlsLocation] = {}
    for tenant in tenants:
        if tenant not in urls or tenant not in ids or tenant not in secrets or not entra_tenant:
            checklist.failed(
                AREA,
                tenant,
                "writer credentials",
                "adls_urls, adls_client_ids, adls_client_secrets or adls_tenant_id missing",
            )
            continue
        try:
            location = parse_adls_url(str(urls[tenant]))
        except ValueError as error:
            checklist.failed(AREA, tenant, "file system URL is valid", str(error))
            continue
        result = _token(authority, entra_tenant, str(ids[tenant]), str(secrets[tenant]))
        parsed = result.json()
        token = parsed.get("access_token") if isinstance(parsed, dict) else None
        if result.status != 200 or not isinstance(token, str):
            reason = parsed.get("error") if isinstance(parsed, dict) else None
            checklist.failed(
                AREA, tenant, "service principal obtains a token", f"HTTP {result.status} {reason or ''}".strip()
            )
            continue
        checklist.passed(AREA, tenant, "service principal obtains a token")
        host = endpoint.rstrip("/") if endpoint else f"https://{location.account}.dfs.core.windows.net"
        stores[tenant] = AdlsStore(f"{host}/{location.file_system}", token)
        locations[tenant] = location
        round_trip(stores[tenant], AREA, tenant, location.folder, run_id, checklist)

    for tenant, store in stores.items():
        for other, location in locations.items():
            if other == tenant or location.file_system == locations[tenant].file_system:
                continue
            probe = AdlsStore(store.base.rsplit("/", 1)[0] + f"/{location.file_system}", store.token)
            try:
                probe.list("")
            except StoreError:
                checklist.passed(AREA, tenant, f"cannot list {other}'s file system")
                continue
            checklist.failed(
                AREA,
                tenant,
                f"cannot list {other}'s file system",
                f"{tenant}'s service principal can list {location.file_system}",
            )
