"""ListObjectVersions: one page of a bucket's versions and delete markers, paged from the index.

Every row (versions and delete markers) is paged in the entry order of listing.py, ordered by key,
then newest first within a key (last_modified desc, row_id desc); a position inside a key is the
(last_modified, row_id) of the last version returned. Keys roll up into common prefixes and the read
seeks past each one exactly as ListObjects does (keyorder.py, listing.py's start_cursor), so the work
per page is bounded whatever the bucket holds (invariant 6). Reads only; never writes a row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Row, Select, select

from ..meta import schema
from .keyorder import key_successor, rolled_up
from .listing import (
    LISTED_COLUMNS,
    MAX_KEYS_LIMIT,
    PROBE_ROWS,
    ListQuery,
    describe_headers,
    load_owners,
    start_cursor,
)
from .model import Account, ObjectKey, VersionId

__all__ = ["VersionQuery", "ListedVersion", "VersionsPage", "versions_page"]


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
    *LISTED_COLUMNS,
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
    start = start_cursor(ListQuery(prefix=query.prefix, delimiter=query.delimiter, after=query.key_marker))
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
    storage_class, algorithms, checksum_type = describe_headers(m["headers"])
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


def versions_page(conn: Connection, bucket: str, query: VersionQuery) -> VersionsPage:
    """One page of versions in one read transaction, seeking past each common prefix as listing.py does."""
    if query.max_keys <= 0:
        return VersionsPage((), (), False, None, None)
    upper = key_successor(query.prefix) if query.prefix else None
    cursor = _version_start(conn, bucket, query)
    rows: list[Row[tuple[object, ...]]] = []
    prefixes: list[str] = []
    last_prefix: str | None = None
    next_marker: tuple[str, str | None] | None = None
    truncated = False
    limit = PROBE_ROWS if query.delimiter else query.max_keys + 1
    while cursor.at is not None and not truncated:
        want = min(limit, query.max_keys - len(rows) - len(prefixes) + 1)
        batch = _version_rows(conn, bucket, cursor, upper, want)
        common: str | None = None
        for row in batch:
            key: str = row.key
            common = rolled_up(key, query.prefix, query.delimiter)
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
            limit = PROBE_ROWS
        else:
            cursor = _VersionCursor(last.key, exclusive=True, older_than=(float(last.last_modified), int(last.row_id)))
            limit = min(limit * 2, query.max_keys + 1)
    owners = load_owners(conn, {str(r.owner_account) for r in rows})
    listed = tuple(_listed_version(r, owners) for r in rows)
    if not truncated or next_marker is None:
        return VersionsPage(listed, tuple(prefixes), truncated, None, None)
    return VersionsPage(listed, tuple(prefixes), True, next_marker[0], next_marker[1])
