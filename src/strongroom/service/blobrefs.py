"""Which blobs the metadata references: live on commit, garbage when replaced or deleted.

Rows change inside the same transaction as the object or part they belong to, so a crash can never
leave a referenced blob marked garbage or a garbage blob unmarked. The sweeper deletes garbage blobs
and orphans (blob files with no row, older than a grace period).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, update

from ..meta import schema

__all__ = ["mark_live", "mark_garbage"]


def mark_live(conn: Connection, blob_ids: Iterable[str], now: float) -> None:
    """Record blobs as referenced (inside the committing transaction)."""
    rows = [{"blob_id": b, "live": True, "since": now} for b in blob_ids]
    if rows:
        conn.execute(schema.blobs.insert(), rows)


def mark_garbage(conn: Connection, blob_ids: Iterable[str], now: float) -> None:
    """Record blobs as no longer referenced (inside the transaction that dropped the reference)."""
    ids = list(blob_ids)
    if ids:
        conn.execute(update(schema.blobs).where(schema.blobs.c.blob_id.in_(ids)).values(live=False, since=now))
