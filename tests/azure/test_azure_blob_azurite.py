"""Blob Storage against Azurite on 127.0.0.1: the sink's create-only store and AEP's landing container."""

from __future__ import annotations

import os
import uuid

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.storage.blob import BlobServiceClient, ContainerClient

from destkit.azure.blob_dropzone import connection_string
from destkit.runtime.azure.blob_store import BlobStore
from destkit.runtime.store import StoreUnavailable

BLOCK_SIZE = 4 * 1024 * 1024


@pytest.fixture
def container(azurite) -> ContainerClient:
    service = BlobServiceClient.from_connection_string(azurite.connection_string())
    client = service.get_container_client(f"t{uuid.uuid4().hex[:12]}")
    client.create_container()
    return client


@pytest.fixture
def store(container: ContainerClient) -> BlobStore:
    return BlobStore(container)


def test_put_if_absent_creates(store):
    assert store.put_if_absent("acme/payloads/a.json", b"{}", {"received-at": "t"}) is True


def test_put_if_absent_second_write_false(store):
    store.put_if_absent("acme/payloads/a.json", b"{}", {})
    assert store.put_if_absent("acme/payloads/a.json", b'{"other": 1}', {}) is False


def test_put_if_absent_keeps_first_body(store):
    store.put_if_absent("acme/payloads/a.json", b"first", {})
    store.put_if_absent("acme/payloads/a.json", b"second", {})
    assert store.get("acme/payloads/a.json") == b"first"


def test_metadata_names_use_underscores(store, container):
    store.put_if_absent(
        "acme/payloads/m.json", b"{}", {"received-at": "2026-12-04T00:00:00Z", "request-id": "r1"}
    )
    properties = container.get_blob_client("acme/payloads/m.json").get_blob_properties()
    assert properties.metadata == {"received_at": "2026-12-04T00:00:00Z", "request_id": "r1"}


def test_content_type_is_json(store, container):
    store.put_if_absent("acme/payloads/c.json", b"{}", {})
    properties = container.get_blob_client("acme/payloads/c.json").get_blob_properties()
    assert properties.content_settings.content_type == "application/json"


def test_put_overwrites(store):
    store.put("acme/audiences/a.json", b"one", {})
    store.put("acme/audiences/a.json", b"two", {})
    assert store.get("acme/audiences/a.json") == b"two"


def test_get_missing_is_none(store):
    assert store.get("acme/payloads/missing.json") is None


def test_delete_existing_true(store):
    store.put("acme/audiences/d.json", b"{}", {})
    assert store.delete("acme/audiences/d.json") is True


def test_delete_missing_false(store):
    assert store.delete("acme/audiences/none.json") is False


def test_list_filters_by_prefix(store):
    store.put("acme/payloads/b.json", b"{}", {})
    store.put("acme/payloads/a.json", b"{}", {})
    store.put("globex/payloads/c.json", b"{}", {})
    assert store.list("acme/") == ["acme/payloads/a.json", "acme/payloads/b.json"]


def test_invalid_key_rejected(store):
    with pytest.raises(ValueError, match="invalid object key"):
        store.put_if_absent("../escape.json", b"{}", {})


def test_missing_container_unavailable(azurite):
    service = BlobServiceClient.from_connection_string(azurite.connection_string())
    store = BlobStore(service.get_container_client("no-such-container"))
    with pytest.raises(StoreUnavailable, match="Blob Storage write"):
        store.put_if_absent("acme/payloads/a.json", b"{}", {})


def test_stopped_endpoint_unavailable():
    # A port on 127.0.0.1 that nothing listens on: the store must raise StoreUnavailable, not hang.
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    connection = (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
        f"BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
    )
    client = ContainerClient.from_connection_string(connection, "sink", retry_total=0, connection_timeout=1)
    with pytest.raises(StoreUnavailable):
        BlobStore(client).put_if_absent("acme/payloads/a.json", b"{}", {})


# -- AEP's Blob destination: an account-key connection string, as AEP stores it ---------------------
# Against the emulator the string says http and carries BlobEndpoint (Azurite's address) in place of
# EndpointSuffix. The client reads AccountName and AccountKey from it the same way as from AEP's string.


@pytest.fixture
def landing(azurite) -> ContainerClient:
    # AEP builds its client from the connection string alone, as here.
    service = BlobServiceClient.from_connection_string(azurite.connection_string())
    client = service.get_container_client("landing")
    if not client.exists():
        client.create_container()
    return client


def test_export_written_and_listed(landing):
    landing.upload_blob("exports/acme_2026-12-04.csv", b"id,segment\n1,a\n", overwrite=True)
    assert "exports/acme_2026-12-04.csv" in [
        blob.name for blob in landing.list_blobs(name_starts_with="exports/")
    ]


def test_export_deleted(landing):
    landing.upload_blob("exports/old.csv", b"x", overwrite=True)
    landing.delete_blob("exports/old.csv")
    with pytest.raises(ResourceNotFoundError):
        landing.get_blob_client("exports/old.csv").get_blob_properties()


def test_multi_block_upload_round_trips(azurite):
    service = BlobServiceClient.from_connection_string(
        azurite.connection_string(), max_single_put_size=BLOCK_SIZE, max_block_size=BLOCK_SIZE
    )
    landing = service.get_container_client("landing-blocks")
    if not landing.exists():
        landing.create_container()
    data = os.urandom(2 * BLOCK_SIZE + 1024)
    landing.upload_blob("exports/big.parquet", data, overwrite=True)
    assert landing.download_blob("exports/big.parquet").readall() == data


def test_multi_block_upload_uses_blocks(azurite):
    service = BlobServiceClient.from_connection_string(
        azurite.connection_string(), max_single_put_size=BLOCK_SIZE, max_block_size=BLOCK_SIZE
    )
    landing = service.get_container_client("landing-blocks")
    if not landing.exists():
        landing.create_container()
    landing.upload_blob("exports/blocks.parquet", os.urandom(2 * BLOCK_SIZE + 1024), overwrite=True)
    committed, _ = landing.get_blob_client("exports/blocks.parquet").get_block_list("committed")
    assert len(committed) == 3


def test_wrong_key_rejected(azurite):
    bad = azurite.connection_string().replace("AccountKey=Eby8", "AccountKey=AAAA")
    client = BlobServiceClient.from_connection_string(bad).get_container_client("landing")
    with pytest.raises(HttpResponseError) as raised:
        client.upload_blob("exports/x.csv", b"x", overwrite=True)
    assert raised.value.status_code == 403


def test_kit_connection_string_parses_as_aep_reads_it():
    # The string the BlobDropZone outputs, read by the SDK without any request being sent.
    client = BlobServiceClient.from_connection_string(connection_string("acmeaepland0a1b2c", "a2V5"))
    assert client.url == "https://acmeaepland0a1b2c.blob.core.windows.net/"


def test_kit_connection_string_carries_account_key():
    client = BlobServiceClient.from_connection_string(connection_string("acmeaepland0a1b2c", "a2V5"))
    assert client.credential.account_key == "a2V5"
