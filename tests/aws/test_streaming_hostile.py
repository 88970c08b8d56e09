"""Invalid streaming arguments are rejected with a message naming the value, before any resource.

The pure helpers behind names and ARNs hold for hostile and generated input.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from destkit import naming
from destkit.aws import cognito, gateway
from destkit.aws.packaging import build_layer_archive
from destkit.aws.streaming import StreamingEndpoint, StreamingEndpointArgs, physical_name_problems
from destkit.cli.main import main
from destkit.config import AWS_MAX_BODY_BYTES, AuthMode, ConfigError, CustomDomainConfig, StreamingConfig
from destkit.plan.engine import plan_stack, run_program
from destkit.plan.render import mandatory_violations

KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-4333-8444-555555555555"


def _args(**overrides) -> StreamingEndpointArgs:
    values = {
        "name_prefix": "acme-dev",
        "tenants": ("alpha",),
        "sink_bucket_name": "acme-dev-sink",
        "sink_bucket_arn": "arn:aws:s3:::acme-dev-sink",
        "kms_key_arn": KEY_ARN,
    }
    values.update(overrides)
    return StreamingEndpointArgs(**values)


def _problems(**overrides) -> str:
    return "\n".join(_args(**overrides).problems())


def test_defaults_valid():
    assert _args().problems() == []


def test_audience_api_basic():
    problems = _problems(streaming=StreamingConfig(auth=AuthMode.BASIC, audience_api=True))
    assert "audience_api needs auth oauth2 or bearer" in problems


def test_body_over_lambda_limit():
    problems = _problems(streaming=StreamingConfig(max_body_bytes=AWS_MAX_BODY_BYTES + 1))
    assert f"max_body_bytes {AWS_MAX_BODY_BYTES + 1}" in problems


def test_burst_below_rate():
    problems = _problems(streaming=StreamingConfig(throttle_rate=100, throttle_burst=10))
    assert "throttle_burst 10 is below throttle_rate 100" in problems


def test_external_without_settings():
    problems = _problems(streaming=StreamingConfig(oauth2={"issuer": "external"}))
    assert "streaming.oauth2.external is required" in problems


def test_empty_tenants():
    assert "tenants is empty" in _problems(tenants=())


def test_duplicate_tenants():
    assert "contains duplicates" in _problems(tenants=("alpha", "alpha"))


@pytest.mark.parametrize("tenant", ["../etc", "Alpha", "a b", "a" * 17, "", "1st", "a--b"])
def test_hostile_tenant_id(tenant):
    assert f"tenant id {tenant!r} is invalid" in _problems(tenants=(tenant,))


def test_token_for_unknown_tenant():
    problems = _problems(streaming=StreamingConfig(auth=AuthMode.BEARER), bearer_tokens={"mallory": "x" * 40})
    assert "bearer_tokens names unknown tenants ['mallory']" in problems


@pytest.mark.parametrize("token", ["a" * 32 + " b", "a" * 32 + "!", "é" * 32, "a" * 32 + "\n"])
def test_bearer_token_charset(token):
    problems = _problems(streaming=StreamingConfig(auth=AuthMode.BEARER), bearer_tokens={"alpha": token})
    assert "bearer_tokens.alpha contains characters" in problems
    assert token not in problems


def test_bearer_token_valid():
    assert _problems(streaming=StreamingConfig(auth=AuthMode.BEARER), bearer_tokens={"alpha": "A9-._~+/" * 5}) == ""


def test_domain_without_certificate_or_zone():
    problems = _problems(
        streaming=StreamingConfig(custom_domain=CustomDomainConfig(domain_name="intake.example.com"))
    )
    assert "set certificate_arn" in problems


@pytest.mark.parametrize("prefix", ["acme dev", "acme/dev", "a" * 60, "acme;rm -rf"])
def test_hostile_name_prefix(prefix):
    assert f"name_prefix {prefix!r} is invalid" in _problems(name_prefix=prefix)


def test_streaming_disabled():
    assert "streaming.enabled is false" in _problems(streaming=StreamingConfig(enabled=False))


def test_invalid_args_register_nothing(tmp_path):
    registered: list[object] = []

    def program() -> None:
        registered.append(StreamingEndpoint("acme-dev", _args(tenants=(), build_dir=tmp_path)))

    with pytest.raises(ConfigError, match="tenants is empty"):
        run_program(program)
    assert registered == []


def test_token_validity_over_cognito_max():
    with pytest.raises(ValueError, match="Cognito accepts 1 to 24 hours"):
        cognito.create_managed_issuer(
            "x",
            name_prefix="x",
            tenants=["a"],
            scope_name="ingest",
            token_validity_hours=25,
            region="us-east-1",
            protect=True,
            tags={},
            parent=None,  # type: ignore[arg-type]
        )


# -- pure helpers ---------------------------------------------------------------------------------


def test_source_arn_path_parameter():
    route = gateway.Route("PUT", "/v1/audiences/{id}")
    arn = gateway.source_arn("arn:aws:execute-api:us-east-1:123456789012:abc", "live", route)
    assert arn == "arn:aws:execute-api:us-east-1:123456789012:abc/live/PUT/v1/audiences/*"


def test_resource_paths_parents_first():
    routes = gateway.endpoint_routes(audience_api=True)
    assert gateway.resource_paths(routes) == ["/v1", "/v1/audiences", "/v1/profiles", "/v1/audiences/{id}"]


def test_deployment_hash_changes():
    assert gateway.deployment_hash({"routes": ["POST /a"]}) != gateway.deployment_hash(
        {"routes": ["POST /b"]}
    )


def test_challenge_per_mode():
    assert gateway.www_authenticate(AuthMode.BEARER).startswith("Bearer ")
    assert gateway.www_authenticate(AuthMode.OAUTH2).startswith("Bearer ")
    assert gateway.www_authenticate(AuthMode.BASIC).startswith("Basic ")


def test_identity_pattern_rejects_other_scheme():
    pattern = re.compile(gateway.IDENTITY_PATTERNS[AuthMode.BEARER])
    assert pattern.match("Bearer abc.def-ghi_jkl")
    assert not pattern.match("Basic YWxhZGRpbjpvcGVuc2VzYW1l")
    assert not pattern.match("Bearer abc def")


@pytest.mark.parametrize("prefix", ["aws-dev", "amazon-prod", "cognito-x", "my-aws-amazon-cognito"])
def test_cognito_domain_reserved_words(prefix):
    assert naming.cognito_domain_problem(cognito.domain_prefix(prefix, "abcd1234")) is None


_NAME = st.from_regex(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", fullmatch=True).filter(lambda s: 3 <= len(s) <= 20)
_ENV = st.from_regex(r"[a-z][a-z0-9]{1,7}", fullmatch=True)
_SUFFIX = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=8, max_size=8)


@given(name=_NAME, environment=_ENV, suffix=_SUFFIX)
def test_cognito_domain_valid(name, environment, suffix):
    assert naming.cognito_domain_problem(cognito.domain_prefix(f"{name}-{environment}", suffix)) is None


@given(name=_NAME, environment=_ENV)
def test_stack_component_names_valid(name, environment):
    # The AWS stack names the component "<name>-<environment>-streaming".
    assert physical_name_problems(f"{name}-{environment}-streaming") == []


def test_long_component_name_rejected():
    problems = physical_name_problems("a" * 50)
    assert problems
    assert "component name" in problems[0]


EXTERNAL_STACK = """\
config:
  aws:region: eu-west-1
  destkit:destination:
    name: acme
    cloud: aws
  destkit:streaming:
    auth: oauth2
    oauth2:
      issuer: external
      external:
        issuer_url: https://idp.example.test/
        jwks_url: https://idp.example.test/jwks.json
        token_url: https://idp.example.test/token
        audience: aep-intake
        tenant_by_client_id:
          client-a: default
