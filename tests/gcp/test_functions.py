"""The Cloud Functions entry points, served in-process by functions-framework's test client.

The source is the archive the kit deploys, written to disk, so these tests also catch a file missing
from the archive. Behind API Gateway the client's credentials arrive in X-Forwarded-Authorization.
"""

from __future__ import annotations

import base64
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from functions_framework import create_app
from tests.runtime.test_corpus import CASES, build_body

from destkit.runtime.errors import ERRORS
from destkit.runtime.gcp.credentials import StaticCredentials
from destkit.runtime.gcp.gcs_store import GcsStore
from destkit.runtime.gcp.signer import IamSignJwtSigner
from destkit.runtime.store import DirectoryStore, Store
from destkit.runtime.tokens import LocalRsaSigner

TOKENS = {"acme": "token-acme-0123456789", "globex": "token-globex-0123"}
PASSWORDS = {"acme": "pass-acme-0123456789", "globex": "pass-globex-0123"}
USERNAMES = {"acme": "aep-acme", "globex": "aep-globex"}
CLIENT_IDS = {"acme": "client-acme", "globex": "client-globex"}
SIGNING_ACCOUNT = "acme-dev-signer@acme-aep-dev.iam.gserviceaccount.com"
ACCESS_TOKEN = "ya29.test-access-token"
GATEWAY_ID_TOKEN = "Bearer eyJhbGciOiJSUzI1NiJ9.gateway.identity"  # what the gateway puts in Authorization
BODY = b'{"profiles":[{"identities":[{"type":"acme_uid","id":"U-1"}]}]}'
JSON = {"content-type": "application/json"}


def intake_environment(mode: str) -> dict[str, str]:
    environment = {
        "DESTKIT_AUTH_MODE": mode,
        "DESTKIT_TENANTS": json.dumps(list(TOKENS)),
        "DESTKIT_MAX_BODY_BYTES": "65536",
        "DESTKIT_MAX_DECOMPRESSED_BYTES": "262144",
        "DESTKIT_PAYLOAD_MODE": "validate",
        "DESTKIT_AUDIENCE_API": "true",
        "DESTKIT_BEHIND_GATEWAY": "true",
        "DESTKIT_USERNAMES": json.dumps(USERNAMES),
        "DESTKIT_TENANT_BY_CLIENT_ID": json.dumps({v: k for k, v in CLIENT_IDS.items()}),
    }
    secrets = TOKENS if mode == "bearer" else PASSWORDS
    for tenant, value in secrets.items():
        environment[f"DESTKIT_SECRET_{tenant.upper()}"] = value
    return environment


@pytest.fixture
def intake_client(function_module) -> Callable[[str, Store], Any]:
    def build(mode: str, store: Store) -> Any:
        app = create_app(target="intake", source=function_module.source, signature_type="http")
        module = function_module()
        module._intake = module.build_intake(intake_environment(mode), store=store)
        return app.test_client()

    return build


