"""Local filesystem blob store: <root>/blobs/<2 hex>/<blob id>, written via <root>/tmp.

The durable write path (invariant 4), as the reasons require:
  1. write to a temporary file in the same filesystem;
  2. fsync the file, so its bytes are on disk before its name is;
  3. rename it into place (atomic: readers see the whole blob or nothing);
  4. fsync the directory, so the rename itself survives a crash.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .store import BlobMissing

__all__ = ["LocalBlobStore"]

_TMP_PREFIX = "upload-"


class _LocalWriter:
    def __init__(self, final: Path, tmp: Path) -> None:
        self._final = final
        self._tmp = tmp
        self._file: BinaryIO | None = open(tmp, "xb")  # noqa: SIM115 - closed in commit/abort

    def write(self, data: bytes | memoryview) -> None:
        assert self._file is not None, "write after commit/abort"
        self._file.write(data)

    def commit(self) -> None:
        assert self._file is not None, "commit twice"
        f, self._file = self._file, None
        try:
            f.flush()
            os.fsync(f.fileno())  # step 2
        finally:
            f.close()
        self._final.parent.mkdir(exist_ok=True)
        os.rename(self._tmp, self._final)  # step 3
        _fsync_dir(self._final.parent)  # step 4

    def abort(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._tmp.unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalBlobStore:
    """Blobs as files under one root directory."""

    def __init__(self, root: Path) -> None:
        self._blobs = root / "blobs"
        self._tmp = root / "tmp"
        self._blobs.mkdir(parents=True, exist_ok=True)
        self._tmp.mkdir(parents=True, exist_ok=True)

    def _path(self, blob_id: str) -> Path:
        if not blob_id.isalnum():
            raise ValueError("blob ids are alphanumeric")
        return self._blobs / blob_id[:2] / blob_id

    def create(self, blob_id: str) -> _LocalWriter:
        tmp = self._tmp / f"{_TMP_PREFIX}{blob_id}-{secrets.token_hex(4)}"
        return _LocalWriter(self._path(blob_id), tmp)

    def read_range(self, blob_id: str, offset: int, length: int) -> bytes:
        try:
            with open(self._path(blob_id), "rb") as f:
                f.seek(offset)
                return f.read(length)
        except FileNotFoundError as exc:
            raise BlobMissing(blob_id) from exc

    def delete(self, blob_id: str) -> None:
        self._path(blob_id).unlink(missing_ok=True)

    def list_blobs(self) -> Iterator[tuple[str, float]]:
        for shard in self._blobs.iterdir():
            for entry in os.scandir(shard):
                yield entry.name, entry.stat().st_mtime

    def sweep_temporary(self, older_than: float) -> int:
        removed = 0
        for entry in os.scandir(self._tmp):
            if entry.name.startswith(_TMP_PREFIX) and entry.stat().st_mtime < older_than:
                Path(entry.path).unlink(missing_ok=True)
                removed += 1
        return removed
