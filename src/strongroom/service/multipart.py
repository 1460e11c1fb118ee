"""Multipart uploads: create, upload parts, complete, abort. The S3 rules of multipart live here.

Each part is sealed independently, under its own fresh data key, into its own blob (invariant 2); the
completed object's extents are the chosen parts' blobs in order, so completing never rewrites bytes.

Part upload, as numbered steps:
  1. check the part number and that the upload exists;
  2. seal the body into a new durable blob (sealing.seal_stream), verifying every digest claim;
  3. one transaction: the upload must still exist; replace any earlier part with that number
     (old blob -> garbage, new blob -> live);
  4. delete the replaced blob (best effort; the sweeper finishes what a crash interrupts).

Completion, as numbered steps:
  1. validate the requested part list against the stored parts (order, ETags, sizes, checksums);
  2. compute the multipart ETag and the object checksum (COMPOSITE or FULL_OBJECT);
  3. one transaction (Objects.commit with ``also``): the upload and the chosen parts must be unchanged;
     the object row is written, the part rows removed, unchosen part blobs made garbage, and the upload
     row marked completed with the object's ETag;
  4. delete the garbage blobs.

A completed upload is gone for every operation but a retried Complete, which AWS answers 200 with the
same result while the object that upload made is still the key's current version (same ETag); after
that, or once the sweeper drops the record (COMPLETED_UPLOAD_KEEP_SECONDS), it is NoSuchUpload.

The Upload and Part records and the statements on their tables live in upload_records.py;
ListMultipartUploads' paging lives in upload_listing.py (Uploads.list_uploads delegates to it).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import Connection, Row, select

from .. import clock
from ..errors import S3Error
from ..grant import Grant
from ..meta import schema
from .blobrefs import mark_garbage, mark_live
from .checksums import ChecksumAlgorithm, ChecksumType, combine_full_object, composite_checksum
from .model import Bucket, Extent, ObjectKey, ObjectVersion, UploadId
from .objects import Conditions, Objects, object_context, row_to_version, validate_user_metadata
from .sealing import BodyChecks, SealedWrite, seal_stream
from .sse import (
    SSE_S3,
    CustomerKey,
    Encryption,
    check_customer_key,
    check_kms_key_writable,
    with_customer_key,
)
from .storage import Storage
from .upload_listing import UploadListing, list_uploads
from .upload_records import (
    Part,
    Upload,
    drop_upload,
    in_progress,
    lock_upload,
    mark_completed,
    no_such_upload,
    part_blobs,
    row_to_part,
    row_to_upload,
    upload_row,
)

__all__ = [
    "Uploads",
    "Upload",
    "Part",
    "CompletedPart",
    "CompleteRequest",
    "Completion",
    "MAX_PART_NUMBER",
    "MAX_PART_BYTES",
    "MIN_PART_BYTES",
    "COMPLETED_UPLOAD_KEEP_SECONDS",
    "forget_completed_uploads",
]

MAX_PART_NUMBER = 10_000
MAX_PART_BYTES = 5 * 1024**3
MIN_PART_BYTES = 5 * 1024**2  # every part but the last (AWS "Amazon S3 multipart upload limits")
UPLOAD_ID_BYTES = 32  # 43 url-safe characters, random
# How long a completed upload's record is kept to answer a retried Complete (the sweeper drops it after).
COMPLETED_UPLOAD_KEEP_SECONDS = 24 * 3600


@dataclass(frozen=True, slots=True)
class CompletedPart:
    """One <Part> of a CompleteMultipartUpload request."""

    number: int
    etag: str
    checksums: dict[ChecksumAlgorithm, str]


@dataclass(frozen=True, slots=True)
class CompleteRequest:
    """What CompleteMultipartUpload asks for, parsed."""

    parts: list[CompletedPart]
    object_checksum: tuple[ChecksumAlgorithm, str] | None = None
    checksum_type: ChecksumType | None = None
    object_size: int | None = None
    conditions: Conditions = Conditions()


@dataclass(frozen=True, slots=True)
class Completion:
    """The committed object and the checksum it was given."""

    version: ObjectVersion
    checksum_algorithm: ChecksumAlgorithm | None
    checksum: str | None
    checksum_type: ChecksumType | None


def forget_completed_uploads(conn: Connection, before: float) -> int:
    """Drop the records of uploads completed before `before` (kept only to answer a retried Complete)."""
    u = schema.uploads
    return conn.execute(u.delete().where(u.c.completed_etag.is_not(None) & (u.c.completed < before))).rowcount


def part_number_or_error(value: str | None) -> int:
    """partNumber: an integer 1..10000, else InvalidArgument."""
    if value is None or not value.isdigit() or not 1 <= int(value) <= MAX_PART_NUMBER:
        raise S3Error(
            "InvalidArgument",
            "Part number must be an integer between 1 and 10000, inclusive",
            extra={"ArgumentName": "partNumber", "ArgumentValue": value or ""},
        )
    return int(value)


class Uploads:
    """Multipart uploads over one storage."""

    def __init__(self, storage: Storage) -> None:
        self._s = storage
        self._objects = Objects(storage)

    async def create(
        self,
        grant: Grant,
        bucket: Bucket,
        key: ObjectKey,
        *,
        headers: dict[str, str],
        tags: dict[str, str] | None,
        checksum: tuple[ChecksumAlgorithm, ChecksumType] | None,
        initiator_arn: str,
        encryption: Encryption = SSE_S3,
        owner_account: str | None = None,
    ) -> Upload:
        """Start an upload: a random url-safe id, the object's headers, encryption and tags kept until completion."""
        validate_user_metadata(headers)
        upload = Upload(
            upload_id=UploadId(secrets.token_urlsafe(UPLOAD_ID_BYTES)),
            bucket=bucket.name,
            key=key,
            initiated=clock.now_seconds(),
            owner_account=owner_account or bucket.account_id,
            initiator_arn=initiator_arn,
            headers={**headers, **encryption.stored_headers()},
            tags=tags,
            checksum_algorithm=checksum[0] if checksum else None,
            checksum_type=checksum[1] if checksum else None,
        )
        row = upload_row(upload)
        await self._s.meta.write(lambda c: c.execute(schema.uploads.insert().values(**row)))
        return upload

    async def get(self, bucket: Bucket, key: str, upload_id: str) -> Upload:
        """The in-progress upload with this id for this bucket and key, else NoSuchUpload."""
        u = schema.uploads
        where = (u.c.upload_id == upload_id) & (u.c.bucket == bucket.name) & (u.c.key == key) & in_progress()
        row = await self._s.meta.read(lambda c: c.execute(select(u).where(where)).first())
        if row is None:
            raise no_such_upload(upload_id)
        return row_to_upload(row)

    async def put_part(
        self, grant: Grant, upload: Upload, number: int, body: AsyncIterator[bytes], checks: BodyChecks,
        *, customer_key: CustomerKey | None = None,
    ) -> Part:
        """Seal one part into its own blob and make it part `number` of the upload (replacing any earlier one).

        An SSE-C upload needs the key CreateMultipartUpload was given, on every part.
        """
        check_customer_key(upload.headers, customer_key, upload=True)
        algorithm = upload.checksum_algorithm  # step 1
        if algorithm is not None:
            if checks.checksum_algorithm is None:
                checks.checksum_algorithm = algorithm  # computed here when the client sends none
            elif checks.checksum_algorithm is not algorithm:
                raise S3Error(
                    "InvalidRequest",
                    f"Checksum Type mismatch occurred, expected checksum Type: {algorithm.value.lower()}, "
                    f"actual checksum Type: {checks.checksum_algorithm.value.lower()}",
                )
        checks.max_bytes = MAX_PART_BYTES
        encryption = with_customer_key(Encryption.from_headers(upload.headers), customer_key)  # every part sealed as the upload said
        await check_kms_key_writable(self._s.providers, encryption)  # the upload's KMS key may have changed state
        provider, provider_key_id = encryption.provider(self._s.providers, self._s.sse_s3, upload.bucket)
        written = await seal_stream(  # step 2
            body,
            blobs=self._s.blobs,
            provider=provider,
            provider_key_id=provider_key_id,
            context=object_context(upload.bucket, upload.key, encryption),
            segment_bytes=self._s.segment_bytes,
            checks=checks,
            outer_provider=encryption.outer_provider(self._s.sse_s3),
        )
        return await self._commit_part(upload, number, written, algorithm)

    async def _commit_part(self, upload: Upload, number: int, written: SealedWrite, algorithm: ChecksumAlgorithm | None) -> Part:
        now = clock.now_seconds()
        extent = replace(written.extent, part_number=number, checksum=written.checksum_b64 if algorithm is not None else None)
        part = Part(number=number, size=extent.size, etag=f'"{written.md5_hex}"', last_modified=now, extent=extent)
        p = schema.parts

        def transaction(conn: Connection) -> list[str]:  # step 3
            lock_upload(conn, upload.bucket, upload.key, upload.upload_id)
            where = (p.c.upload_id == upload.upload_id) & (p.c.part_number == number)
            old = conn.execute(select(p.c.extent).where(where)).first()
            garbage = [Extent.from_json(json.loads(old[0])).blob_id] if old is not None else []
            conn.execute(p.delete().where(where))
            conn.execute(
                p.insert().values(
                    upload_id=upload.upload_id, part_number=number, size=part.size, etag=part.etag,
                    last_modified=now, extent=json.dumps(extent.to_json(), separators=(",", ":")),
                )
            )
            mark_live(conn, [extent.blob_id], now)
            mark_garbage(conn, garbage, now)
            return garbage

        try:
            garbage = await self._s.meta.write(transaction)
        except BaseException:
            await self._s.delete_blobs([extent.blob_id])
            raise
        await self._s.delete_blobs(garbage)  # step 4
        return part

    async def parts(self, upload: Upload, after: int = 0, limit: int = MAX_PART_NUMBER) -> list[Part]:
        """The upload's parts numbered above `after`, ascending, at most `limit`."""
        p = schema.parts
        query = select(p).where((p.c.upload_id == upload.upload_id) & (p.c.part_number > after)).order_by(p.c.part_number).limit(limit)
        rows = await self._s.meta.read(lambda c: c.execute(query).all())
        return [row_to_part(r) for r in rows]

    async def complete(self, grant: Grant, bucket: Bucket, key: ObjectKey, upload_id: str, request: CompleteRequest) -> Completion:
        """Assemble the object from the named parts; a retry after success gets the same answer (see above)."""
        u, o = schema.uploads, schema.objects

        def lookup(conn: Connection) -> tuple[Row[tuple[object, ...]] | None, Row[tuple[object, ...]] | None]:
            where = (u.c.upload_id == upload_id) & (u.c.bucket == bucket.name) & (u.c.key == key)
            current = (o.c.bucket == bucket.name) & (o.c.key == key) & o.c.is_latest
            return conn.execute(select(u).where(where)).first(), conn.execute(select(o).where(current)).first()

        row, current = await self._s.meta.read(lookup)
        if row is None:
            raise no_such_upload(upload_id)
        upload = row_to_upload(row)
        if row._mapping["completed_etag"] is None:
            try:
                return await self._complete(grant, bucket, upload, request)
            except S3Error as exc:
                if exc.code != "NoSuchUpload":
                    raise
            row, current = await self._s.meta.read(lookup)  # a concurrent Complete of this upload won
            if row is None:
                raise no_such_upload(upload_id)
        return _repeated_completion(upload, row._mapping["completed_etag"], current)

    async def _complete(self, grant: Grant, bucket: Bucket, upload: Upload, request: CompleteRequest) -> Completion:
        stored = {p.number: p for p in await self.parts(upload)}
        chosen = _choose_parts(upload, request.parts, stored)  # step 1
        size = sum(p.size for p in chosen)
        if request.object_size is not None and request.object_size != size:
            raise S3Error("InvalidRequest", f"The provided 'x-amz-mp-object-size' header value {request.object_size} does not match what was computed: {size}")
        md5s = b"".join(bytes.fromhex(p.etag.strip('"')) for p in chosen)  # step 2
        etag = f'"{hashlib.md5(md5s).hexdigest()}-{len(chosen)}"'
        checksum = _object_checksum(upload, request, chosen)
        headers = dict(upload.headers)
        if checksum is not None and upload.checksum_algorithm is not None and upload.checksum_type is not None:
            headers[upload.checksum_algorithm.header_name] = checksum
            headers["x-amz-checksum-type"] = upload.checksum_type.value
        chosen_blobs = {p.number: p.extent.blob_id for p in chosen}
        now = clock.now_seconds()

        def also(conn: Connection) -> list[str]:  # step 3
            lock_upload(conn, upload.bucket, upload.key, upload.upload_id)
            current = part_blobs(conn, upload.upload_id)
            for number, blob_id in chosen_blobs.items():
                if current.get(number) != blob_id:  # replaced since we looked: the client's list is stale
                    raise S3Error("InvalidPart", extra={"UploadId": upload.upload_id, "PartNumber": str(number)})
            mark_completed(conn, upload.upload_id, etag, now)
            keep = set(chosen_blobs.values())
            return [b for b in current.values() if b not in keep]

        version = await self._objects.commit(  # steps 3-4
            grant, bucket, upload.key, [p.extent for p in chosen], etag, headers, upload.tags, request.conditions,
            already_live=True, also=also, owner_account=upload.owner_account,
        )
        return Completion(version, upload.checksum_algorithm if checksum else None, checksum, upload.checksum_type if checksum else None)

    async def abort(self, grant: Grant, bucket: Bucket, key: str, upload_id: str) -> None:
        """Remove an upload and its parts; their blobs become garbage."""
        now = clock.now_seconds()

        def transaction(conn: Connection) -> list[str]:
            lock_upload(conn, bucket.name, key, upload_id)
            garbage = list(part_blobs(conn, upload_id).values())
            drop_upload(conn, upload_id)
            mark_garbage(conn, garbage, now)
            return garbage

        garbage = await self._s.meta.write(transaction)
        await self._s.delete_blobs(garbage)

    async def list_uploads(
        self, bucket: Bucket, *, prefix: str = "", delimiter: str = "", key_marker: str = "", upload_id_marker: str = "", max_uploads: int = 1000
    ) -> UploadListing:
        """Uploads in progress, by key then initiation time; keys past a delimiter roll up into common prefixes."""
        return await list_uploads(
            self._s.meta, bucket.name, prefix=prefix, delimiter=delimiter, key_marker=key_marker,
            upload_id_marker=upload_id_marker, max_uploads=max_uploads,
        )