"""


def _project(root: Path, stack_file: str) -> Path:
    """Write a one-stack Pulumi project that runs the kit's program; return its directory."""
    project = "name: streaming-check\nruntime: python\nmain: program/\nstackConfigDir: stacks\n"
    (root / "Pulumi.yaml").write_text(project)
    (root / "program").mkdir()
    (root / "program" / "__main__.py").write_text("from destkit.program import run\n\nrun()\n")
    (root / "stacks").mkdir()
    (root / "stacks" / "Pulumi.ext.yaml").write_text(stack_file)
    return root


def test_plan_without_layer_exits_2(tmp_path, capsys):
    _project(tmp_path, EXTERNAL_STACK)
    status = main(["plan", "--stack", "ext", "--project-dir", str(tmp_path)])
    assert status == 2
    assert "destkit aws build-layer" in capsys.readouterr().err


STREAMING_VARIANTS = {
    "bearer-audiences": "    auth: bearer\n    audience_api: true\n",
    "basic-http": "    auth: basic\n    api_flavor: http\n",
    "managed-http": "    api_flavor: http\n",
    "no-reserved-concurrency": "    auth: bearer\n    reserved_concurrency: null\n",
}


@pytest.mark.parametrize("variant", sorted(STREAMING_VARIANTS))
def test_variant_no_mandatory_violation(tmp_path, variant):
    head = EXTERNAL_STACK.split("  destkit:streaming:")[0]
    root = _project(tmp_path, head + "  destkit:streaming:\n" + STREAMING_VARIANTS[variant])
    result = plan_stack("ext", root)
    assert [(v.control, v.resource) for v in mandatory_violations(result)] == []


def test_external_no_mandatory_violation(tmp_path):
    root = _project(tmp_path, EXTERNAL_STACK)
    wheel = tmp_path / "fakejwt-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("fakejwt/__init__.py", "")
    build_layer_archive([wheel], root / ".destkit" / "build")
    result = plan_stack("ext", root)
    assert [(v.control, v.resource) for v in mandatory_violations(result)] == []
