"""Listing a bucket's current objects (ListObjects v1/v2), paged from the index, never by loading the bucket.

The rows come from index ``objects_listing`` (bucket, is_latest, key) in byte-wise UTF-8 key order
(SQLite BINARY collation; COLLATE "C" on PostgreSQL), which is the order S3 lists in. Python compares
``str`` by code point, which is the same order as UTF-8 bytes, so the in-memory rules agree with the
index.

A page is a merged, ordered run of *entries*: plain keys and common prefixes (a key whose remainder
after the prefix holds the delimiter rolls up into prefix + remainder up to and including the
delimiter). An entry sorts at its own string, so a listing resumed after a position ``p`` skips every
common prefix ``cp <= p``: resuming after ``photos/`` (or after any key under it) never repeats it.
When a key rolls up, the next query seeks to the successor of the common prefix instead of scanning
the keys under it (invariant 6: bounded work per page whatever the bucket holds).

ListObjectVersions pages every row (versions and delete markers) the same way, ordered by key, then
newest first within a key (last_modified desc, row_id desc); a position inside a key is the
(last_modified, row_id) of the last version returned. It lives here, past the ~400-line mark, because
it shares the entry order, roll-up and seek rules above; move both to their own modules together.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Integer, Row, Select, bindparam, false, select, true

from ..grant import Grant
from ..meta import schema
from ..meta.engine import MetaStore
from .model import Account, Bucket, ObjectKey, VersionId

__all__ = [
    "Listing",
    "ListQuery",
    "ListedObject",
    "ListingPage",
    "VersionQuery",
    "ListedVersion",
    "VersionsPage",
    "MAX_KEYS_LIMIT",
    "key_successor",
]

# S3 returns at most 1000 entries per page, whatever max-keys asks for.
MAX_KEYS_LIMIT = 1000
# Rows read after a roll-up seek: small, since the next key is as likely to roll up again.
_PROBE_ROWS = 8
_MAX_CODE_POINT = 0x10FFFF
_SURROGATES = range(0xD800, 0xE000)
_CHECKSUM_PREFIX = "x-amz-checksum-"
_CHECKSUM_TYPE = "x-amz-checksum-type"
_STORAGE_CLASS = "x-amz-storage-class"
DEFAULT_STORAGE_CLASS = "STANDARD"


def key_successor(prefix: str) -> str | None:
    """The least string greater than every string starting with ``prefix`` (None: no such bound).

    Increments the last code point (skipping the surrogates, which UTF-8 cannot hold), dropping
    trailing U+10FFFF first; in UTF-8 byte order this is the exclusive upper end of the prefix range.
    """
    chars = list(prefix)
    while chars and ord(chars[-1]) == _MAX_CODE_POINT:
        chars.pop()
    if not chars:
        return None
    nxt = ord(chars[-1]) + 1
    if nxt in _SURROGATES:
        nxt = _SURROGATES.stop
    chars[-1] = chr(nxt)
    return "".join(chars)


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


_COLUMNS = (
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
    stmt = select(*_COLUMNS).where(o.c.bucket == bindparam("bucket"), o.c.is_latest == true(), o.c.is_delete_marker == false())
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


def _rolled_up(key: str, prefix: str, delimiter: str | None) -> str | None:
    """The common prefix a key rolls up into, or None if it is listed as itself."""
    if not delimiter:
        return None
    found = key.find(delimiter, len(prefix))
    return None if found < 0 else key[: found + len(delimiter)]


def _start(query: ListQuery) -> _Cursor:
    """The first position: after the marker (or at the prefix), past a common prefix the marker is in."""
    after = query.after
    if after is None or after < query.prefix:
        return _Cursor(query.prefix, exclusive=False)
    if after.startswith(query.prefix):
        common = _rolled_up(after, query.prefix, query.delimiter)
        if common is not None:
            # Every key left under this common prefix rolls up into it, and it sorts at or before
            # the marker, so it was already returned: seek past all of it.
            return _Cursor(key_successor(common), exclusive=False)
    return _Cursor(after, exclusive=True)


def _described(headers_json: object) -> tuple[str, tuple[str, ...], str | None]:
    """Storage class, checksum algorithms and checksum type from a row's stored headers."""
    headers: dict[str, str] = json.loads(str(headers_json))
    algorithms = tuple(sorted(k[len(_CHECKSUM_PREFIX):].upper() for k in headers if k.startswith(_CHECKSUM_PREFIX) and k != _CHECKSUM_TYPE))
    return headers.get(_STORAGE_CLASS, DEFAULT_STORAGE_CLASS), algorithms, headers.get(_CHECKSUM_TYPE) if algorithms else None