def forwarded(authorization: str) -> dict[str, str]:
    return {**JSON, "Authorization": GATEWAY_ID_TOKEN, "X-Forwarded-Authorization": authorization}


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def userinfo(claims: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()


# -- intake ----------------------------------------------------------------------------------------


def test_bearer_forwarded_stored(intake_client, tmp_path):
    store = DirectoryStore(tmp_path / "sink")
    response = intake_client("bearer", store).post(
        "/v1/profiles", data=BODY, headers=forwarded("Bearer " + TOKENS["acme"])
    )
    assert response.status_code == 201
    assert len(store.list("acme/payloads/")) == 1


def test_bearer_in_authorization_ignored(intake_client, tmp_path):
    store = DirectoryStore(tmp_path / "sink")
    headers = {**JSON, "Authorization": "Bearer " + TOKENS["acme"]}
    response = intake_client("bearer", store).post("/v1/profiles", data=BODY, headers=headers)
    assert response.status_code == 401
    assert store.list("") == []


def test_gateway_token_not_client_credential(intake_client, tmp_path):
    headers = {**JSON, "Authorization": GATEWAY_ID_TOKEN}
    response = intake_client("bearer", DirectoryStore(tmp_path / "sink")).post(
        "/v1/profiles", data=BODY, headers=headers
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_bearer_other_tenant_prefix(intake_client, tmp_path):
    store = DirectoryStore(tmp_path / "sink")
    intake_client("bearer", store).post(
        "/v1/profiles", data=BODY, headers=forwarded("Bearer " + TOKENS["globex"])
    )
    assert len(store.list("globex/payloads/")) == 1
    assert store.list("acme/") == []


def test_basic_forwarded_stored(intake_client, tmp_path):
    store = DirectoryStore(tmp_path / "sink")
    header = basic(USERNAMES["acme"], PASSWORDS["acme"])
    response = intake_client("basic", store).post("/v1/profiles", data=BODY, headers=forwarded(header))
    assert response.status_code == 201


def test_basic_wrong_password(intake_client, tmp_path):
    header = basic(USERNAMES["acme"], PASSWORDS["globex"])
    response = intake_client("basic", DirectoryStore(tmp_path / "sink")).post(
        "/v1/profiles", data=BODY, headers=forwarded(header)
    )
    assert response.status_code == 401


def test_oauth2_claims_map_tenant(intake_client, tmp_path):
    store = DirectoryStore(tmp_path / "sink")
    headers = {
        **JSON,
        "X-Apigateway-Api-Userinfo": userinfo({"sub": "client-globex", "client_id": "client-globex"}),
    }
    response = intake_client("oauth2", store).post("/v1/profiles", data=BODY, headers=headers)
    assert response.status_code == 201
    assert len(store.list("globex/payloads/")) == 1


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "!!!not-base64!!!",
        userinfo({"sub": "client-unknown"}),
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        base64.urlsafe_b64encode(b"not json").decode(),
    ],
)
def test_oauth2_bad_claims_rejected(intake_client, tmp_path, value):
    headers = dict(JSON)
    if value is not None:
        headers["X-Apigateway-Api-Userinfo"] = value
    store = DirectoryStore(tmp_path / "sink")
    response = intake_client("oauth2", store).post("/v1/profiles", data=BODY, headers=headers)
    assert response.status_code == 401
    assert store.list("") == []


def test_oauth2_body_tenant_ignored(intake_client, tmp_path):
    store = DirectoryStore(tmp_path / "sink")
    body = json.dumps({"tenant": "globex", "profiles": [{"identities": [{"type": "t", "id": "1"}]}]}).encode()
    headers = {**JSON, "X-Apigateway-Api-Userinfo": userinfo({"sub": "client-acme"})}
    intake_client("oauth2", store).post("/v1/profiles", data=body, headers=headers)
    assert store.list("globex/") == []


def test_retry_stored_once_in_gcs(intake_client, fake_gcs, bucket_name):
    store = GcsStore(bucket_name, fake_gcs.client())
    client = intake_client("bearer", store)
    headers = forwarded("Bearer " + TOKENS["acme"])
    first = client.post("/v1/profiles", data=BODY, headers=headers)
    second = client.post("/v1/profiles", data=BODY, headers=headers)
    assert first.status_code == 201
    assert second.status_code == 200
    assert second.get_json()["status"] == "already_stored"
    assert len(store.list("acme/payloads/")) == 1


def test_gcs_outage_answers_503(intake_client, fake_gcs, bucket_name):
    store = GcsStore(bucket_name, fake_gcs.client(), timeout=0.5, retry_seconds=0.5)
    client = intake_client("bearer", store)
    fake_gcs.pause()
    try:
        response = client.post("/v1/profiles", data=BODY, headers=forwarded("Bearer " + TOKENS["acme"]))
    finally:
        fake_gcs.resume()
    assert response.status_code == 503
    assert response.headers["Retry-After"]


