"""destkit adobe render: the rendered objects, their schemas and the golden files.

Set DESTKIT_UPDATE_GOLDEN=1 to rewrite the golden files after an intended change, then review the diff.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest

from destkit.adobe.objects import RenderSettings
from destkit.adobe.outputs import OutputsError, StackOutputs, load_outputs_file
from destkit.adobe.render import render, validate_rendering
from destkit.adobe.streaming import RenderError, aggregation_policy
from destkit.cli.main import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "adobe"
CLOUDS = ["aws", "azure", "gcp"]


def _outputs(cloud: str) -> StackOutputs:
    return load_outputs_file(FIXTURES / f"outputs-{cloud}.json", f"{cloud}-dev")


def _settings(**overrides) -> RenderSettings:
    values = {
        "name": "destkit-dev",
        "title": "Destkit dev",
        "include_dlz": True,
        "notify_url": "https://notify.example.test/v1/exports",
    }
    values.update(overrides)
    return RenderSettings(**values)


def _objects(document: dict) -> dict[str, dict]:
    return {item["key"]: item["body"] for item in document["objects"]}


@pytest.mark.parametrize("cloud", CLOUDS)
def test_render_matches_golden(cloud):
    document = render(_outputs(cloud), _settings())
    golden = FIXTURES / f"rendering-{cloud}.json"
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if os.environ.get("DESTKIT_UPDATE_GOLDEN") == "1":
        golden.write_text(text)
    assert text == golden.read_text()


@pytest.mark.parametrize("cloud", CLOUDS)
def test_render_validates(cloud):
    assert validate_rendering(render(_outputs(cloud), _settings())) == []


def test_render_objects_per_location():
    keys = set(_objects(render(_outputs("aws"), _settings())))
    expected = {
        "streaming-server",
        "streaming-destination",
        "s3-server",
        "s3-destination",
        "sftp-server",
        "sftp-destination",
        "dlz-server",
        "dlz-destination",
        "audience-template",
        "notify-template",
    }
    assert keys == expected


def test_render_azure_locations():
    keys = set(_objects(render(_outputs("azure"), _settings(include_dlz=False))))
    assert {"blob-server", "blob-destination", "adls-server", "adls-destination"} <= keys
    assert "dlz-server" not in keys


def test_render_servers_before_destinations():
    kinds = [item["kind"] for item in render(_outputs("aws"), _settings())["objects"]]
    assert kinds.index("destination") > max(i for i, k in enumerate(kinds) if k != "destination")


def test_streaming_auth_oauth2():
    auth = _objects(render(_outputs("aws"), _settings()))["streaming-destination"][
        "customerAuthenticationConfigurations"
    ][0]
    assert auth["authType"] == "OAUTH2"
    assert auth["grant"] == "OAUTH2_CLIENT_CREDENTIALS"
    assert auth["accessTokenUrl"] == "https://intake.example.test/oauth/token"
    assert auth["scope"] == ["destkit/ingest"]


@pytest.mark.parametrize(("cloud", "auth_type"), [("azure", "BEARER"), ("gcp", "BASIC")])
def test_streaming_auth_types(cloud, auth_type):
    auth = _objects(render(_outputs(cloud), _settings()))["streaming-destination"][
        "customerAuthenticationConfigurations"
    ]
    assert auth == [{"authType": auth_type}]


def test_basic_with_audience_api_rejected():
    outputs = _outputs("gcp")
    values = dict(outputs.values, audience_api_url="https://intake.example.test")
    with pytest.raises(RenderError, match="oauth2 or bearer"):
        render(StackOutputs("gcp-dev", values, False), _settings())


def test_audience_template_maps_external_id():
    template = _objects(render(_outputs("aws"), _settings()))["audience-template"]["metadataTemplate"]
    assert template["create"]["responseFields"] == [{"name": "externalAudienceId", "value": "{{body.id}}"}]
    assert template["create"]["url"] == "https://intake.example.test/v1/audiences"
    assert template["delete"]["url"] == "https://intake.example.test/v1/audiences/{{segment.alias}}"
    assert template["delete"]["httpMethod"] == "DELETE"


def test_streaming_references_audience_template():
    destination = _objects(render(_outputs("aws"), _settings()))["streaming-destination"]
    assert destination["segmentMappingConfig"]["audienceTemplateId"] == "$ref:audience-template"


def test_batch_references_notify_template():
    destination = _objects(render(_outputs("aws"), _settings()))["s3-destination"]
    assert destination["segmentMappingConfig"]["audienceTemplateId"] == "$ref:notify-template"


def test_no_notify_without_url():
    keys = _objects(render(_outputs("aws"), _settings(notify_url=None)))
    assert "notify-template" not in keys
    assert "audienceTemplateId" not in keys["s3-destination"]["segmentMappingConfig"]


def test_dlz_has_no_authentication():
    destination = _objects(render(_outputs("aws"), _settings()))["dlz-destination"]
    assert destination["customerAuthenticationConfigurations"] == []
    assert destination["destinationDelivery"][0]["authenticationRule"] == "NONE"


def test_s3_bucket_fixed_path_from_customer():
    spec = _objects(render(_outputs("aws"), _settings()))["s3-server"]["fileBasedS3Destination"]
    assert spec["bucket"] == {"templatingStrategy": "NONE", "value": "destkit-dev-dropzone"}
    assert spec["path"] == {"templatingStrategy": "PEBBLE_V1", "value": "{{customerData.path}}"}


def test_sftp_spec_fields():
    spec = _objects(render(_outputs("aws"), _settings()))["sftp-server"]["fileBasedSFTPDestination"]
    assert spec["hostName"]["value"] == "sftp.example.test"
    assert spec["port"] == 22
    assert spec["encryptionMode"] == "None"


def test_batch_schedules_differ():
    objects = _objects(render(_outputs("aws"), _settings()))
    s3 = objects["s3-destination"]["batchConfig"]["allowedScheduleFrequency"]
    sftp = objects["sftp-destination"]["batchConfig"]["allowedScheduleFrequency"]
    assert s3 != sftp


def test_batch_file_options_differ():
    objects = _objects(render(_outputs("aws"), _settings()))
    fields = {
        key: {f["name"]: f for f in objects[key]["customerDataFields"]}
        for key in ("s3-destination", "sftp-destination")
    }
    assert fields["s3-destination"]["compression"]["enum"] == ["none", "gzip", "bzip2", "lz4", "snappy"]
    assert fields["sftp-destination"]["compression"]["enum"] == ["none", "gzip", "bzip2"]
    assert fields["sftp-destination"]["fileType"]["enum"] == ["csv", "json"]


def test_adls_defaults_to_parquet():
    fields = {
        f["name"]: f for f in _objects(render(_outputs("azure"), _settings()))["adls-destination"]["customerDataFields"]
    }
    assert fields["fileType"]["default"] == "parquet"
    assert fields["compression"]["default"] == "snappy"


def test_secrets_masked_by_default():
    text = json.dumps(render(_outputs("aws"), _settings()))
    for secret in ("secret-acme-0001", "acme-secret-key-example", "LS0tLS1CRUdJTi1hY21l"):
        assert secret not in text


def test_secrets_included_on_request():
    document = render(_outputs("aws"), _settings(include_secrets=True))
    assert document["connections"]["acme"]["s3"]["secretAccessKey"] == "acme-secret-key-example"
    assert document["connections"]["globex"]["streaming"]["clientSecret"] == "secret-globex-0002"


def test_connection_sheet_per_tenant():
    sheet = render(_outputs("aws"), _settings())["connections"]
    assert sheet["acme"]["s3"]["path"] == "acme/exports"
    assert sheet["globex"]["sftp"]["rootDirectory"] == "/globex"
    assert sheet["acme"]["s3"]["secretAccessKey"] == "[secret]"


@pytest.mark.parametrize(
    ("max_body", "expected_type", "field", "value"),
    [
        (4_500_000, "BEST_EFFORT", "maxUsersPerRequest", 274),
        (20_000_000, "CONFIGURABLE_AGGREGATION", "maxNumEventsInBatch", 1220),
        (500_000_000, "CONFIGURABLE_AGGREGATION", "maxNumEventsInBatch", 10000),
        (32_768, "BEST_EFFORT", "maxUsersPerRequest", 2),
    ],
)
def test_aggregation_fits_body(max_body, expected_type, field, value):
    policy = aggregation_policy(max_body, 16384)
    block = policy["bestEffortAggregation" if expected_type == "BEST_EFFORT" else "configurableAggregation"]
    assert policy["aggregationType"] == expected_type
    assert block[field] == value
    assert block[field] * 16384 <= max_body


def test_aggregation_age_meets_both_minimums():
    policy = aggregation_policy(100_000_000, 16384)
    assert policy["configurableAggregation"]["maxBatchAgeInSecs"] == 1800


def test_aggregation_body_too_small():
    with pytest.raises(RenderError, match=r"raise destkit:streaming\.max_body_bytes"):
        aggregation_policy(20_000, 16384)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("max_body_bytes", "big", "expected a positive integer"),
        ("max_body_bytes", True, "expected a positive integer"),
        ("auth_type", "digest", "auth_type is 'digest'"),
        ("token_url", None, "token_url is missing"),
        ("tenants", "acme", "expected a list of tenant ids"),
        ("s3_prefixes", ["acme"], "must be a map keyed by tenant id"),
    ],
)
def test_bad_outputs_rejected(name, value, message):
    values = copy.deepcopy(_outputs("aws").values)
    values[name] = value
    with pytest.raises((RenderError, OutputsError), match=message):
        render(StackOutputs("aws-dev", values, False), _settings())


def test_no_streaming_without_url():
    values = dict(_outputs("aws").values, url=None, audience_api_url=None)
    keys = _objects(render(StackOutputs("aws-dev", values, False), _settings()))
    assert "streaming-server" not in keys
    assert "s3-server" in keys


def test_empty_outputs_rejected():
    with pytest.raises(RenderError, match="nothing to render"):
        render(StackOutputs("x", {"tenants": ["a"]}, False), _settings(include_dlz=False, notify_url=None))


def test_schema_catches_bad_enum():
    document = render(_outputs("aws"), _settings())
    document["objects"][0]["body"]["destinationServerType"] = "FILE_BASED_FTP"
    assert validate_rendering(document) != []


def test_schema_catches_dangling_ref():
    document = render(_outputs("aws"), _settings())
    document["objects"] = [item for item in document["objects"] if item["key"] != "s3-server"]
    problems = validate_rendering(document)
    assert any("$ref:s3-server names no object" in problem for problem in problems)


def test_schema_catches_short_batch_age():
    document = render(_outputs("aws"), _settings())
    streaming = _objects(document)["streaming-destination"]
    streaming["aggregation"] = {
        "aggregationType": "CONFIGURABLE_AGGREGATION",
        "configurableAggregation": {
            "splitUserById": False,
            "maxBatchAgeInSecs": 301,
            "maxNumEventsInBatch": 5000,
            "aggregationKey": {},
        },
    }
    assert validate_rendering(document) != []


def test_placeholders_marked():
    outputs = StackOutputs("aws-dev", _outputs("aws").values, True)
    document = render(outputs, _settings())
    assert document["placeholders"] is True
    assert "offline plan" in document["notes"][0]


def test_cli_render_prints(capsys):
    status = main(["adobe", "render", "--stack", "aws-dev", "--outputs", str(FIXTURES / "outputs-aws.json")])
    document = json.loads(capsys.readouterr().out)
    assert status == 0
    assert validate_rendering(document) == []


def test_cli_render_file_mode(tmp_path):
    target = tmp_path / "rendering.json"
    arguments = [
        "adobe",
        "render",
        "--stack",
        "aws-dev",
        "--outputs",
        str(FIXTURES / "outputs-aws.json"),
        "--include-secrets",
        "--output",
        str(target),
    ]
    assert main(arguments) == 0
    assert target.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--name", "Bad_Name"], "name 'Bad_Name' is invalid"),
        (["--profile-bytes", "0"], "--profile-bytes 0"),
        (["--notify-url", "http://x.test/n"], "must be an https:// URL"),
    ],
)
def test_cli_render_usage(extra, message, capsys):
    arguments = ["adobe", "render", "--stack", "aws-dev", "--outputs", str(FIXTURES / "outputs-aws.json"), *extra]
    assert main(arguments) == 2
    assert message in capsys.readouterr().err


def test_cli_outputs_not_json(tmp_path, capsys):
    bad = tmp_path / "outputs.json"
    bad.write_text("{not json")
    assert main(["adobe", "render", "--stack", "x", "--outputs", str(bad)]) == 2
    assert "pulumi stack output --json --show-secrets" in capsys.readouterr().err


def test_cli_outputs_missing(tmp_path, capsys):
    assert main(["adobe", "render", "--stack", "x", "--outputs", str(tmp_path / "none.json")]) == 2
    assert "cannot read outputs file" in capsys.readouterr().err


def test_render_from_offline_plan(capsys):
    """The offline plan of the aws-dev stack renders placeholders that still validate."""
    status = main(["adobe", "render", "--stack", "aws-dev"])
    document = json.loads(capsys.readouterr().out)
    assert status == 0
    assert document["placeholders"] is True
    assert validate_rendering(document) == []
    assert {"streaming-server", "s3-server", "sftp-server"} <= set(_objects(document))


def test_render_unknown_stack(capsys):
    assert main(["adobe", "render", "--stack", "no-such-stack"]) == 2
    assert "no-such-stack" in capsys.readouterr().err