def _listed(row: Row[tuple[object, ...]], owners: dict[str, Account]) -> ListedObject:
    m = row._mapping
    storage_class, algorithms, checksum_type = _described(m["headers"])
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


def _owners(conn: Connection, account_ids: set[str]) -> dict[str, Account]:
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
    cursor = _start(query)
    rows: list[Row[tuple[object, ...]]] = []
    prefixes: list[str] = []
    last: str | None = None
    truncated = False
    # With a delimiter the next key may roll up (making the rest of a long read waste): start small.
    limit = _PROBE_ROWS if query.delimiter else query.max_keys + 1
    while cursor.at is not None and not truncated:
        need = query.max_keys - len(rows) - len(prefixes) + 1
        batch = _rows(conn, bucket, cursor, upper, min(limit, need))
        common: str | None = None
        for row in batch:
            key: str = row.key
            common = _rolled_up(key, query.prefix, query.delimiter)
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
            limit = _PROBE_ROWS
        else:
            cursor = _Cursor(batch[-1].key, exclusive=True)
            limit = min(limit * 2, query.max_keys + 1)
    owners = _owners(conn, {str(r.owner_account) for r in rows}) if query.fetch_owner else {}
    return ListingPage(tuple(_listed(r, owners) for r in rows), tuple(prefixes), truncated, last)


# -- ListObjectVersions -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VersionQuery:
    """One page of versions: after (key_marker, version_id_marker), under ``prefix``."""

    prefix: str = ""
    delimiter: str | None = None
    key_marker: str | None = None
    version_id_marker: str | None = None
    max_keys: int = MAX_KEYS_LIMIT


@dataclass(frozen=True, slots=True)
class ListedVersion:
    """One version or delete marker as ListObjectVersions shows it."""

    key: ObjectKey
    version_id: VersionId
    is_latest: bool
    is_delete_marker: bool
    size: int
    etag: str
    last_modified: float
    storage_class: str
    checksum_algorithms: tuple[str, ...]
    checksum_type: str | None
    owner: Account | None


@dataclass(frozen=True, slots=True)
class VersionsPage:
    """One page: versions and delete markers interleaved in listing order, common prefixes, and where it stopped.

    A truncated page resumes after (next_key_marker, next_version_id_marker); the version id is None
    when the page ended at a common prefix.
    """

    versions: tuple[ListedVersion, ...]
    common_prefixes: tuple[str, ...]
    is_truncated: bool
    next_key_marker: str | None
    next_version_id_marker: str | None


@dataclass(slots=True)
class _VersionCursor:
    """Where the next read starts: keys after (or at) ``at``; with ``older_than``, first the rest of
    key ``at`` below that (last_modified, row_id) position."""

    at: str | None
    exclusive: bool
    older_than: tuple[float, int] | None = None


_VERSION_COLUMNS = (
    schema.objects.c.row_id,
    schema.objects.c.version_id,
    schema.objects.c.is_latest,
    schema.objects.c.is_delete_marker,
    *_COLUMNS,
)


def _version_rows(conn: Connection, bucket: str, cursor: _VersionCursor, upper: str | None, limit: int) -> Sequence[Row[tuple[object, ...]]]:
    assert cursor.at is not None
    o = schema.objects
    stmt: Select[tuple[object, ...]] = select(*_VERSION_COLUMNS).where(o.c.bucket == bucket)
    if cursor.older_than is not None:
        modified, row_id = cursor.older_than
        older = (o.c.last_modified < modified) | ((o.c.last_modified == modified) & (o.c.row_id < row_id))
        stmt = stmt.where(o.c.key == cursor.at, older)
    else:
        stmt = stmt.where(o.c.key > cursor.at if cursor.exclusive else o.c.key >= cursor.at)
        if upper is not None:
            stmt = stmt.where(o.c.key < upper)
    stmt = stmt.order_by(o.c.key, o.c.last_modified.desc(), o.c.row_id.desc()).limit(limit)
    return conn.execute(stmt).all()


