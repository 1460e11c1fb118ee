"""ListMultipartUploads: one page of a bucket's uploads in progress, read from the uploads table.

Uploads are listed by key, then initiation time, then upload id; a position is the (key, initiated,
upload id) of the last upload returned, or a bare key to start at. Keys whose remainder after the
prefix holds the delimiter roll up into common prefixes (keyorder.py); once a common prefix is
returned, or sorts at or before key-marker, the next read seeks past every key under it instead of
scanning them. Reads only; the rows and their mapping to ``Upload`` belong to upload_records.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Row, Select, and_, or_, select

from ..meta import schema
from ..meta.engine import MetaStore
from .keyorder import key_successor, rolled_up
from .model import BucketName
from .upload_records import Upload, in_progress, row_to_upload

__all__ = ["UploadListing", "list_uploads"]

LIST_BATCH_ROWS = 1000


@dataclass(frozen=True, slots=True)
class UploadListing:
    """One page of ListMultipartUploads."""

    uploads: list[Upload]
    common_prefixes: list[str]
    truncated: bool
    next_key_marker: str | None
    next_upload_id_marker: str | None


@dataclass(frozen=True, slots=True)
class _Seek:
    """A position in (key, initiated, upload id) order: strictly after that upload, or (with no upload) at the key."""

    key: str
    initiated: float | None
    upload_id: str | None


async def list_uploads(
    meta: MetaStore, bucket: BucketName, *, prefix: str, delimiter: str, key_marker: str, upload_id_marker: str, max_uploads: int
) -> UploadListing:
    """Uploads in progress, by key then initiation time; keys past a delimiter roll up into common prefixes."""
    seek: _Seek | None = await _start(meta, bucket, key_marker, upload_id_marker)
    uploads: list[Upload] = []
    prefixes: list[str] = []
    last: tuple[str, str | None] | None = None
    while seek is not None:
        rows = await meta.read(_fetch(_listing_query(bucket, prefix, seek)))
        for row in rows:
            upload = row_to_upload(row)
            seek = _Seek(upload.key, upload.initiated, upload.upload_id)
            if not upload.key.startswith(prefix):
                return UploadListing(uploads, prefixes, False, None, None)
            rolled = rolled_up(upload.key, prefix, delimiter)
            if rolled is not None and (rolled <= key_marker or rolled in prefixes):
                seek = _past(rolled)
                break
            if len(uploads) + len(prefixes) >= max_uploads:
                return UploadListing(uploads, prefixes, True, last[0] if last else None, last[1] if last else None)
            if rolled is not None:
                prefixes.append(rolled)
                last = (rolled, None)
                seek = _past(rolled)
                break
            uploads.append(upload)
            last = (upload.key, upload.upload_id)
        else:
            if len(rows) < LIST_BATCH_ROWS:
                return UploadListing(uploads, prefixes, False, None, None)
    return UploadListing(uploads, prefixes, False, None, None)  # no key can sort after the last common prefix


async def _start(meta: MetaStore, bucket: BucketName, key_marker: str, upload_id_marker: str) -> _Seek:
    """Where a listing starts: after key-marker, or after upload-id-marker within key-marker's uploads."""
    if not key_marker:
        return _Seek("", None, None)
    if upload_id_marker:
        u = schema.uploads
        where = (u.c.bucket == bucket) & (u.c.key == key_marker) & (u.c.upload_id == upload_id_marker)
        row = await meta.read(lambda c: c.execute(select(u.c.initiated).where(where)).first())
        if row is not None:
            return _Seek(key_marker, float(row[0]), upload_id_marker)
    return _Seek(_successor_key(key_marker), None, None)


def _past(common_prefix: str) -> _Seek | None:
    """The position after every key under a common prefix; None when no key sorts after it."""
    after = key_successor(common_prefix)
    return None if after is None else _Seek(after, None, None)


def _listing_query(bucket: str, prefix: str, seek: _Seek) -> Select[tuple[object, ...]]:
    u = schema.uploads
    start = max(seek.key, prefix)
    if seek.initiated is None or seek.upload_id is None or start != seek.key:
        after = u.c.key >= start
    else:
        after = or_(
            u.c.key > seek.key,
            and_(u.c.key == seek.key, or_(u.c.initiated > seek.initiated, and_(u.c.initiated == seek.initiated, u.c.upload_id > seek.upload_id))),
        )
    return select(u).where((u.c.bucket == bucket) & in_progress() & after).order_by(u.c.key, u.c.initiated, u.c.upload_id).limit(LIST_BATCH_ROWS)


def _fetch(query: Select[tuple[object, ...]]) -> Callable[[Connection], Sequence[Row[tuple[object, ...]]]]:
    return lambda conn: conn.execute(query).all()


def _successor_key(key: str) -> str:
    """The least string above `key` in code-point (= UTF-8 byte) order."""
    return key + "\x00"
