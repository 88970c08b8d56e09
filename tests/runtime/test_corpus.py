"""The hostile-input corpus: every case gets its expected status and error code, no 5xx, nothing stored."""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from destkit.runtime.aws import authorizer
from destkit.runtime.aws.intake import handle_event
from destkit.runtime.core import IntakeCore
from destkit.runtime.store import DirectoryStore
from destkit.runtime.tokens import LocalRsaSigner

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"
MODES = ("oauth2", "bearer", "basic")
VALID_HEADERS = {
    "bearer": "Bearer token-acme-0123456789",
    "basic": "Basic " + base64.b64encode(b"aep-acme:pass-acme-0123456789").decode(),
}
BASE_URL = "http://127.0.0.1:8000"


def load_cases() -> list[tuple[str, dict[str, Any]]]:
    cases = []
    for path in sorted(CORPUS.glob("*.json")):
        for case in json.loads(path.read_text("utf-8")):
            cases.append((f"{path.stem}/{case['name']}", case))
    return cases


CASES = load_cases()


def build_body(case: dict[str, Any]) -> bytes:
    spec = case["body"]
    if "text" in spec:
        body = spec["text"].encode("utf-8")
    elif "hex" in spec:
        body = bytes.fromhex(spec["hex"])
    elif "json" in spec:
        body = json.dumps(spec["json"]).encode()
    else:
        kind, _, size = spec["generate"].partition(":")
        body = generated_body(kind, int(size))
    for step in case.get("transform", []):
        name, _, argument = step.partition(":")
        if name == "gzip":
            body = gzip.compress(body)
        elif name == "base64":
            body = base64.b64encode(body)
        elif name == "truncate":
            body = body[: int(argument)]
        elif name == "repeat":
            body = body + body
        elif name == "append":
            body = body + argument.encode()
        else:
            raise AssertionError(f"unknown transform {step!r}")
    return body


def generated_body(kind: str, size: int) -> bytes:
    head = b'{"profiles":[{"identities":[{"type":"acme_uid","id":"U-1"}],"attributes":{"pad":"'
    tail = b'"}}]}'
    filler = b"x" if kind == "padded_json" else b"0"
    return head + filler * (size - len(head) - len(tail)) + tail


def jwt_header(spec: dict[str, Any], signer: LocalRsaSigner) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": BASE_URL,
        "aud": BASE_URL + "/v1/profiles",
        "iat": now,
        "exp": now + 300,
        "scope": "ingest",
        "sub": "client-acme",
        "client_id": "client-acme",
        "tenant": "acme",
    }
    for name, value in spec.get("claims", {}).items():
        if value is None:
            claims.pop(name, None)
        elif name in ("exp", "nbf", "iat"):
            claims[name] = now + value
        else:
            claims[name] = value
    kid = spec.get("kid", signer.key_id)
    alg = spec.get("alg", "RS256")
    if alg == "none":
        token = jwt.encode(claims, None, algorithm="none", headers={"kid": kid})
    elif alg == "HS256-public":
        public_key = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(signer.jwks()["keys"][0]))
        public_pem = public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        token = _hmac_token(claims, public_pem, kid)
    elif spec.get("key") == "foreign":
        token = LocalRsaSigner(key_id=kid).sign(claims)
    else:
        token = signer.sign(claims) if kid == signer.key_id else LocalRsaSigner(key_id=kid).sign(claims)
    tamper = spec.get("tamper")
    if tamper == "payload":
        header, _, rest = token.partition(".")
        _, _, signature = rest.partition(".")
        forged = dict(claims, tenant="globex", client_id="client-globex", sub="client-globex")
        payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
        token = f"{header}.{payload}.{signature}"
    elif tamper == "signature":
        flipped = "A" if token[-5] != "A" else "B"
        token = token[:-5] + flipped + token[-4:]
    return "Bearer " + token