def _version_start(conn: Connection, bucket: str, query: VersionQuery) -> _VersionCursor:
    """The first position: after the key marker (within it, after the version-id marker)."""
    start = _start(ListQuery(prefix=query.prefix, delimiter=query.delimiter, after=query.key_marker))
    if query.version_id_marker is None or query.key_marker is None or start.at != query.key_marker or not start.exclusive:
        return _VersionCursor(start.at, start.exclusive)
    o = schema.objects
    marker = conn.execute(
        select(o.c.last_modified, o.c.row_id).where(
            o.c.bucket == bucket, o.c.key == query.key_marker, o.c.version_id == query.version_id_marker
        )
    ).first()
    if marker is None:
        # The marker version is gone (deleted between pages): resume at the next key.
        return _VersionCursor(query.key_marker, exclusive=True)
    return _VersionCursor(query.key_marker, exclusive=True, older_than=(float(marker.last_modified), int(marker.row_id)))


def _listed_version(row: Row[tuple[object, ...]], owners: dict[str, Account]) -> ListedVersion:
    m = row._mapping
    storage_class, algorithms, checksum_type = _described(m["headers"])
    return ListedVersion(
        key=ObjectKey(m["key"]),
        version_id=VersionId(str(m["version_id"])),
        is_latest=bool(m["is_latest"]),
        is_delete_marker=bool(m["is_delete_marker"]),
        size=int(m["size"]),
        etag=str(m["etag"]),
        last_modified=float(m["last_modified"]),
        storage_class=storage_class,
        checksum_algorithms=algorithms,
        checksum_type=checksum_type,
        owner=owners.get(str(m["owner_account"])),
    )


def _versions_page(conn: Connection, bucket: str, query: VersionQuery) -> VersionsPage:
    """One page of versions in one read transaction, seeking past each common prefix as _page does."""
    if query.max_keys <= 0:
        return VersionsPage((), (), False, None, None)
    upper = key_successor(query.prefix) if query.prefix else None
    cursor = _version_start(conn, bucket, query)
    rows: list[Row[tuple[object, ...]]] = []
    prefixes: list[str] = []
    last_prefix: str | None = None
    next_marker: tuple[str, str | None] | None = None
    truncated = False
    limit = _PROBE_ROWS if query.delimiter else query.max_keys + 1
    while cursor.at is not None and not truncated:
        want = min(limit, query.max_keys - len(rows) - len(prefixes) + 1)
        batch = _version_rows(conn, bucket, cursor, upper, want)
        common: str | None = None
        for row in batch:
            key: str = row.key
            common = _rolled_up(key, query.prefix, query.delimiter)
            if common is not None and common == last_prefix:
                continue  # still inside the common prefix just returned
            if len(rows) + len(prefixes) == query.max_keys:
                truncated = True
                break
            if common is None:
                rows.append(row)
                next_marker = (key, str(row.version_id))
            else:
                prefixes.append(common)
                last_prefix = common
                next_marker = (common, None)
        if truncated:
            break
        if len(batch) < want:
            if cursor.older_than is None:
                break
            cursor = _VersionCursor(cursor.at, exclusive=True)  # the rest of this key is read: go on to the next
            continue
        last = batch[-1]
        if common is not None:
            cursor = _VersionCursor(key_successor(common), exclusive=False)
            limit = _PROBE_ROWS
        else:
            cursor = _VersionCursor(last.key, exclusive=True, older_than=(float(last.last_modified), int(last.row_id)))
            limit = min(limit * 2, query.max_keys + 1)
    owners = _owners(conn, {str(r.owner_account) for r in rows})
    listed = tuple(_listed_version(r, owners) for r in rows)
    if not truncated or next_marker is None:
        return VersionsPage(listed, tuple(prefixes), truncated, None, None)
    return VersionsPage(listed, tuple(prefixes), True, next_marker[0], next_marker[1])


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
        del grant  # as list_objects
        return await self._meta.read(lambda conn: _versions_page(conn, bucket.name, query))
