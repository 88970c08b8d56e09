"""Object stores for accepted payloads and audiences: the ``Store`` protocol and a local directory.

The S3 implementation lives in ``destkit.runtime.aws.s3_store`` because it needs boto3. Every store
raises ``StoreUnavailable`` for a failure that a later retry may fix; the intake turns it into 503.
The Lambda handlers do not import this module, which keeps ``typing``, ``pathlib`` and ``tempfile``
out of their cold start.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Protocol

from destkit.runtime.errors import StoreUnavailable
from destkit.runtime.keys import check_key

__all__ = ["DirectoryStore", "Store", "StoreUnavailable", "check_key"]


class Store(Protocol):
    def put_if_absent(self, key: str, data: bytes, metadata: dict[str, str]) -> bool:
        """Create ``key`` unless it exists; return True when this call created it."""
        ...

    def put(self, key: str, data: bytes, metadata: dict[str, str]) -> None:
        """Create or replace ``key``."""
        ...

    def get(self, key: str) -> bytes | None:
        """Return the object's bytes, or None when it does not exist."""
        ...

    def delete(self, key: str) -> bool:
        """Delete ``key``; return False when it did not exist."""
        ...

    def list(self, prefix: str) -> list[str]:
        """Return every key that starts with ``prefix``, sorted."""
        ...


class DirectoryStore:
    """A store in a local directory: one file per object, metadata in a ``.meta.json`` sidecar.

    Writes go to a temporary file that is then linked into place, so a reader never sees a partial
    object and a concurrent writer of the same key loses cleanly.
    """

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put_if_absent(self, key: str, data: bytes, metadata: dict[str, str]) -> bool:
        path = self._path(key)
        try:
            temporary = self._write_temporary(path, data)
            try:
                os.link(temporary, path)
            except FileExistsError:
                return False
            finally:
                os.unlink(temporary)
            self._write_metadata(path, metadata)
        except OSError as error:
            raise StoreUnavailable(f"cannot write {key}: {error.strerror or error}") from error
        return True

    def put(self, key: str, data: bytes, metadata: dict[str, str]) -> None:
        path = self._path(key)
        try:
            temporary = self._write_temporary(path, data)
            os.replace(temporary, path)
            self._write_metadata(path, metadata)
        except OSError as error:
            raise StoreUnavailable(f"cannot write {key}: {error.strerror or error}") from error

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise StoreUnavailable(f"cannot read {key}: {error.strerror or error}") from error

    def metadata(self, key: str) -> dict[str, str] | None:
        try:
            return json.loads(self._metadata_path(self._path(key)).read_text("utf-8"))
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> bool:
        path = self._path(key)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        except OSError as error:
            raise StoreUnavailable(f"cannot delete {key}: {error.strerror or error}") from error
        with contextlib.suppress(FileNotFoundError):
            self._metadata_path(path).unlink()
        return True

    def list(self, prefix: str) -> list[str]:
        keys = []
        for path in self.root.rglob("*"):
            if not path.is_file() or path.name.endswith(".meta.json") or path.name.startswith(".tmp-"):
                continue
            key = path.relative_to(self.root).as_posix()
            if key.startswith(prefix):
                keys.append(key)
        return sorted(keys)

    def _write_temporary(self, path: Path, data: bytes) -> str:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
        except OSError:
            os.unlink(temporary)
            raise
        return temporary

    @staticmethod
    def _metadata_path(path: Path) -> Path:
        return path.with_name(path.name + ".meta.json")

    def _write_metadata(self, path: Path, metadata: dict[str, str]) -> None:
        self._metadata_path(path).write_text(json.dumps(metadata, sort_keys=True), "utf-8")
