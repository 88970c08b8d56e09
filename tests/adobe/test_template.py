"""The Pebble message template renders the default payload that the intake accepts.

Profiles follow the target-schema shape AEP passes to templates: segmentMembership by namespace with
realized, existing and exited statuses, identityMap by namespace, freeform attributes as
``{"value": ...}`` (``{}`` when missing) and predefined attributes as plain values.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from destkit.adobe.pebble import PebbleError, render
from destkit.adobe.streaming import message_template, template_source
from destkit.runtime.payload import count_profiles, parse_json

PAYLOAD_SCHEMA = json.loads(resources.files("destkit.runtime").joinpath("schemas/payload.schema.json").read_text())

AUDIENCE_IN = "0a1b2c3d-0000-4000-8000-000000000001"
AUDIENCE_OUT = "0a1b2c3d-0000-4000-8000-000000000002"
AUDIENCE_STILL = "0a1b2c3d-0000-4000-8000-000000000003"
UPLOADED = "5f0c0000-0000-4000-8000-00000000000a"

# One profile in the target-schema shape of Adobe's message-format page: two audience namespaces,
# all three statuses, two identity namespaces, a freeform attribute and a missing one.
DOCUMENTED = json.loads((Path(__file__).resolve().parents[1] / "fixtures/adobe/profile-documented.json").read_text())


def _render(profiles: list[dict]) -> dict:
    body = render(message_template(), {"input": {"profiles": profiles}})
    return json.loads(body)


def _accepted(document: dict) -> int:
    """Run the intake's own validation and the payload schema; return the profile count."""
    errors = list(Draft202012Validator(PAYLOAD_SCHEMA).iter_errors(document))
    assert errors == []
    return count_profiles(parse_json(json.dumps(document).encode()))


def test_documented_profile_accepted():
    assert _accepted(_render([DOCUMENTED])) == 1


def test_documented_identities():
    profile = _render([DOCUMENTED])["profiles"][0]
    assert profile["identities"] == [
        {"type": "acme_uid", "id": "U-100234"},
        {"type": "email_sha256", "id": "9f2ce41a"},
    ]


def test_all_three_statuses():
    segments = _render([DOCUMENTED])["profiles"][0]["AdobeExperiencePlatformSegments"]
    assert segments["add"] == [AUDIENCE_IN, AUDIENCE_STILL, UPLOADED]
    assert segments["remove"] == [AUDIENCE_OUT]


def test_attributes_freeform_and_missing():
    attributes = _render([DOCUMENTED])["profiles"][0]["attributes"]
    assert attributes == {"tier": "gold", "postcode": None}


def test_predefined_attributes():
    profile = dict(DOCUMENTED, attributes={"city": "Zürich", "score": 7, "gone": None})
    attributes = _render([profile])["profiles"][0]["attributes"]
    assert attributes == {"city": "Zürich", "score": "7", "gone": None}


def test_empty_lists_and_maps():
    profile = {
        "segmentMembership": {"ups": {}},
        "identityMap": {"empty_first": [], "acme_uid": [{"id": "U-1"}], "empty_last": []},
        "attributes": {},
    }
    document = _render([profile])
    assert _accepted(document) == 1
    assert document["profiles"][0]["AdobeExperiencePlatformSegments"] == {"add": [], "remove": []}


def test_missing_sections():
    document = _render([{"identityMap": {"acme_uid": [{"id": "U-1"}]}}])
    assert _accepted(document) == 1
    assert document["profiles"][0]["attributes"] == {}


def test_profile_without_identity_skipped():
    profiles = [{"identityMap": {}}, {"identityMap": {"acme_uid": [{"id": ""}]}}, DOCUMENTED, {"identityMap": {}}]
    assert _accepted(_render(profiles)) == 1


def test_many_profiles_commas():
    profiles = [DOCUMENTED, {"identityMap": {}}, DOCUMENTED, DOCUMENTED]
    assert _accepted(_render(profiles)) == 3


@pytest.mark.parametrize(
    "hostile",
    [
        'quote " and backslash \\',
        "new\nline\ttab\rreturn",
        "control \u0001\u001f",
        "unicode ü € 𝄞 \u2028",
        "{{ input.profiles }} {% if %}",
        '"}]},{"identities":[{"type":"x","id":"injected"}]}',
        "</script>&<>'",
    ],
)
def test_escaping_hostile_values(hostile):
    profile = {
        "segmentMembership": {"ups": {hostile: {"status": "realized"}}},
        "identityMap": {hostile: [{"id": hostile}]},
        "attributes": {hostile: {"value": hostile}},
    }
    document = _render([profile])
    rendered = document["profiles"][0]
    assert _accepted(document) == 1
    assert rendered["identities"] == [{"type": hostile, "id": hostile}]
    assert rendered["AdobeExperiencePlatformSegments"]["add"] == [hostile]
    assert rendered["attributes"] == {hostile: hostile}


def test_file_and_registered_template_agree():
    profiles = [DOCUMENTED, {"identityMap": {}}, DOCUMENTED]
    file_output = render(template_source(), {"input": {"profiles": profiles}})
    assert json.loads(file_output) == _render(profiles)


def test_registered_template_has_no_comments():
    assert "{#" not in message_template()


# The renderer itself: the subset works as Pebble does, and anything outside it raises.


def test_renderer_loop_variables():
    assert (
        render("{% for x in items %}{{ loop.index }}{% if loop.last %}!{% endif %}{% endfor %}", {"items": ["a", "b"]})
        == "01!"
    )


def test_renderer_map_entries():
    assert render("{% for e in m %}{{ e.key }}={{ e.value }};{% endfor %}", {"m": {"a": 1, "b": 2}}) == "a=1;b=2;"


def test_renderer_set_updates_outer():
    source = "{% set n = false %}{% for x in xs %}{% set n = true %}{% endfor %}{% if n %}yes{% endif %}"
    assert render(source, {"xs": [1]}) == "yes"


def test_renderer_for_else():
    assert render("{% for x in xs %}{{ x }}{% else %}none{% endfor %}", {"xs": []}) == "none"


def test_renderer_whitespace_control():
    assert render("a  {%- if true -%}  b  {%- endif -%}  c", {}) == "abc"


def test_renderer_added_filter():
    membership = {"a": {"status": "realized"}, "b": {"status": "exited"}, "c": {"status": "existing"}}
    source = "{% for s in m | added %}{{ s.key }}{% endfor %}|{% for s in removedSegments(m) %}{{ s.key }}{% endfor %}"
    assert render(source, {"m": membership}) == "ac|b"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{% include 'x' %}", "unsupported or misplaced tag 'include'"),
        ("{{ x | sha256 }}", "unsupported filter 'sha256'"),
        ("{{ range(1, 3) }}", "unsupported function 'range'"),
        ("{{ x is odd }}", "unsupported test 'odd'"),
        ("{% for x in xs %}", "expected one of else, endfor"),
        ("{% if true %}a", "expected one of elseif, else, endif"),
        ("{{ x ", "unclosed tag"),
        ("{{ x %}", "is closed by"),
        ("{{ x y }}", "unexpected 'y'"),
        ("{{ x | escape(strategy='html') }}", "strategy 'html' is not supported"),
        ("{% set = 1 %}", "malformed set tag"),
    ],
)
def test_renderer_rejects(source, message):
    with pytest.raises(PebbleError, match=message):
        render(source, {"x": "v", "xs": [1]})


def test_renderer_non_boolean_condition():
    with pytest.raises(PebbleError, match="must be a boolean"):
        render("{% if x %}a{% endif %}", {"x": "text"})