def test_audience_api_round_trip(intake_client, tmp_path):
    client = intake_client("bearer", DirectoryStore(tmp_path / "sink"))
    headers = forwarded("Bearer " + TOKENS["acme"])
    created = client.post("/v1/audiences", data=b'{"name": "Buyers", "aepId": "seg-1"}', headers=headers)
    audience_id = created.get_json()["id"]
    deleted = client.delete(f"/v1/audiences/{audience_id}", headers=headers)
    assert created.status_code == 201
    assert deleted.status_code == 204


def _corpus_runs() -> list[Any]:
    runs = []
    for case_id, case in CASES:
        auth = case.get("auth", "valid")
        if case.get("gateway_base64") or (isinstance(auth, dict) and "jwt" in auth):
            continue
        for mode in case.get("modes", ("bearer", "basic")):
            if mode in ("bearer", "basic"):
                runs.append(pytest.param(case, mode, id=f"{case_id}[{mode}]"))
    return runs


def _valid_header(mode: str) -> str:
    return "Bearer " + TOKENS["acme"] if mode == "bearer" else basic(USERNAMES["acme"], PASSWORDS["acme"])


@pytest.mark.parametrize(("case", "mode"), _corpus_runs())
def test_corpus(case: dict[str, Any], mode: str, intake_client, tmp_path):
    store = DirectoryStore(tmp_path / "sink")
    headers = {"Authorization": GATEWAY_ID_TOKEN, **case.get("headers", JSON)}
    auth = case.get("auth", "valid")
    valid = _valid_header(mode)
    authorization: str | None = valid
    if isinstance(auth, dict) and "header" in auth:
        authorization = auth["header"]
    elif isinstance(auth, dict) and "mutate" in auth:
        mutation = auth["mutate"]
        flipped = valid[:-2] + ("A" if valid[-2] != "A" else "B") + valid[-1]
        authorization = {"append": valid + "x", "truncate": valid[:-1], "flip": flipped}[mutation]
    if authorization is not None:
        headers["X-Forwarded-Authorization"] = authorization
    client = intake_client(mode, store)
    response = client.open(
        case.get("path", "/v1/profiles"),
        method=case.get("method", "POST"),
        data=build_body(case),
        headers=headers,
    )
    assert response.status_code == case["expect"]["status"]
    assert response.get_json()["error"] == case["expect"]["error"]
    assert store.list("") == []


def test_unknown_auth_mode_rejected(function_module):
    from destkit.runtime.gcp.main import build_intake

    with pytest.raises(RuntimeError, match="DESTKIT_AUTH_MODE 'apikey' is invalid"):
        build_intake(
            {**intake_environment("bearer"), "DESTKIT_AUTH_MODE": "apikey"},
            store=DirectoryStore("/nonexistent"),
        )


def test_missing_secret_rejected():
    from destkit.runtime.gcp.main import build_intake

    environment = intake_environment("bearer")
    del environment["DESTKIT_SECRET_GLOBEX"]
    with pytest.raises(RuntimeError, match="DESTKIT_SECRET_GLOBEX is not set"):
        build_intake(environment, store=DirectoryStore("/nonexistent"))


def test_oauth2_without_gateway_rejected():
    from destkit.runtime.gcp.main import build_intake

    environment = {**intake_environment("oauth2"), "DESTKIT_BEHIND_GATEWAY": "false"}
    with pytest.raises(RuntimeError, match="relies on API Gateway"):
        build_intake(environment, store=DirectoryStore("/nonexistent"))


# -- token endpoint and signJwt --------------------------------------------------------------------


