"""The blob store interface: opaque sealed bytes addressed by a random blob id.

Blob ids never derive from object keys. A blob is written once through a BlobWriter and becomes
durable at ``commit``; it is read by byte ranges and deleted whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

__all__ = ["BlobStore", "BlobWriter", "BlobMissing"]


class BlobMissing(Exception):
    """A blob the metadata names is not in the store."""


class BlobWriter(Protocol):
    """A blob being written; blocking methods, called from worker threads."""

    def write(self, data: bytes | memoryview) -> None:
        """Append bytes."""

    def commit(self) -> None:
        """Make the blob durable and visible under its id (step 4 of the write path)."""

    def abort(self) -> None:
        """Discard everything written; safe to call after a failed commit or twice."""


class BlobStore(Protocol):
    """Where sealed blobs live. Methods block: call them from worker threads."""

    def create(self, blob_id: str) -> BlobWriter:
        """Start writing a new blob."""

    def read_range(self, blob_id: str, offset: int, length: int) -> bytes:
        """Read exactly ``length`` bytes at ``offset`` (fewer only if the blob is shorter)."""

    def delete(self, blob_id: str) -> None:
        """Delete a blob; deleting a missing blob is not an error."""

    def list_blobs(self) -> Iterator[tuple[str, float]]:
        """Every committed blob id with its modification time (for the orphan sweeper)."""

    def sweep_temporary(self, older_than: float) -> int:
        """Remove abandoned temporary files older than the given epoch time; return how many."""