def _repeated_completion(upload: Upload, etag: str | None, current: Row[tuple[object, ...]] | None) -> Completion:
    """The answer to a retried Complete: the first answer, while the object it made is still current."""
    version = row_to_version(current) if current is not None else None
    if etag is None or version is None or version.is_delete_marker or version.etag != etag:
        raise no_such_upload(upload.upload_id)
    algorithm, kind = upload.checksum_algorithm, upload.checksum_type
    checksum = version.headers.get(algorithm.header_name) if algorithm is not None else None
    return Completion(version, algorithm if checksum else None, checksum, kind if checksum else None)


def _dedupe(upload: Upload, requested: Sequence[CompletedPart]) -> list[CompletedPart]:
    """Part numbers must not decrease; a number listed twice in a row counts once, the later entry winning.

    Ceph s3-tests test_multipart_resend_first_finishes_last (not marked fails_on_aws) completes with
    part 1 listed twice, the stale ETag first, and expects success with the part stored last.
    """
    out: list[CompletedPart] = []
    for item in requested:
        if out and item.number < out[-1].number:
            raise S3Error("InvalidPartOrder", extra={"UploadId": upload.upload_id})
        if out and item.number == out[-1].number:
            out[-1] = item
        else:
            out.append(item)
    return out


def _choose_parts(upload: Upload, requested: Sequence[CompletedPart], stored: dict[int, Part]) -> list[Part]:
    """Check the Complete request's part list (AWS CompleteMultipartUpload errors) and return the parts."""
    if not requested:
        raise S3Error("MalformedXML", "You must specify at least one part")
    chosen: list[Part] = []
    for item in _dedupe(upload, requested):
        part = stored.get(item.number)
        invalid = S3Error("InvalidPart", extra={"UploadId": upload.upload_id, "PartNumber": str(item.number), "ETag": item.etag})
        if part is None or item.etag.strip().strip('"') != part.etag.strip('"'):
            raise invalid
        for algorithm, value in item.checksums.items():
            if algorithm is not upload.checksum_algorithm or value != part.checksum:
                raise invalid
        if upload.checksum_type is ChecksumType.COMPOSITE and upload.checksum_algorithm not in item.checksums:
            assert upload.checksum_algorithm is not None
            raise S3Error(
                "InvalidRequest",
                f"The upload was created using a {upload.checksum_algorithm.value.lower()} checksum. The complete request "
                f"must include the checksum for each part. It was missing for part {item.number} in the request.",
            )
        chosen.append(part)
    for part in chosen[:-1]:
        if part.size < MIN_PART_BYTES:
            raise S3Error(
                "EntityTooSmall",
                extra={"ProposedSize": str(part.size), "MinSizeAllowed": str(MIN_PART_BYTES), "PartNumber": str(part.number), "ETag": part.etag},
            )
    return chosen