class FakeIamCredentials:
    """A stand-in for the IAM Credentials API's signJwt on 127.0.0.1, signing with a local RSA key."""

    def __init__(self) -> None:
        self.signer = LocalRsaSigner(key_id="google-managed-key-1")
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                fake.requests.append(
                    {"path": self.path, "authorization": self.headers.get("Authorization"), **body}
                )
                if self.headers.get("Authorization") != f"Bearer {ACCESS_TOKEN}":
                    self.send_response(401)
                    self.end_headers()
                    return
                signed = fake.signer.sign(json.loads(body["payload"]))
                answer = json.dumps({"keyId": fake.signer.key_id, "signedJwt": signed}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def iam() -> Iterator[FakeIamCredentials]:
    fake = FakeIamCredentials()
    yield fake
    fake.close()


def token_environment(iam_url: str) -> dict[str, str]:
    environment = {
        "DESTKIT_SIGNING_SERVICE_ACCOUNT": SIGNING_ACCOUNT,
        "DESTKIT_IAM_CREDENTIALS_URL": iam_url,
        "DESTKIT_ISSUER_AUDIENCE": "acme-dev-intake",
        "DESTKIT_ISSUER_SCOPE": "ingest",
        "DESTKIT_ISSUER_LIFETIME_SECONDS": "43200",
        "DESTKIT_CLIENT_IDS": json.dumps(CLIENT_IDS),
        "DESTKIT_BEHIND_GATEWAY": "true",
    }
    for tenant in CLIENT_IDS:
        environment[f"DESTKIT_SECRET_{tenant.upper()}"] = f"secret-{tenant}-0123456789"
    return environment


@pytest.fixture
def token_client(function_module) -> Callable[[str], Any]:
    def build(iam_url: str) -> Any:
        app = create_app(target="token", source=function_module.source, signature_type="http")
        module = function_module()
        module._token = module.build_token(
            token_environment(iam_url), credentials=StaticCredentials(ACCESS_TOKEN)
        )
        return app.test_client()

    return build


FORM = {"content-type": "application/x-www-form-urlencoded"}


def _token_request(client: Any, client_id: str, secret: str) -> Any:
    headers = {
        **FORM,
        "Authorization": GATEWAY_ID_TOKEN,
        "X-Forwarded-Authorization": basic(client_id, secret),
    }
    return client.post("/oauth/token", data=b"grant_type=client_credentials", headers=headers)


def _claims(token: str, iam: FakeIamCredentials) -> dict[str, Any]:
    key = jwt.PyJWK(iam.signer.jwks()["keys"][0])
    return jwt.decode(token, key, algorithms=["RS256"], audience="acme-dev-intake", issuer=SIGNING_ACCOUNT)


def test_token_signed_by_iam(token_client, iam):
    response = _token_request(token_client(iam.url), "client-acme", "secret-acme-0123456789")
    assert response.status_code == 200
    claims = _claims(response.get_json()["access_token"], iam)
    assert claims["sub"] == "client-acme"
    assert claims["scope"] == "ingest"
    assert claims["exp"] - claims["iat"] == 43200


def test_token_header_names_google_key(token_client, iam):
    response = _token_request(token_client(iam.url), "client-acme", "secret-acme-0123456789")
    assert jwt.get_unverified_header(response.get_json()["access_token"])["kid"] == "google-managed-key-1"


def test_token_sign_request_shape(token_client, iam):
    _token_request(token_client(iam.url), "client-globex", "secret-globex-0123456789")
    request = iam.requests[0]
    assert request["path"] == f"/v1/projects/-/serviceAccounts/{SIGNING_ACCOUNT}:signJwt"
    assert request["authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert json.loads(request["payload"])["iss"] == SIGNING_ACCOUNT


def test_token_wrong_secret_401(token_client, iam):
    response = _token_request(token_client(iam.url), "client-acme", "secret-globex-0123456789")
    assert response.status_code == 401
    assert iam.requests == []


def test_token_credentials_in_authorization_ignored(token_client, iam):
    headers = {**FORM, "Authorization": basic("client-acme", "secret-acme-0123456789")}
    response = token_client(iam.url).post(
        "/oauth/token", data=b"grant_type=client_credentials", headers=headers
    )
    assert response.status_code == 401


def test_token_form_credentials_accepted(token_client, iam):
    form = b"grant_type=client_credentials&client_id=client-acme&client_secret=secret-acme-0123456789"
    response = token_client(iam.url).post(
        "/oauth/token", data=form, headers={**FORM, "Authorization": GATEWAY_ID_TOKEN}
    )
    assert response.status_code == 200


def test_token_signing_outage_503(token_client, iam):
    client = token_client(iam.url)
    iam.close()
    response = _token_request(client, "client-acme", "secret-acme-0123456789")
    assert response.status_code == 503


def test_token_get_rejected(token_client, iam):
    assert token_client(iam.url).get("/oauth/token").status_code == 405


def test_signer_rejects_non_jwt_answer():
    from destkit.runtime.gcp.signer import SigningError

    signer = IamSignJwtSigner(
        SIGNING_ACCOUNT,
        StaticCredentials(ACCESS_TOKEN),
        "https://iam.invalid/v1",
        post=lambda *a: {"signedJwt": "x"},
    )
    with pytest.raises(SigningError, match="no signed JWT"):
        signer.sign({"sub": "a", "exp": int(time.time()) + 60})


@pytest.mark.parametrize("account", ["", "not-an-email", None])
def test_signer_bad_account_rejected(account):
    with pytest.raises(ValueError, match="is not an email address"):
        IamSignJwtSigner(account or "", StaticCredentials(ACCESS_TOKEN), "https://iam.invalid/v1")


def test_signer_url_without_scheme_rejected():
    with pytest.raises(ValueError, match="must start with https://"):
        IamSignJwtSigner(SIGNING_ACCOUNT, StaticCredentials(ACCESS_TOKEN), "iam.invalid/v1")


def test_function_module_loaded_from_archive(function_module, tmp_path):
    create_app(target="intake", source=function_module.source, signature_type="http")
    assert sys.modules["main"].__file__ == function_module.source


def test_entry_point_from_environment(function_module, fake_gcs, bucket_name, monkeypatch):
    # The deployed path: the function builds its store from the environment. STORAGE_EMULATOR_HOST
    # makes google-cloud-storage use anonymous credentials and the fake server on 127.0.0.1.
    for key, value in intake_environment("bearer").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DESTKIT_SINK_BUCKET", bucket_name)
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", fake_gcs.endpoint)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "destkit-test")
    app = create_app(target="intake", source=function_module.source, signature_type="http")
    response = app.test_client().post(
        "/v1/profiles", data=BODY, headers=forwarded("Bearer " + TOKENS["acme"])
    )
    stored = [blob.name for blob in fake_gcs.client().list_blobs(bucket_name)]
    assert response.status_code == 201
    assert stored == [f"acme/payloads/{response.get_json()['id']}.json"]


PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"


@pytest.mark.parametrize("path", sorted(PAYLOADS.glob("valid_*.json")), ids=lambda p: p.stem)
def test_valid_payload_stored(path, intake_client, tmp_path):
    store = DirectoryStore(tmp_path / "sink")
    response = intake_client("bearer", store).post(
        "/v1/profiles", data=path.read_bytes(), headers=forwarded("Bearer " + TOKENS["acme"])
    )
    assert response.status_code == 201
    assert len(store.list("acme/payloads/")) == 1


@pytest.mark.parametrize("path", sorted(PAYLOADS.glob("invalid_*.json")), ids=lambda p: p.stem)
def test_invalid_payload_rejected(path, intake_client, tmp_path):
    store = DirectoryStore(tmp_path / "sink")
    response = intake_client("bearer", store).post(
        "/v1/profiles", data=path.read_bytes(), headers=forwarded("Bearer " + TOKENS["acme"])
    )
    assert response.status_code == ERRORS["invalid_payload"].status
    assert response.get_json()["error"] == "invalid_payload"
    assert store.list("") == []
