"""The orphan sweeper: deletes garbage blobs and blobs no metadata row names.

Restartable and idempotent. A blob file with no row in the blobs table is the remains of a write that
never committed (client gone, crash between fsync and commit); it is removed once older than the
grace period, so in-flight uploads are never touched.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass

from sqlalchemy import Connection, select

from .. import clock
from ..meta import schema
from ..service.multipart import COMPLETED_UPLOAD_KEEP_SECONDS, forget_completed_uploads
from ..service.storage import Storage

__all__ = ["Sweeper", "SweepReport"]

log = logging.getLogger("strongroom.sweeper")
GARBAGE_BATCH = 1000


@dataclass(frozen=True, slots=True)
class SweepReport:
    """What one pass removed."""

    garbage: int
    orphans: int
    temporary: int
    completed_uploads: int = 0


def _garbage_batch(conn: Connection) -> list[str]:
    b = schema.blobs
    return [str(r[0]) for r in conn.execute(select(b.c.blob_id).where(~b.c.live).limit(GARBAGE_BATCH)).all()]


def _known(conn: Connection, batch: list[str]) -> set[str]:
    b = schema.blobs
    return {str(r[0]) for r in conn.execute(select(b.c.blob_id).where(b.c.blob_id.in_(batch))).all()}


class Sweeper:
    """One pass at a time over the blob store and the blobs table."""

    def __init__(self, storage: Storage, grace_seconds: float) -> None:
        self._s = storage
        self._grace = grace_seconds

    def sweep_sync(self, grace_seconds: float | None = None) -> SweepReport:
        """Run one pass on the calling thread."""
        grace = self._grace if grace_seconds is None else grace_seconds
        cutoff = clock.now_seconds() - grace
        b = schema.blobs
        garbage = 0
        while True:
            ids = self._s.meta.read_sync(_garbage_batch)
            if not ids:
                break
            for blob_id in ids:
                self._s.blobs.delete(blob_id)

            def forget(conn: Connection, ids: list[str] = ids) -> None:
                conn.execute(b.delete().where(b.c.blob_id.in_(ids) & ~b.c.live))

            self._s.meta.write_sync(forget)
            garbage += len(ids)
        orphans = 0
        candidates = [blob_id for blob_id, mtime in self._s.blobs.list_blobs() if mtime < cutoff]
        for start in range(0, len(candidates), GARBAGE_BATCH):
            batch = candidates[start : start + GARBAGE_BATCH]
            known = self._s.meta.read_sync(functools.partial(_known, batch=batch))
            for blob_id in batch:
                if blob_id not in known:
                    self._s.blobs.delete(blob_id)
                    orphans += 1
        temporary = self._s.blobs.sweep_temporary(cutoff)
        before = clock.now_seconds() - COMPLETED_UPLOAD_KEEP_SECONDS
        completed = self._s.meta.write_sync(functools.partial(forget_completed_uploads, before=before))
        return SweepReport(garbage, orphans, temporary, completed)

    async def run_forever(self, interval_seconds: float) -> None:
        """Sweep every interval; a failed pass is logged and retried next time."""
        while True:
            try:
                report = await asyncio.to_thread(self.sweep_sync)
                if report.garbage or report.orphans or report.temporary or report.completed_uploads:
                    log.info("swept %s", report)
            except Exception:  # a worker loop: keep going, the next pass retries
                log.exception("sweep failed")
            await asyncio.sleep(interval_seconds)