def _object_checksum(upload: Upload, request: CompleteRequest, chosen: Sequence[Part]) -> str | None:
    """The object's checksum from its parts' checksums; the client's claims (type, value) must agree."""
    algorithm, kind = upload.checksum_algorithm, upload.checksum_type
    if request.checksum_type is not None and request.checksum_type is not kind:
        raise S3Error("InvalidRequest", f"The upload was created using the {kind.value if kind else 'null'} checksum mode. The complete request must use the same checksum mode.")
    if algorithm is None or kind is None:
        if request.object_checksum is not None:
            raise S3Error("InvalidRequest", "The upload was created without a checksum algorithm; the complete request cannot carry an object checksum.")
        return None
    digests: list[bytes] = []
    for part in chosen:
        if part.checksum is None:  # cannot happen: every part of such an upload is checksummed on upload
            raise S3Error("InvalidPart", extra={"UploadId": upload.upload_id, "PartNumber": str(part.number)})
        digests.append(base64.b64decode(part.checksum))
    if kind is ChecksumType.COMPOSITE:
        value = composite_checksum(algorithm, digests)
    else:
        value = combine_full_object(algorithm, [(d, p.size) for d, p in zip(digests, chosen, strict=True)])
    if request.object_checksum is not None:
        claimed_algorithm, claimed = request.object_checksum
        if claimed_algorithm is not algorithm:
            raise S3Error("InvalidRequest", f"Checksum Type mismatch occurred, expected checksum Type: {algorithm.value.lower()}, actual checksum Type: {claimed_algorithm.value.lower()}")
        if claimed != value and claimed != value.split("-", 1)[0]:
            raise S3Error("BadDigest", f"The {algorithm.value} you specified did not match the calculated checksum.")
    return value

