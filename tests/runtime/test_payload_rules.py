"""Body decoding and the default payload rules, checked against the JSON Schema they implement."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from destkit.runtime.core import IntakeCore, IntakeSettings, Request
from destkit.runtime.errors import RequestError
from destkit.runtime.payload import check_passthrough, count_profiles, decode_body, parse_json

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "infra/destkit/runtime/schemas/payload.schema.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text("utf-8"))
PAYLOADS = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "payloads").glob("*.json"))


class MemoryStore:
    """Only the create-only write the intake uses; keeps each fuzz example free of disk work."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put_if_absent(self, key: str, data: bytes, metadata: dict[str, str]) -> bool:
        created = key not in self.objects
        self.objects.setdefault(key, data)
        return created


def rules_accept(document: object) -> bool:
    try:
        count_profiles(document)
    except RequestError:
        return False
    return True


def schema_accepts(document: object) -> bool:
    return jsonschema.Draft202012Validator(SCHEMA).is_valid(document)


def test_schema_is_valid_draft_2020_12():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", PAYLOADS, ids=lambda path: path.stem)
def test_payload_fixture_verdict(path: Path):
    document = json.loads(path.read_text("utf-8"))
    expected = path.stem.startswith("valid_")
    assert rules_accept(document) is expected
    assert schema_accepts(document) is expected


# Documents built from the schema's vocabulary, including wrong types in every position.
_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=3))
_identity = st.fixed_dictionaries({}, optional={"type": _scalar, "id": _scalar})
_segments = st.one_of(
    _scalar,
    st.fixed_dictionaries({}, optional={"add": st.one_of(_scalar, st.lists(_scalar, max_size=2))}),
)
_profile = st.one_of(
    _scalar,
    st.fixed_dictionaries(
        {},
        optional={
            "identities": st.one_of(_scalar, st.lists(st.one_of(_identity, _scalar), max_size=2)),
            "AdobeExperiencePlatformSegments": _segments,
            "attributes": st.one_of(_scalar, st.dictionaries(st.text(max_size=2), _scalar, max_size=2)),
        },
    ),
)
_document = st.one_of(
    _scalar,
    st.lists(_profile, max_size=2),
    st.fixed_dictionaries({}, optional={"profiles": st.one_of(_scalar, st.lists(_profile, max_size=3))}),
)


@settings(max_examples=400, deadline=None)
@given(_document)
def test_rules_agree_with_schema(document: object):
    assert rules_accept(document) == schema_accepts(document)


def test_invalid_payload_names_path():
    with pytest.raises(RequestError) as raised:
        count_profiles({"profiles": [{"identities": [{"type": "a", "id": "1"}]}, {"identities": [{"type": 1}]}]})
    assert raised.value.code == "invalid_payload"
    assert "$.profiles[1].identities[0].type" in raised.value.message


def test_count_profiles_returns_length():
    document = {"profiles": [{"identities": [{"type": "a", "id": str(n)}]} for n in range(7)]}
    assert count_profiles(document) == 7


def test_passthrough_accepts_array():
    assert check_passthrough([1, 2, 3]) == 0


def test_passthrough_rejects_scalar():
    with pytest.raises(RequestError) as raised:
        check_passthrough("profiles")
    assert raised.value.code == "invalid_payload"


def test_decode_body_base64_gzip():
    raw = base64.b64encode(gzip.compress(b'{"profiles": []}'))
    assert decode_body(raw, True, 1000, 1000) == b'{"profiles": []}'


def test_decode_body_limit_before_gunzip():
    with pytest.raises(RequestError) as raised:
        decode_body(gzip.compress(b"x" * 5000), False, 20, 10_000)
    assert raised.value.code == "payload_too_large"


def test_decode_body_bomb_stops_at_limit():
    bomb = gzip.compress(b"\0" * 5_000_000)
    with pytest.raises(RequestError) as raised:
        decode_body(bomb, False, len(bomb), 100_000)
    assert raised.value.code == "decompressed_too_large"


def test_decode_body_two_gzip_members():
    with pytest.raises(RequestError) as raised:
        decode_body(gzip.compress(b"{}") + gzip.compress(b"{}"), False, 1000, 1000)
    assert raised.value.code == "invalid_gzip"


def test_parse_json_rejects_nan():
    with pytest.raises(RequestError) as raised:
        parse_json(b'{"profiles": NaN}')
    assert raised.value.code == "invalid_json"


def test_parse_json_rejects_utf16():
    with pytest.raises(RequestError) as raised:
        parse_json('{"profiles": []}'.encode("utf-16"))
    assert raised.value.code == "invalid_encoding"


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=300), is_base64=st.booleans(), gzip_it=st.booleans())
def test_arbitrary_bytes_never_5xx(body: bytes, is_base64: bool, gzip_it: bool):
    store = MemoryStore()
    core = IntakeCore(store, IntakeSettings(max_body_bytes=1024, max_decompressed_bytes=4096))
    raw = gzip.compress(body) if gzip_it else body
    raw = base64.b64encode(raw) if is_base64 else raw
    response = core.handle(Request("POST", "/v1/profiles", {}, raw, is_base64=is_base64, tenant="acme"))
    assert response.status < 500
    assert (response.status in (200, 201)) == bool(store.objects)


@settings(max_examples=200, deadline=None)
@given(_document)
def test_arbitrary_documents_never_5xx(document: object):
    store = MemoryStore()
    body = json.dumps(document).encode()
    response = IntakeCore(store).handle(Request("POST", "/v1/profiles", {}, body, tenant="acme"))
    assert response.status in (201, 422)
    assert (response.status == 201) == rules_accept(document)
