"""Listing a bucket's current objects (ListObjects v1/v2), paged from the index, never by loading the bucket.

The rows come from index ``objects_listing`` (bucket, is_latest, key) in byte-wise UTF-8 key order,
which is the order S3 lists in and the order of keyorder.py's rules.

A page is a merged, ordered run of *entries*: plain keys and common prefixes (a key whose remainder
after the prefix holds the delimiter rolls up into prefix + remainder up to and including the
delimiter). An entry sorts at its own string, so a listing resumed after a position ``p`` skips every
common prefix ``cp <= p``: resuming after ``photos/`` (or after any key under it) never repeats it.
When a key rolls up, the next query seeks to the successor of the common prefix instead of scanning
the keys under it (invariant 6: bounded work per page whatever the bucket holds).

This module also owns what ListObjectVersions (version_listing.py) reuses: the start position
(start_cursor), the columns a listing reads and how a row's stored headers and owner are shown.
``Listing`` is the service object for both; its versions method delegates to version_listing.py.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Integer, Row, Select, bindparam, false, select, true

from ..grant import Grant
from ..meta import schema
from ..meta.engine import MetaStore
from .keyorder import key_successor, rolled_up
from .model import Account, Bucket, ObjectKey

if TYPE_CHECKING:
    from .version_listing import VersionQuery, VersionsPage

__all__ = [
    "Listing",
    "ListQuery",
    "ListedObject",
    "ListingPage",
    "MAX_KEYS_LIMIT",
]

# S3 returns at most 1000 entries per page, whatever max-keys asks for.
MAX_KEYS_LIMIT = 1000
# Rows read after a roll-up seek: small, since the next key is as likely to roll up again.
PROBE_ROWS = 8
_CHECKSUM_PREFIX = "x-amz-checksum-"
_CHECKSUM_TYPE = "x-amz-checksum-type"
_STORAGE_CLASS = "x-amz-storage-class"
DEFAULT_STORAGE_CLASS = "STANDARD"


@dataclass(frozen=True, slots=True)
class ListQuery:
    """What one page asks for: entries strictly after ``after``, under ``prefix``."""

    prefix: str = ""
    delimiter: str | None = None
    after: str | None = None
    max_keys: int = MAX_KEYS_LIMIT
    fetch_owner: bool = False


@dataclass(frozen=True, slots=True)
class ListedObject:
    """One current object as a listing shows it."""

    key: ObjectKey
    size: int
    etag: str
    last_modified: float
    storage_class: str
    checksum_algorithms: tuple[str, ...]
    checksum_type: str | None
    owner: Account | None


@dataclass(frozen=True, slots=True)
class ListingPage:
    """One page: objects and common prefixes (each in order), and where the page stopped."""

    objects: tuple[ListedObject, ...]
    common_prefixes: tuple[str, ...]
    is_truncated: bool
    # The last entry (key or common prefix) returned; a truncated listing resumes strictly after it.
    last_entry: str | None


@dataclass(slots=True)
class _Cursor:
    """Where the next query starts: ``key > at`` (exclusive) or ``key >= at``; None = past the end."""

    at: str | None
    exclusive: bool


LISTED_COLUMNS = (
    schema.objects.c.key,
    schema.objects.c.size,
    schema.objects.c.etag,
    schema.objects.c.last_modified,
    schema.objects.c.owner_account,
    schema.objects.c.headers,
)


def _build_rows_query(exclusive: bool, bounded: bool) -> Select[tuple[object, ...]]:
    o = schema.objects
    # Equalities (not truthiness or IS) so both planners match the (bucket, is_latest, key) index.
    stmt = select(*LISTED_COLUMNS).where(o.c.bucket == bindparam("bucket"), o.c.is_latest == true(), o.c.is_delete_marker == false())
    stmt = stmt.where(o.c.key > bindparam("at") if exclusive else o.c.key >= bindparam("at"))
    if bounded:
        stmt = stmt.where(o.c.key < bindparam("upper"))
    return stmt.order_by(o.c.key).limit(bindparam("limit", type_=Integer))


# Built once: a page may run a query per common prefix, and reusing a statement skips rebuilding it.
_ROWS_QUERIES = {(exclusive, bounded): _build_rows_query(exclusive, bounded) for exclusive in (False, True) for bounded in (False, True)}


def _rows(conn: Connection, bucket: str, cursor: _Cursor, upper: str | None, limit: int) -> Sequence[Row[tuple[object, ...]]]:
    assert cursor.at is not None
    stmt = _ROWS_QUERIES[(cursor.exclusive, upper is not None)]
    params: dict[str, object] = {"bucket": bucket, "at": cursor.at, "limit": limit}
    if upper is not None:
        params["upper"] = upper
    return conn.execute(stmt, params).all()


def start_cursor(query: ListQuery) -> _Cursor:
    """The first position: after the marker (or at the prefix), past a common prefix the marker is in."""
    after = query.after
    if after is None or after < query.prefix:
        return _Cursor(query.prefix, exclusive=False)
    if after.startswith(query.prefix):
        common = rolled_up(after, query.prefix, query.delimiter)
        if common is not None:
            # Every key left under this common prefix rolls up into it, and it sorts at or before
            # the marker, so it was already returned: seek past all of it.
            return _Cursor(key_successor(common), exclusive=False)
    return _Cursor(after, exclusive=True)


def describe_headers(headers_json: object) -> tuple[str, tuple[str, ...], str | None]:
    """Storage class, checksum algorithms and checksum type from a row's stored headers."""
    headers: dict[str, str] = json.loads(str(headers_json))
    algorithms = tuple(sorted(k[len(_CHECKSUM_PREFIX):].upper() for k in headers if k.startswith(_CHECKSUM_PREFIX) and k != _CHECKSUM_TYPE))
    return headers.get(_STORAGE_CLASS, DEFAULT_STORAGE_CLASS), algorithms, headers.get(_CHECKSUM_TYPE) if algorithms else None


