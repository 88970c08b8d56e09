"""GcsStore against fake-gcs-server: create-only writes, reads, deletes and outages."""

from __future__ import annotations

import pytest

from destkit.runtime.gcp.gcs_store import GcsStore
from destkit.runtime.store import StoreUnavailable


def test_create_only_first_write(fake_gcs, bucket_name):
    store = GcsStore(bucket_name, fake_gcs.client())
    assert store.put_if_absent("acme/payloads/a.json", b"{}", {"request-id": "r1"}) is True


def test_create_only_second_write_rejected(fake_gcs, bucket_name):
    store = GcsStore(bucket_name, fake_gcs.client())
    store.put_if_absent("acme/payloads/a.json", b'{"first":1}', {"request-id": "r1"})
    assert store.put_if_absent("acme/payloads/a.json", b'{"second":2}', {"request-id": "r2"}) is False


def test_create_only_keeps_first_body(fake_gcs, bucket_name):
    store = GcsStore(bucket_name, fake_gcs.client())
    store.put_if_absent("acme/payloads/a.json", b'{"first":1}', {"request-id": "r1"})
    store.put_if_absent("acme/payloads/a.json", b'{"second":2}', {"request-id": "r2"})
    assert store.get("acme/payloads/a.json") == b'{"first":1}'


def test_metadata_stored(fake_gcs, bucket_name):
    store = GcsStore(bucket_name, fake_gcs.client())
    store.put_if_absent("acme/payloads/a.json", b"{}", {"request-id": "r1"})
    assert store.metadata("acme/payloads/a.json") == {"request-id": "r1"}


def test_put_replaces(fake_gcs, bucket_name):
    store = GcsStore(bucket_name, fake_gcs.client())
    store.put("acme/audiences/x.json", b"1", {})
    store.put("acme/audiences/x.json", b"2", {})
    assert store.get("acme/audiences/x.json") == b"2"


def test_get_missing_none(fake_gcs, bucket_name):
    assert GcsStore(bucket_name, fake_gcs.client()).get("acme/audiences/none.json") is None


def test_delete_existing(fake_gcs, bucket_name):
    store = GcsStore(bucket_name, fake_gcs.client())
    store.put("acme/audiences/x.json", b"1", {})
    assert store.delete("acme/audiences/x.json") is True
    assert store.get("acme/audiences/x.json") is None


def test_delete_missing_false(fake_gcs, bucket_name):
    assert GcsStore(bucket_name, fake_gcs.client()).delete("acme/audiences/none.json") is False


def test_list_by_prefix(fake_gcs, bucket_name):
    store = GcsStore(bucket_name, fake_gcs.client())
    for key in ("acme/payloads/b.json", "acme/payloads/a.json", "globex/payloads/c.json"):
        store.put(key, b"{}", {})
    assert store.list("acme/") == ["acme/payloads/a.json", "acme/payloads/b.json"]


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs/key.json", "acme//x.json", "acme/../x.json", ""])
def test_hostile_key_rejected(fake_gcs, bucket_name, key):
    with pytest.raises(ValueError, match="invalid object key"):
        GcsStore(bucket_name, fake_gcs.client()).put_if_absent(key, b"{}", {})


def test_unreachable_store_unavailable(bucket_name):
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage
    from tests.helpers.moto_server import free_port

    # A port nothing listens on: the connection is refused at once.
    client = storage.Client(
        project="destkit-test",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": f"http://127.0.0.1:{free_port()}"},
    )
    store = GcsStore(bucket_name, client, timeout=1.0, retry_seconds=0.5)
    with pytest.raises(StoreUnavailable):
        store.put_if_absent("acme/payloads/a.json", b"{}", {})


def test_missing_bucket_not_transient(fake_gcs):
    from google.api_core.exceptions import NotFound

    with pytest.raises(NotFound):
        GcsStore("no-such-bucket-destkit", fake_gcs.client()).put_if_absent("acme/payloads/a.json", b"{}", {})
