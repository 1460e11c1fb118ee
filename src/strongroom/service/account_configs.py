"""Account-wide configuration documents (account-level Block Public Access today), one per kind.

Read on every request that touches public access, so lookups are cached for a second like bucket
configurations: another gateway's change is seen within that second, this gateway's at once.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ..grant import Grant
from ..meta import schema
from ..meta.engine import MetaStore
from .ttl_cache import MISSING, TtlCache

__all__ = ["AccountConfigs", "ACCOUNT_CONFIG_TTL_SECONDS"]

ACCOUNT_CONFIG_TTL_SECONDS = 1.0


class AccountConfigs:
    """Get, cache, replace and delete an account's configuration documents."""

    def __init__(self, meta: MetaStore) -> None:
        self._meta = meta
        self._cache: TtlCache[tuple[str, str], str | None] = TtlCache(ACCOUNT_CONFIG_TTL_SECONDS)

    async def get(self, account_id: str, kind: str) -> str | None:
        """The stored document, or None."""
        t = schema.account_configs
        where = (t.c.account_id == account_id) & (t.c.kind == kind)
        row = await self._meta.read(lambda c: c.execute(select(t.c.document).where(where)).first())
        return None if row is None else str(row[0])

    async def cached(self, account_id: str, kind: str) -> str | None:
        """``get``, at most ACCOUNT_CONFIG_TTL_SECONDS stale."""
        hit = self._cache.get((account_id, kind))
        if hit is not MISSING:
            return hit
        document = await self.get(account_id, kind)
        self._cache.put((account_id, kind), document)
        return document

    async def put(self, grant: Grant, account_id: str, kind: str, document: str) -> None:
        """Store (replace) a document; the grant proves the caller may change this account's settings."""
        assert grant.account_id == account_id
        t = schema.account_configs

        def upsert(conn: Connection) -> None:
            conn.execute(t.delete().where((t.c.account_id == account_id) & (t.c.kind == kind)))
            conn.execute(t.insert().values(account_id=account_id, kind=kind, document=document))

        await self._meta.write(upsert)
        self._cache.drop((account_id, kind))

    async def delete(self, grant: Grant, account_id: str, kind: str) -> None:
        """Remove a document (absent is fine)."""
        assert grant.account_id == account_id
        t = schema.account_configs
        await self._meta.write(lambda c: c.execute(t.delete().where((t.c.account_id == account_id) & (t.c.kind == kind))))
        self._cache.drop((account_id, kind))