def _listed(row: Row[tuple[object, ...]], owners: dict[str, Account]) -> ListedObject:
    m = row._mapping
    storage_class, algorithms, checksum_type = describe_headers(m["headers"])
    return ListedObject(
        key=ObjectKey(m["key"]),
        size=int(m["size"]),
        etag=str(m["etag"]),
        last_modified=float(m["last_modified"]),
        storage_class=storage_class,
        checksum_algorithms=algorithms,
        checksum_type=checksum_type,
        owner=owners.get(str(m["owner_account"])),
    )


def load_owners(conn: Connection, account_ids: set[str]) -> dict[str, Account]:
    """The accounts with these ids, by id, in one query (FetchOwner)."""
    if not account_ids:
        return {}
    a = schema.accounts
    rows = conn.execute(select(a).where(a.c.account_id.in_(sorted(account_ids)))).all()
    return {r.account_id: Account(r.account_id, r.name, r.canonical_id, r.display_name) for r in rows}


def _page(conn: Connection, bucket: str, query: ListQuery) -> ListingPage:
    """One page in one read transaction: batched index reads, seeking past each common prefix."""
    if query.max_keys <= 0:
        return ListingPage((), (), False, None)
    upper = key_successor(query.prefix) if query.prefix else None
    cursor = start_cursor(query)
    rows: list[Row[tuple[object, ...]]] = []
    prefixes: list[str] = []
    last: str | None = None
    truncated = False
    # With a delimiter the next key may roll up (making the rest of a long read waste): start small.
    limit = PROBE_ROWS if query.delimiter else query.max_keys + 1
    while cursor.at is not None and not truncated:
        need = query.max_keys - len(rows) - len(prefixes) + 1
        batch = _rows(conn, bucket, cursor, upper, min(limit, need))
        common: str | None = None
        for row in batch:
            key: str = row.key
            common = rolled_up(key, query.prefix, query.delimiter)
            if common is not None and common == last:
                continue  # still inside the common prefix just returned
            if len(rows) + len(prefixes) == query.max_keys:
                truncated = True
                break
            if common is None:
                rows.append(row)
                last = key
            else:
                prefixes.append(common)
                last = common
        if truncated or len(batch) < min(limit, need):
            break
        if common is not None:
            # The batch ended inside a common prefix: skip the rest of it with one seek, and read
            # few rows next, since the following key may well roll up too.
            cursor = _Cursor(key_successor(common), exclusive=False)
            limit = PROBE_ROWS
        else:
            cursor = _Cursor(batch[-1].key, exclusive=True)
            limit = min(limit * 2, query.max_keys + 1)
    owners = load_owners(conn, {str(r.owner_account) for r in rows}) if query.fetch_owner else {}
    return ListingPage(tuple(_listed(r, owners) for r in rows), tuple(prefixes), truncated, last)


class Listing:
    """Bucket listings over the metadata store."""

    def __init__(self, meta: MetaStore) -> None:
        self._meta = meta

    async def list_objects(self, grant: Grant, bucket: Bucket, query: ListQuery) -> ListingPage:
        """One page of the bucket's current objects (delete markers hidden), in key order."""
        del grant  # the caller's proof of authorisation; listing needs nothing more from it
        return await self._meta.read(lambda conn: _page(conn, bucket.name, query))

    async def list_object_versions(self, grant: Grant, bucket: Bucket, query: VersionQuery) -> VersionsPage:
        """One page of every version and delete marker, by key, newest first within a key."""
        from .version_listing import versions_page  # version_listing imports this module's row rules

        del grant  # as list_objects
        return await self._meta.read(lambda conn: versions_page(conn, bucket.name, query))
