"""The pack's policies inside pulumi_policy's own analyzer, as ``pulumi preview`` drives it.

The analyzer servicer runs in-process without its gRPC server; building a ``PolicyPack`` would
start that server and block, so no test does.
"""

from __future__ import annotations

import datetime as dt

from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel
from pulumi_policy.policy import _PolicyAnalyzerServicer

from destkit.policy import waivers_to_pack_config
from destkit.policy.crossguard import build_policies
from destkit.waivers import Waiver

KEY_URN = "urn:pulumi:dev::aep-destination-kit::aws:kms/key:Key::acme-dev-key"
BUCKET_URN = "urn:pulumi:dev::aep-destination-kit::aws:s3/bucket:Bucket::acme-dev-landing"


def analyzer() -> _PolicyAnalyzerServicer:
    return _PolicyAnalyzerServicer(
        "aep-destination-kit", "0.1.0", build_policies(), EnforcementLevel.MANDATORY
    )


def struct(values: dict) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


def configure(servicer: _PolicyAnalyzerServicer, config: dict) -> None:
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, properties in config.items():
        entry = request.policyConfig[name]
        entry.enforcementLevel = analyzer_pb2.MANDATORY
        entry.properties.update(properties)
    servicer.Configure(request, None)


def analyze_key(servicer: _PolicyAnalyzerServicer, properties: dict) -> list:
    request = analyzer_pb2.AnalyzeRequest(
        type="aws:kms/key:Key", properties=struct(properties), urn=KEY_URN, name="acme-dev-key"
    )
    return list(servicer.Analyze(request, None).diagnostics)


def test_analyzer_reports_mandatory():
    diagnostics = [
        d for d in analyze_key(analyzer(), {"enableKeyRotation": False}) if d.policyName == "kms-rotation"
    ]
    assert len(diagnostics) == 1
    assert diagnostics[0].enforcementLevel == analyzer_pb2.MANDATORY
    assert "enableKeyRotation is not true" in diagnostics[0].message


def test_analyzer_passes_compliant_key():
    diagnostics = analyze_key(analyzer(), {"enableKeyRotation": True, "deletionWindowInDays": 30})
    assert [d.policyName for d in diagnostics] == []


def test_analyzer_honours_waiver_config():
    servicer = analyzer()
    waiver = Waiver(
        "kms-rotation", "acme-dev-key", "keys rotate through the platform's runbook", dt.date(2027, 1, 1)
    )
    configure(servicer, waivers_to_pack_config([waiver]))
    diagnostics = analyze_key(servicer, {"enableKeyRotation": False})
    assert [d.policyName for d in diagnostics if d.policyName == "kms-rotation"] == []


def test_analyzer_stack_policy():
    bucket = analyzer_pb2.AnalyzerResource(
        type="aws:s3/bucket:Bucket",
        properties=struct({"bucket": "acme-dev-landing-1a2b"}),
        urn=BUCKET_URN,
        name="acme-dev-landing",
    )
    response = analyzer().AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[bucket]), None)
    blocked = [d for d in response.diagnostics if d.policyName == "s3-block-public-access"]
    assert len(blocked) == 1
    assert blocked[0].urn == BUCKET_URN
