"""destkit dlz pull: the landing zone is Azurite, Adobe's credentials API and IMS are a fake on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import gzip

import pytest
from azure.storage.blob import BlobServiceClient, ContainerSasPermissions, generate_container_sas
from fake_adobe import CLIENT_ID, CLIENT_SECRET, ORG_ID, SANDBOX, FakeAdobe
from tests.verify.emulators import AZURITE_ACCOUNT, AZURITE_KEY, azurite

from destkit.adobe.dlz import DlzError, LocalTarget
from destkit.cli.main import main
from destkit.files import read_export_bytes

EXPORT = "destkit_0a1b2c3d-0000-4000-8000-000000000001_20250302_081500.csv.gz"
EXPORT_DATA = gzip.compress(b"email,segment\nana@example.com,realized\n")


@pytest.fixture(scope="module")
def blob_emulator():
    with azurite() as server:
        yield server


@pytest.fixture
def landing(blob_emulator, request):
    """A landing-zone container with a read and list SAS, as Adobe's credentials API returns it."""
    service = BlobServiceClient.from_connection_string(blob_emulator.connection_string)
    name = f"dlz-{request.node.name.replace('_', '-')[:40].lower()}"
    container = service.create_container(name)
    sas = generate_container_sas(
        AZURITE_ACCOUNT,
        name,
        account_key=AZURITE_KEY,
        permission=ContainerSasPermissions(read=True, list=True),
        expiry=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
    )
    yield (
        container,
        {
            "containerName": name,
            "SASToken": sas,
            "storageAccountName": AZURITE_ACCOUNT,
            "SASUri": f"{blob_emulator.endpoint}/{name}?{sas}",
        },
    )
    container.delete_container()


@pytest.fixture
def fake(monkeypatch):
    server = FakeAdobe().start()
    monkeypatch.setenv("DESTKIT_ADOBE_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("DESTKIT_ADOBE_CLIENT_SECRET", CLIENT_SECRET)
    yield server
    server.stop()


def _pull(fake: FakeAdobe, target: str, *extra: str) -> int:
    return main(
        [
            "dlz",
            "pull",
            "--to",
            target,
            "--sandbox",
            SANDBOX,
            "--org-id",
            ORG_ID,
            "--platform-url",
            fake.base_url,
            "--ims-url",
            fake.ims_url,
            *extra,
        ]
    )


def test_pull_copies_exports(fake, landing, tmp_path):
    container, credentials = landing
    fake.dlz = credentials
    container.upload_blob(f"exports/{EXPORT}", EXPORT_DATA)
    assert _pull(fake, str(tmp_path)) == 0
    copied = tmp_path / "exports" / EXPORT
    assert copied.read_bytes() == EXPORT_DATA
    assert read_export_bytes(copied.read_bytes(), EXPORT).rows[0]["email"] == "ana@example.com"


def test_pull_skips_copied(fake, landing, tmp_path, capsys):
    container, credentials = landing
    fake.dlz = credentials
    container.upload_blob(EXPORT, EXPORT_DATA)
    _pull(fake, str(tmp_path))
    container.upload_blob("second.csv", b"a\n1\n")
    capsys.readouterr()
    assert _pull(fake, str(tmp_path)) == 0
    output = capsys.readouterr().out
    assert "copied second.csv" in output
    assert "1 copied, 1 already present, 0 failed" in output


def test_pull_recopies_partial(fake, landing, tmp_path):
    container, credentials = landing
    fake.dlz = credentials
    container.upload_blob(EXPORT, EXPORT_DATA)
    (tmp_path / EXPORT).write_bytes(EXPORT_DATA[:5])
    assert _pull(fake, str(tmp_path)) == 0
    assert (tmp_path / EXPORT).read_bytes() == EXPORT_DATA


def test_pull_prefix_filter(fake, landing, tmp_path):
    container, credentials = landing
    fake.dlz = credentials
    container.upload_blob("keep/a.csv", b"a\n")
    container.upload_blob("other/b.csv", b"b\n")
    assert _pull(fake, str(tmp_path), "--prefix", "keep/") == 0
    assert (tmp_path / "keep" / "a.csv").exists()
    assert not (tmp_path / "other").exists()


def test_pull_to_blob_target(fake, landing, blob_emulator, monkeypatch):
    container, credentials = landing
    fake.dlz = credentials
    container.upload_blob(EXPORT, EXPORT_DATA)
    service = BlobServiceClient.from_connection_string(blob_emulator.connection_string)
    target = service.create_container("partner-dropzone")
    monkeypatch.setenv("DESTKIT_DLZ_TARGET_CONNECTION_STRING", blob_emulator.connection_string)
    try:
        assert _pull(fake, "azure-blob://partner-dropzone/from-dlz") == 0
        assert target.download_blob(f"from-dlz/{EXPORT}").readall() == EXPORT_DATA
    finally:
        target.delete_container()


def test_pull_expired_sas(fake, landing, tmp_path, capsys):
    _, credentials = landing
    expired = generate_container_sas(
        AZURITE_ACCOUNT,
        credentials["containerName"],
        account_key=AZURITE_KEY,
        permission=ContainerSasPermissions(read=True, list=True),
        expiry=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
    )
    fake.dlz = dict(credentials, SASUri=credentials["SASUri"].split("?")[0] + "?" + expired)
    assert _pull(fake, str(tmp_path)) == 1
    assert "cannot list the landing zone container" in capsys.readouterr().err


def test_pull_incomplete_credentials(fake, tmp_path, capsys):
    fake.dlz = {"containerName": "dlz-destination"}
    assert _pull(fake, str(tmp_path)) == 1
    assert "lacks storageAccountName, SASUri" in capsys.readouterr().err


def test_local_target_rejects_escape(tmp_path):
    target = LocalTarget(tmp_path)
    with pytest.raises(DlzError, match="would leave the target directory"):
        target.size_of("../escape.csv")


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("s3://", "names no bucket"),
        ("ftp://host/x", "unknown scheme"),
        ("azure-blob://c/p", "DESTKIT_DLZ_TARGET_CONNECTION_STRING"),
    ],
)
def test_pull_bad_target(fake, target, message, capsys, monkeypatch):
    monkeypatch.delenv("DESTKIT_DLZ_TARGET_CONNECTION_STRING", raising=False)
    assert _pull(fake, target) == 2
    assert message in capsys.readouterr().err
    assert fake.calls == []


def test_pull_missing_directory(fake, tmp_path, capsys):
    assert _pull(fake, str(tmp_path / "absent")) == 2
    assert "is not an existing directory" in capsys.readouterr().err


def test_pull_to_s3_target(fake, landing, moto_server, monkeypatch, capsys):
    import boto3

    container, credentials = landing
    fake.dlz = credentials
    container.upload_blob(EXPORT, EXPORT_DATA)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="partner-dropzone")
    assert _pull(fake, "s3://partner-dropzone/from-dlz") == 0
    assert s3.get_object(Bucket="partner-dropzone", Key=f"from-dlz/{EXPORT}")["Body"].read() == EXPORT_DATA
    capsys.readouterr()
    assert _pull(fake, "s3://partner-dropzone/from-dlz") == 0
    assert "0 copied, 1 already present, 0 failed" in capsys.readouterr().out
