"""The AEP writer's IAM policy, enforced by moto_server on 127.0.0.1.

moto evaluates the actions and resource ARNs of identity policies once its
``INITIAL_NO_AUTH_ACTION_COUNT`` setup requests are spent. What moto cannot prove:
- conditions are not evaluated, so the optional ``s3:prefix`` limit on ListBucket and the
  ``kms:ViaService`` / encryption-context conditions are asserted as exact documents in
  test_storage_policies.py instead;
- KMS key policies and grants are not evaluated, and the bucket here uses moto's default
  encryption, so SSE-KMS access is not exercised;
- trust policies (Adobe's principal and the sts:ExternalId condition) are not evaluated.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.exceptions
import pytest
from tests.helpers.moto_server import MotoServer, start_moto

from destkit.aws.dropzone import writer_policy

BUCKET = "acme-dev-s3-bucket-1234567"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
REGION = "us-east-1"
PART_SIZE = 5 * 1024 * 1024  # S3's minimum size of every part but the last

# Requests moto serves without authentication: create the bucket, then an administrator user
# with an inline allow-all policy and an access key. Every later request is authorised.
SETUP_REQUESTS = 4


@dataclass
class Moto:
    server: MotoServer
    admin: dict[str, Any]

    def client(self, service: str, credentials: dict[str, Any]) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.server.endpoint_url,
            region_name=REGION,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
        )

    def writer(self, tenant: str, policy: dict[str, Any]) -> Any:
        """Create a user in a group with ``policy`` attached, as S3DropZone does; return its S3 client."""
        iam = self.client("iam", self.admin)
        created = iam.create_policy(PolicyName=f"{tenant}-writer", PolicyDocument=json.dumps(policy))
        policy_arn = created["Policy"]["Arn"]
        iam.create_group(GroupName=f"{tenant}-writers")
        iam.attach_group_policy(GroupName=f"{tenant}-writers", PolicyArn=policy_arn)
        iam.create_user(UserName=f"{tenant}-writer")
        iam.add_user_to_group(GroupName=f"{tenant}-writers", UserName=f"{tenant}-writer")
        key = iam.create_access_key(UserName=f"{tenant}-writer")["AccessKey"]
        return self.client("s3", key)


@pytest.fixture(scope="module")
def moto() -> Iterator[Moto]:
    server = start_moto(initial_no_auth_action_count=SETUP_REQUESTS)
    try:
        bootstrap = Moto(server, {"AccessKeyId": "testing", "SecretAccessKey": "testing"})
        bootstrap.client("s3", bootstrap.admin).create_bucket(Bucket=BUCKET)
        iam = bootstrap.client("iam", bootstrap.admin)
        iam.create_user(UserName="admin")
        iam.put_user_policy(
            UserName="admin",
            PolicyName="test-administrator",
            PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
            ),
        )
        admin = iam.create_access_key(UserName="admin")["AccessKey"]
        harness = Moto(server, admin)
        harness.client("s3", admin).put_object(Bucket=BUCKET, Key="retail-us/export.csv", Body=b"id\n1\n")
        yield harness
    finally:
        server.stop()


@pytest.fixture(scope="module")
def writer(moto: Moto) -> Any:
    return moto.writer("retail-eu", writer_policy(BUCKET_ARN, "retail-eu", KEY_ARN, REGION))


def _error_code(call: Callable[[], Any]) -> str | None:
    try:
        call()
    except botocore.exceptions.ClientError as error:
        return str(error.response["Error"]["Code"])
    return None


def _multipart_upload(client: Any, key: str) -> None:
    upload_id = client.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
    first = client.upload_part(Bucket=BUCKET, Key=key, UploadId=upload_id, PartNumber=1, Body=b"a" * PART_SIZE)
    second = client.upload_part(Bucket=BUCKET, Key=key, UploadId=upload_id, PartNumber=2, Body=b"tail")
    client.list_parts(Bucket=BUCKET, Key=key, UploadId=upload_id)
    client.complete_multipart_upload(
        Bucket=BUCKET,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={
            "Parts": [{"ETag": first["ETag"], "PartNumber": 1}, {"ETag": second["ETag"], "PartNumber": 2}]
        },
    )


def test_setup_keys_rejected_after_setup(moto):
    client = moto.client("s3", {"AccessKeyId": "testing", "SecretAccessKey": "testing"})
    assert _error_code(lambda: client.list_buckets()) == "InvalidAccessKeyId"


def test_writer_puts_in_own_prefix(writer):
    assert _error_code(lambda: writer.put_object(Bucket=BUCKET, Key="retail-eu/a.csv", Body=b"1")) is None


def test_writer_reads_own_prefix(writer):
    writer.put_object(Bucket=BUCKET, Key="retail-eu/read.csv", Body=b"2")
    assert writer.get_object(Bucket=BUCKET, Key="retail-eu/read.csv")["Body"].read() == b"2"


def test_writer_deletes_in_own_prefix(writer):
    writer.put_object(Bucket=BUCKET, Key="retail-eu/old.csv", Body=b"3")
    assert _error_code(lambda: writer.delete_object(Bucket=BUCKET, Key="retail-eu/old.csv")) is None


def test_writer_gets_bucket_location(writer):
    assert _error_code(lambda: writer.get_bucket_location(Bucket=BUCKET)) is None


def test_writer_lists_own_prefix(writer):
    writer.put_object(Bucket=BUCKET, Key="retail-eu/listed.csv", Body=b"4")
    keys = [item["Key"] for item in writer.list_objects_v2(Bucket=BUCKET, Prefix="retail-eu/")["Contents"]]
    assert "retail-eu/listed.csv" in keys


def test_bucket_listing_reaches_other_tenants(writer):
    # Adobe's documented policy grants s3:ListBucket on the whole bucket, so a writer sees other
    # tenants' object names (never their contents). batch.s3.list_scope tenant_prefix narrows it.
    keys = [item["Key"] for item in writer.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert "retail-us/export.csv" in keys


def test_writer_multipart_upload(writer):
    _multipart_upload(writer, "retail-eu/big.parquet")
    size = writer.get_object(Bucket=BUCKET, Key="retail-eu/big.parquet")["ContentLength"]
    assert size == PART_SIZE + 4


def test_other_tenant_put_denied(writer):
    assert _error_code(lambda: writer.put_object(Bucket=BUCKET, Key="retail-us/x.csv", Body=b"1")) == "AccessDenied"


def test_other_tenant_read_denied(writer):
    assert _error_code(lambda: writer.get_object(Bucket=BUCKET, Key="retail-us/export.csv")) == "AccessDenied"


def test_other_tenant_delete_denied(writer):
    assert _error_code(lambda: writer.delete_object(Bucket=BUCKET, Key="retail-us/export.csv")) == "AccessDenied"


def test_other_tenant_multipart_denied(writer):
    assert _error_code(lambda: _multipart_upload(writer, "retail-us/big.parquet")) == "AccessDenied"


def test_prefix_lookalike_denied(writer):
    # "retail-eu-old/" starts with the tenant id but is another prefix.
    assert _error_code(lambda: writer.put_object(Bucket=BUCKET, Key="retail-eu-old/x.csv", Body=b"1")) == "AccessDenied"


def test_bucket_root_put_denied(writer):
    assert _error_code(lambda: writer.put_object(Bucket=BUCKET, Key="x.csv", Body=b"1")) == "AccessDenied"


def test_bucket_admin_denied(writer):
    assert _error_code(lambda: writer.put_bucket_policy(Bucket=BUCKET, Policy="{}")) == "AccessDenied"
    assert _error_code(lambda: writer.delete_bucket(Bucket=BUCKET)) == "AccessDenied"


def test_other_buckets_denied(writer):
    assert _error_code(lambda: writer.list_buckets()) == "AccessDenied"


def _without_action(policy: dict[str, Any], action: str) -> dict[str, Any]:
    statements = []
    for statement in policy["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        remaining = [a for a in actions if a != action]
        if remaining:
            statements.append({**statement, "Action": remaining})
    return {**policy, "Statement": statements}


# Each documented action is needed: without it, the call that uses it is denied. This shows
# that the allowed calls above succeed because of the policy, not because moto allows them.
NEEDED = [
    ("s3:PutObject", lambda c: c.put_object(Bucket=BUCKET, Key="{t}/n.csv", Body=b"1")),
    ("s3:GetObject", lambda c: c.get_object(Bucket=BUCKET, Key="{t}/seed.csv")),
    ("s3:DeleteObject", lambda c: c.delete_object(Bucket=BUCKET, Key="{t}/seed.csv")),
    ("s3:GetBucketLocation", lambda c: c.get_bucket_location(Bucket=BUCKET)),
    ("s3:ListBucket", lambda c: c.list_objects_v2(Bucket=BUCKET, Prefix="{t}/")),
]


@pytest.mark.parametrize(("action", "call"), NEEDED, ids=[action for action, _ in NEEDED])
def test_each_action_needed(moto, action, call):
    tenant = "t-" + action.split(":")[1].lower()
    client = moto.writer(tenant, _without_action(writer_policy(BUCKET_ARN, tenant, KEY_ARN, REGION), action))
    moto.client("s3", moto.admin).put_object(Bucket=BUCKET, Key=f"{tenant}/seed.csv", Body=b"s")

    def bound() -> Any:
        return call(_TenantClient(client, tenant))

    assert _error_code(bound) == "AccessDenied"


def test_list_parts_action_needed(moto):
    tenant = "t-listparts"
    policy = _without_action(writer_policy(BUCKET_ARN, tenant, KEY_ARN, REGION), "s3:ListMultipartUploadParts")
    client = moto.writer(tenant, policy)
    upload_id = client.create_multipart_upload(Bucket=BUCKET, Key=f"{tenant}/p.parquet")["UploadId"]
    code = _error_code(lambda: client.list_parts(Bucket=BUCKET, Key=f"{tenant}/p.parquet", UploadId=upload_id))
    assert code == "AccessDenied"


class _TenantClient:
    """Fill ``{t}`` in Key and Prefix arguments with the tenant id before calling boto3."""

    def __init__(self, client: Any, tenant: str):
        self._client = client
        self._tenant = tenant

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._client, name)

        def call(**kwargs: Any) -> Any:
            for field in ("Key", "Prefix"):
                if field in kwargs:
                    kwargs[field] = kwargs[field].format(t=self._tenant)
            return method(**kwargs)

        return call