def _hmac_token(claims: dict[str, Any], secret: bytes, kid: str) -> str:
    # PyJWT refuses PEM keys as HMAC secrets, so the attack token is assembled by hand.
    def encode(part: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()

    signing_input = f"{encode({'alg': 'HS256', 'typ': 'JWT', 'kid': kid})}.{encode(claims)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()


def authorization_for(case: dict[str, Any], mode: str, signer: LocalRsaSigner, issue_token) -> str | None:
    auth = case.get("auth", "valid")
    if auth == "valid":
        return issue_token() if mode == "oauth2" else VALID_HEADERS[mode]
    if "header" in auth:
        return auth["header"]
    if "jwt" in auth:
        return jwt_header(auth["jwt"], signer)
    valid = issue_token() if mode == "oauth2" else VALID_HEADERS[mode]
    mutation = auth["mutate"]
    if mutation == "append":
        return valid + "x"
    if mutation == "truncate":
        return valid[:-1]
    if mutation == "flip":
        last = valid[-2]
        return valid[:-2] + ("A" if last != "A" else "B") + valid[-1]
    raise AssertionError(f"unknown mutation {mutation!r}")


def local_runs() -> list[Any]:
    runs = []
    for case_id, case in CASES:
        if case.get("gateway_base64"):
            continue
        for mode in case.get("modes", MODES):
            runs.append(pytest.param(case, mode, id=f"{case_id}[{mode}]"))
    return runs


@pytest.mark.parametrize(("case", "mode"), local_runs())
def test_corpus_local(case: dict[str, Any], mode: str, make_endpoint, store: DirectoryStore, signer):
    endpoint = make_endpoint(mode)

    def issue_token() -> str:
        form = b"grant_type=client_credentials&client_id=client-acme&client_secret=secret-acme-0123456789"
        response = endpoint.handle("POST", "/oauth/token", {"content-type": "application/x-www-form-urlencoded"}, form)
        assert response.body is not None
        return "Bearer " + response.body["access_token"]

    headers = dict(case.get("headers", {"content-type": "application/json"}))
    authorization = authorization_for(case, mode, signer, issue_token)
    if authorization is not None:
        headers["authorization"] = authorization
    response = endpoint.handle(case.get("method", "POST"), case.get("path", "/v1/profiles"), headers, build_body(case))

    assert response.status == case["expect"]["status"]
    assert response.body is not None and response.body["error"] == case["expect"]["error"]
    assert store.list("") == []


LAMBDA_CASES = [pytest.param(case, id=case_id) for case_id, case in CASES if case.get("auth", "valid") == "valid"]


@pytest.mark.parametrize("case", LAMBDA_CASES)
def test_corpus_lambda(case: dict[str, Any], core: IntakeCore, store: DirectoryStore, load_event):
    event = load_event("rest_v1_intake.json")
    event["httpMethod"] = case.get("method", "POST")
    event["resource"] = case.get("path", "/v1/profiles")
    event["headers"] = case.get("headers", {"content-type": "application/json"})
    body = build_body(case)
    if case.get("gateway_base64"):
        event["body"] = body.decode("ascii")
        event["isBase64Encoded"] = True
    else:
        event["body"] = base64.b64encode(body).decode()
        event["isBase64Encoded"] = True
    result = handle_event(core, event, None, {})

    assert result["statusCode"] == case["expect"]["status"]
    assert json.loads(result["body"])["error"] == case["expect"]["error"]
    assert store.list("") == []


def test_corpus_has_three_per_category():
    counts: dict[str, int] = {}
    for case_id, _ in CASES:
        category = case_id.split("/")[0]
        counts[category] = counts.get(category, 0) + 1
    assert len(counts) >= 9
    assert min(counts.values()) >= 3


def test_valid_request_is_stored(make_endpoint, store: DirectoryStore):
    endpoint = make_endpoint("bearer")
    body = b'{"profiles":[{"identities":[{"type":"acme_uid","id":"U-1"}]}]}'
    headers = {"content-type": "application/json", "authorization": VALID_HEADERS["bearer"]}
    response = endpoint.handle("POST", "/v1/profiles", headers, body)
    assert response.status == 201
    assert len(store.list("acme/payloads/")) == 1


AUTH_RUNS = [
    pytest.param(case, mode, id=f"{case_id}[{mode}]")
    for case_id, case in CASES
    if case.get("auth", "valid") != "valid" and case["expect"]["status"] == 401
    for mode in case.get("modes", MODES)
]


@pytest.mark.parametrize(("case", "mode"), AUTH_RUNS)
def test_corpus_lambda_authorizer(case: dict[str, Any], mode: str, make_endpoint, signer, load_event):
    """Every credential the local endpoint rejects is also denied by the Lambda authorizer's event handling."""
    endpoint = make_endpoint(mode)
    header = authorization_for(case, mode, signer, lambda: pytest.fail("a rejected case needs no valid token"))
    request_event = load_event("http_v2_request_authorizer.json", authorization=header or "")
    if header is None:
        del request_event["headers"]["authorization"]
    token_event = load_event("rest_token_authorizer.json", authorization=header or "")

    assert authorizer.authorize(endpoint.authenticator, request_event) == {"isAuthorized": False}
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer.authorize(endpoint.authenticator, token_event)
