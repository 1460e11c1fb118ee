"""Objects: put, look up, read, delete, tag. The rules of S3 objects live here once.

The write path (invariant 4), as numbered steps:
  1. check the bucket and the key;
  2. seal the body into a new blob and fsync it (sealing.seal_stream), verifying every digest claim;
  3. one metadata transaction: re-check conditions, replace the current version, mark blobs live/garbage;
     the commit is the moment the object exists;
  4. delete replaced blobs (best effort; the sweeper finishes what a crash interrupts).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, Row, select

from .. import clock
from ..errors import S3Error
from ..grant import Grant
from ..meta import schema
from ..meta.engine import MetaStore
from .acl import ACL_HEADER
from .blobrefs import mark_garbage, mark_live
from .buckets import require_in
from .model import (
    NULL_VERSION,
    Bucket,
    BucketName,
    Extent,
    ObjectKey,
    ObjectVersion,
    VersionId,
    extents_from_text,
    extents_to_text,
    stored_blobs,
)
from .sealing import BodyChecks, read_extents, seal_stream
from .sse import (
    SSE_S3,
    CustomerKey,
    Encryption,
    KeyRead,
    check_customer_key,
    check_keys_usable,
    customer_providers,
)
from .storage import Storage

__all__ = ["Objects", "validate_key", "Conditions", "MAX_PUT_BYTES", "USER_METADATA_MAX_BYTES"]

MAX_KEY_BYTES = 1024
MAX_PUT_BYTES = 5 * 1024**3
USER_METADATA_MAX_BYTES = 2048
USER_META_PREFIX = "x-amz-meta-"


def validate_key(key: str) -> ObjectKey:
    """Any valid UTF-8 up to 1024 bytes is a key (AWS "Naming objects")."""
    if not key:
        raise S3Error("InvalidArgument", "Object key must not be empty")
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise S3Error("KeyTooLongError")
    return ObjectKey(key)


def validate_user_metadata(headers: Mapping[str, str]) -> None:
    """User metadata is limited to 2 KB: names (without the prefix) and values, UTF-8 encoded."""
    total = sum(len(k[len(USER_META_PREFIX):].encode()) + len(v.encode()) for k, v in headers.items() if k.startswith(USER_META_PREFIX))
    if total > USER_METADATA_MAX_BYTES:
        raise S3Error("MetadataTooLarge")


@dataclass(frozen=True, slots=True)
class Conditions:
    """Write preconditions checked inside the committing transaction (If-None-Match / If-Match on PUT)."""

    # The If-None-Match header as sent: "*" (no current object) or ETags the current one must not have.
    if_none_match: str | None = None
    if_match: str | None = None


def object_context(bucket: str, key: str, encryption: Encryption = SSE_S3) -> dict[str, str]:
    """The encryption context every data key of an object is bound to (SSE-KMS adds the caller's)."""
    return encryption.context_for(bucket, key)


def row_to_version(row: Row[tuple[object, ...]]) -> ObjectVersion:
    """An objects row as a domain value."""
    m = row._mapping
    return ObjectVersion(
        bucket=BucketName(m["bucket"]),
        key=ObjectKey(m["key"]),
        version_id=VersionId(m["version_id"]),
        is_latest=bool(m["is_latest"]),
        is_delete_marker=bool(m["is_delete_marker"]),
        size=int(m["size"]),
        etag=m["etag"],
        last_modified=float(m["last_modified"]),
        owner_account=m["owner_account"],
        headers=json.loads(m["headers"]),
        tags=json.loads(m["tags"]) if m["tags"] else None,
        extents=tuple(extents_from_text(m["extents"])),
    )


def _current_row(conn: Connection, bucket: str, key: str) -> Row[tuple[object, ...]] | None:
    o = schema.objects
    return conn.execute(select(o).where((o.c.bucket == bucket) & (o.c.key == key) & o.c.is_latest)).first()


def _check_conditions(conn: Connection, bucket: str, key: str, conditions: Conditions) -> None:
    if conditions.if_none_match is None and conditions.if_match is None:
        return
    current = _current_row(conn, bucket, key)
    exists = current is not None and not current.is_delete_marker
    if conditions.if_none_match is not None and exists:
        assert current is not None
        if etag_matches(conditions.if_none_match, current.etag):
            raise S3Error("PreconditionFailed", resource=key, extra={"Condition": "If-None-Match"})
    if conditions.if_match is not None:
        if not exists:
            raise S3Error("NoSuchKey", resource=key)
        assert current is not None
        if not etag_matches(conditions.if_match, current.etag):
            raise S3Error("PreconditionFailed", resource=key, extra={"Condition": "If-Match"})


def etag_matches(header: str, etag: str) -> bool:
    """Does an If-Match / If-None-Match list name this ETag (or '*')?"""
    for candidate in header.split(","):
        c = candidate.strip()
        if c == "*" or c.strip('"') == etag.strip('"'):
            return True
    return False


class Objects:
    """Object operations over one storage (metadata + blobs + key providers)."""

    def __init__(self, storage: Storage) -> None:
        self._s = storage
        self._meta: MetaStore = storage.meta

    async def put(
        self,
        grant: Grant,
        bucket: Bucket,
        key: ObjectKey,
        body: AsyncIterator[bytes],
        *,
        headers: dict[str, str],
        tags: dict[str, str] | None = None,
        checks: BodyChecks,
        conditions: Conditions = Conditions(),
        encryption: Encryption = SSE_S3,
        owner_account: str | None = None,
    ) -> ObjectVersion:
        """Store a whole object from a stream, replacing the current version (owned by ``owner_account``,
        the bucket owner unless Object Ownership makes the writer the owner)."""
        validate_user_metadata(headers)  # step 1
        checks.max_bytes = MAX_PUT_BYTES
        provider, provider_key_id = encryption.provider(self._s.providers, self._s.sse_s3, bucket.name)
        written = await seal_stream(  # step 2
            body,
            blobs=self._s.blobs,
            provider=provider,
            provider_key_id=provider_key_id,
            context=object_context(bucket.name, key, encryption),
            segment_bytes=self._s.segment_bytes,
            checks=checks,
            inline_max_bytes=self._s.inline_max_bytes,
            outer_provider=encryption.outer_provider(self._s.sse_s3),
        )
        stored = {**headers, **encryption.stored_headers()}
        if checks.checksum_algorithm is not None and written.checksum_b64 is not None:
            stored["x-amz-checksum-" + checks.checksum_algorithm.value.lower()] = written.checksum_b64
            stored["x-amz-checksum-type"] = "FULL_OBJECT"
        return await self.commit(
            grant, bucket, key, [written.extent], f'"{written.md5_hex}"', stored, tags, conditions, owner_account=owner_account
        )

    async def commit(
        self,
        grant: Grant,
        bucket: Bucket,
        key: ObjectKey,
        extents: list[Extent],
        etag: str,
        headers: dict[str, str],
        tags: dict[str, str] | None,
        conditions: Conditions = Conditions(),
        *,
        already_live: bool = False,
        also: Callable[[Connection], list[str]] | None = None,
        owner_account: str | None = None,
    ) -> ObjectVersion:
        """Make sealed, durable blobs the current version of a key (step 3), then drop replaced blobs.

        ``also`` runs first inside the same transaction (CompleteMultipartUpload removes its upload there)
        and returns further blob ids the commit makes garbage.
        """
        now = clock.now_seconds()
        owner = owner_account or bucket.account_id
        version = ObjectVersion(
            bucket=bucket.name, key=key, version_id=NULL_VERSION, is_latest=True, is_delete_marker=False,
            size=sum(e.size for e in extents), etag=etag, last_modified=now, owner_account=owner,
            headers=headers, tags=tags, extents=tuple(extents),
        )

        def transaction(conn: Connection) -> list[str]:
            require_in(conn, bucket.name)  # the bucket may have gone while the body streamed
            extra = also(conn) if also is not None else []
            _check_conditions(conn, bucket.name, key, conditions)
            garbage = _drop_null_version(conn, bucket.name, key) + extra
            o = schema.objects
            if bucket.versioning is not None:  # only a bucket that ever had versioning keeps other versions
                conn.execute(o.update().where((o.c.bucket == bucket.name) & (o.c.key == key) & o.c.is_latest).values(is_latest=False))
            conn.execute(
                o.insert().values(
                    bucket=bucket.name, key=key, version_id=version.version_id, is_latest=True, is_delete_marker=False,
                    size=version.size, etag=etag, last_modified=now, owner_account=owner,
                    headers=json.dumps(headers, separators=(",", ":")),
                    tags=json.dumps(tags) if tags else None,
                    extents=extents_to_text(extents),
                )
            )
            if not already_live:
                mark_live(conn, stored_blobs(extents), now)
            mark_garbage(conn, garbage, now)
            return garbage

        try:
            garbage = await self._meta.write(transaction)
        except BaseException:
            if not already_live:
                await self._s.delete_blobs(stored_blobs(extents))
            raise
        await self._s.delete_blobs(garbage)  # step 4
        return version

    async def get(self, bucket: Bucket, key: str, version_id: str | None = None) -> ObjectVersion:
        """The current (or named) version of a key: NoSuchKey / NoSuchVersion otherwise."""
        o = schema.objects
        where = (o.c.bucket == bucket.name) & (o.c.key == key)
        where = where & (o.c.version_id == version_id if version_id is not None else o.c.is_latest)
        row = await self._meta.read(lambda c: c.execute(select(o).where(where)).first())
        if row is None:
            if version_id is not None:
                raise S3Error("NoSuchVersion", resource=key, extra={"Key": key, "VersionId": version_id})
            raise S3Error("NoSuchKey", resource=key, extra={"Key": key}, headers={"x-amz-delete-marker": "false"})
        version = row_to_version(row)
        if version.is_delete_marker and version_id is None:
            raise S3Error(
                "NoSuchKey", resource=key, extra={"Key": key},
                headers={"x-amz-delete-marker": "true", "x-amz-version-id": version.version_id},
            )
        return version

    async def read(
        self, version: ObjectVersion, start: int, end_inclusive: int, *, customer_key: CustomerKey | None = None
    ) -> AsyncIterator[bytes]:
        """Plaintext bytes start..end_inclusive of a version, opened segment by segment.

        Before the first byte: every KMS key wrapping the version's data keys must be usable
        (a disabled key is KMS.DisabledException, still before any response header is sent), and an
        SSE-C version needs the request's customer key (the handler checks it first for the S3 error).
        """
        check_customer_key(version.headers, customer_key)
        encryption = Encryption.from_headers(version.headers)
        providers = customer_providers(self._s.providers, customer_key)
        kms_keys = {(e.key.provider, e.key.key_id) for e in version.extents if e.key.provider not in (self._s.sse_s3.name, "customer")}
        await check_keys_usable(self._s.providers, kms_keys, KeyRead(self._meta, version.bucket, object_context(version.bucket, version.key, encryption)))
        async for piece in read_extents(
            version.extents,
            blobs=self._s.blobs,
            providers=providers,
            context=object_context(version.bucket, version.key, encryption),
            start=start,
            end_inclusive=end_inclusive,
        ):
            yield piece

    async def delete(self, grant: Grant, bucket: Bucket, key: str) -> None:
        """Delete the current version of a key (deleting a missing key succeeds, as in S3)."""
        now = clock.now_seconds()

        def transaction(conn: Connection) -> list[str]:
            garbage = _drop_null_version(conn, bucket.name, key)
            mark_garbage(conn, garbage, now)
            return garbage

        garbage = await self._meta.write(transaction)
        await self._s.delete_blobs(garbage)

    async def delete_version(self, grant: Grant, bucket: Bucket, key: str, version_id: str) -> bool:
        """Delete exactly one version (or delete marker) of a key; True if it was a delete marker.

        A missing "null" version succeeds, as in S3. Any other id that names no version is malformed
        (AWS: 400 "Invalid version id specified"): only "null" versions exist until versioning lands
        (TODO(#2): tell well-formed ids, whose absence is a success, from malformed ones).
        Deleting the latest version makes the newest remaining one latest.
        """
        now = clock.now_seconds()
        o = schema.objects

        def transaction(conn: Connection) -> tuple[list[str], bool]:
            where = (o.c.bucket == bucket.name) & (o.c.key == key) & (o.c.version_id == version_id)
            row = conn.execute(select(o.c.extents, o.c.is_latest, o.c.is_delete_marker).where(where)).first()
            if row is None:
                if version_id != NULL_VERSION:
                    raise S3Error("InvalidArgument", "Invalid version id specified", extra={"ArgumentName": "versionId", "ArgumentValue": version_id})
                return [], False
            conn.execute(o.delete().where(where))
            if row.is_latest:
                key_rows = (o.c.bucket == bucket.name) & (o.c.key == key)
                newest = conn.execute(select(o.c.row_id).where(key_rows).order_by(o.c.last_modified.desc(), o.c.row_id.desc()).limit(1)).first()
                if newest is not None:
                    conn.execute(o.update().where(o.c.row_id == newest.row_id).values(is_latest=True))
            garbage = stored_blobs(extents_from_text(row.extents))
            mark_garbage(conn, garbage, now)
            return garbage, bool(row.is_delete_marker)

        garbage, was_marker = await self._meta.write(transaction)
        await self._s.delete_blobs(garbage)
        return was_marker

    async def put_tags(self, grant: Grant, version: ObjectVersion, tags: dict[str, str] | None) -> None:
        """Replace (or remove, with None) an object version's tag set."""
        o = schema.objects

        def transaction(conn: Connection) -> None:
            result = conn.execute(
                o.update()
                .where((o.c.bucket == version.bucket) & (o.c.key == version.key) & (o.c.version_id == version.version_id))
                .values(tags=json.dumps(tags) if tags else None)
            )
            if result.rowcount == 0:
                raise S3Error("NoSuchKey", resource=version.key)

        await self._meta.write(transaction)


    async def put_acl(self, grant: Grant, version: ObjectVersion, acl_document: str | None) -> None:
        """Replace an object version's ACL (kept with its stored headers; None: the private default)."""
        o = schema.objects
        where = (o.c.bucket == version.bucket) & (o.c.key == version.key) & (o.c.version_id == version.version_id)

        def transaction(conn: Connection) -> None:
            row = conn.execute(select(o.c.headers).where(where)).first()
            if row is None:
                raise S3Error("NoSuchKey", resource=version.key)
            headers = json.loads(row.headers)
            headers.pop(ACL_HEADER, None)
            if acl_document is not None:
                headers[ACL_HEADER] = acl_document
            conn.execute(o.update().where(where).values(headers=json.dumps(headers)))

        await self._meta.write(transaction)


def _drop_null_version(conn: Connection, bucket: str, key: str) -> list[str]:
    """Delete the key's "null" version row; return its blob ids."""
    o = schema.objects
    where = (o.c.bucket == bucket) & (o.c.key == key) & (o.c.version_id == NULL_VERSION)
    row = conn.execute(o.delete().where(where).returning(o.c.extents)).first()
    return [] if row is None else stored_blobs(extents_from_text(row[0]))
