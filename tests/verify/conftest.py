"""Fixtures for destkit verify: destkit serve, moto with IAM enforced, Azurite and SFTP on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from azure.storage.blob import BlobServiceClient
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from tests.helpers.moto_server import MotoServer, start_moto
from tests.verify.emulators import Azurite, SftpServer, azurite, sftp_server

from destkit.aws.dropzone import writer_policy

TENANTS = ("tenant-1", "tenant-2")
BUCKET = "destkit-verify-dropzone"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
REGION = "us-east-1"
# Requests moto serves without authentication: the bucket, then an administrator user with an
# inline allow-all policy and its access key. Every later request is authorised against IAM.
SETUP_REQUESTS = 4


@dataclass
class Serve:
    process: subprocess.Popen[str]
    ready: dict[str, Any]


def start_serve(auth: str, tenants: int = 2) -> Serve:
    """Start ``destkit serve`` as a subprocess on 127.0.0.1 and read its ready line."""
    process = subprocess.Popen(
        [sys.executable, "-m", "destkit.cli", "serve", "--auth", auth, "--tenants", str(tenants), "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.kill()
        process.wait(timeout=5)
        raise RuntimeError(f"destkit serve exited with status {process.poll()} before printing its ready line")
    return Serve(process, json.loads(line))


def stop_process(process: subprocess.Popen[Any]) -> None:
    if process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@pytest.fixture(scope="module")
def serve_oauth2() -> Iterator[Serve]:
    serve = start_serve("oauth2")
    yield serve
    stop_process(serve.process)


def streaming_outputs(ready: dict[str, Any]) -> dict[str, Any]:
    """Keep only the stack output names from the serve ready line (drop the singular first-tenant copies)."""
    names = (
        "url",
        "auth_type",
        "token_url",
        "scope",
        "client_ids",
        "client_secrets",
        "tokens",
        "usernames",
        "passwords",
        "audience_api_url",
        "max_body_bytes",
        "tenants",
    )
    return {name: ready[name] for name in names if name in ready}


@dataclass
class MotoIam:
    server: MotoServer
    admin: dict[str, str]

    def client(self, service: str, key: dict[str, str]) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.server.endpoint_url,
            region_name=REGION,
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
        )

    def writer_key(self, name: str, policy: dict[str, Any]) -> dict[str, str]:
        iam = self.client("iam", self.admin)
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="writer", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return {"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}


@pytest.fixture(scope="module")
def moto_iam() -> Iterator[MotoIam]:
    server = start_moto(initial_no_auth_action_count=SETUP_REQUESTS)
    try:
        bootstrap = MotoIam(server, {"AccessKeyId": "testing", "SecretAccessKey": "testing"})
        bootstrap.client("s3", bootstrap.admin).create_bucket(Bucket=BUCKET)
        iam = bootstrap.client("iam", bootstrap.admin)
        iam.create_user(UserName="admin")
        iam.put_user_policy(
            UserName="admin",
            PolicyName="administrator",
            PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
            ),
        )
        key = iam.create_access_key(UserName="admin")["AccessKey"]
        yield MotoIam(server, {"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]})
    finally:
        server.stop()


def tenant_writer_policy(tenant: str, without: str | None = None) -> dict[str, Any]:
    """The kit's writer policy for ``tenant``, optionally with one S3 action removed."""
    policy = writer_policy(BUCKET_ARN, tenant, KEY_ARN, REGION)
    if without is None:
        return policy
    for statement in policy["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        statement["Action"] = [action for action in actions if action != without] or ["s3:GetBucketLocation"]
    return policy


def s3_outputs(moto: MotoIam, label: str, without: str | None = None) -> dict[str, Any]:
    """Create one writer per tenant (user names made unique by ``label``) and return the S3 outputs."""
    keys = {tenant: moto.writer_key(f"{label}-{tenant}", tenant_writer_policy(tenant, without)) for tenant in TENANTS}
    return {
        "s3_bucket": BUCKET,
        "s3_prefixes": {tenant: f"{tenant}/" for tenant in TENANTS},
        "s3_access_key_ids": {tenant: key["AccessKeyId"] for tenant, key in keys.items()},
        "s3_secret_access_keys": {tenant: key["SecretAccessKey"] for tenant, key in keys.items()},
    }


@pytest.fixture(scope="module")
def blob_emulator() -> Iterator[Azurite]:
    with azurite() as server:
        yield server


def blob_outputs(server: Azurite, label: str) -> dict[str, Any]:
    service = BlobServiceClient.from_connection_string(server.connection_string)
    containers = {tenant: f"{label}-{tenant}" for tenant in TENANTS}
    for name in containers.values():
        service.create_container(name)
    return {
        "blob_connection_strings": {tenant: server.connection_string for tenant in TENANTS},
        "blob_containers": containers,
    }


@dataclass
class SftpFixture:
    server: SftpServer
    keys: dict[str, str]


def rsa_key_pair() -> tuple[str, str]:
    """Return (base64 of the PEM private key, as AEP takes it; OpenSSH public key line)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return base64.b64encode(pem).decode(), public.decode()


@pytest.fixture(scope="module")
def sftp(tmp_path_factory) -> Iterator[SftpFixture]:
    root = tmp_path_factory.mktemp("sftp-root")
    with sftp_server(Path(root)) as server:
        keys = {}
        for tenant in TENANTS:
            private, public = rsa_key_pair()
            server.add_user(tenant, public)
            keys[tenant] = private
        yield SftpFixture(server, keys)


def sftp_outputs(fixture: SftpFixture) -> dict[str, Any]:
    return {
        "sftp_host": "127.0.0.1",
        "sftp_port": fixture.server.port,
        "sftp_usernames": {tenant: tenant for tenant in TENANTS},
        "sftp_private_keys": dict(fixture.keys),
        "sftp_root_directories": {tenant: "/" for tenant in TENANTS},
    }
