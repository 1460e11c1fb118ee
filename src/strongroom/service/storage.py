"""The storage the service acts on: metadata, blobs and key providers, wired once at start-up."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from ..blob.store import BlobStore
from ..kms.provider import KeyProvider
from ..meta.engine import MetaStore

__all__ = ["Storage"]


@dataclass(slots=True)
class Storage:
    """Everything below the service layer."""

    meta: MetaStore
    blobs: BlobStore
    providers: Mapping[str, KeyProvider]
    sse_s3: KeyProvider
    segment_bytes: int
    inline_max_bytes: int = 0

    async def delete_blobs(self, blob_ids: list[str]) -> None:
        """Best-effort delete of unreferenced blobs (the sweeper retries what fails)."""
        if blob_ids:
            await asyncio.to_thread(self._delete_all, blob_ids)

    def _delete_all(self, blob_ids: list[str]) -> None:
        for blob_id in blob_ids:
            self.blobs.delete(blob_id)
