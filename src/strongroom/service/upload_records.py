"""The uploads and parts tables as multipart sees them: the Upload and Part records, their row
mapping, and the statements every multipart path shares (lock an upload, read its part blobs, drop it,
mark it completed).

An upload's checksum algorithm and type are stored among its headers under keys the object never
gets (``upload_row`` writes them, ``row_to_upload`` takes them out again). The rules of multipart
(part numbers, sizes, completion) stay in multipart.py; this module only reads and writes rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, Row, select

from ..errors import S3Error
from ..meta import schema
from .checksums import ChecksumAlgorithm, ChecksumType
from .model import BucketName, Extent, ObjectKey, UploadId

__all__ = [
    "Upload",
    "Part",
    "upload_row",
    "row_to_upload",
    "row_to_part",
    "no_such_upload",
    "in_progress",
    "lock_upload",
    "part_blobs",
    "drop_upload",
    "mark_completed",
]

# Keys of the stored upload headers that describe the upload, not the object.
_ALGORITHM_KEY = "x-amz-checksum-algorithm"
_TYPE_KEY = "x-amz-checksum-type"


@dataclass(frozen=True, slots=True)
class Upload:
    """One multipart upload in progress."""

    upload_id: UploadId
    bucket: BucketName
    key: ObjectKey
    initiated: float
    owner_account: str
    initiator_arn: str
    headers: dict[str, str]
    tags: dict[str, str] | None
    checksum_algorithm: ChecksumAlgorithm | None
    checksum_type: ChecksumType | None


@dataclass(frozen=True, slots=True)
class Part:
    """One uploaded part: a sealed blob (its extent carries the part number and checksum)."""

    number: int
    size: int
    etag: str
    last_modified: float
    extent: Extent

    @property
    def checksum(self) -> str | None:
        """The part's checksum (base64) in the upload's algorithm, if it has one."""
        return self.extent.checksum


def upload_row(upload: Upload) -> dict[str, object]:
    """The uploads-table row that stores a new upload (the inverse of row_to_upload)."""
    stored = dict(upload.headers)
    if upload.checksum_algorithm is not None and upload.checksum_type is not None:
        stored[_ALGORITHM_KEY], stored[_TYPE_KEY] = upload.checksum_algorithm.value, upload.checksum_type.value
    return {
        "upload_id": upload.upload_id, "bucket": upload.bucket, "key": upload.key, "initiated": upload.initiated,
        "owner_account": upload.owner_account, "initiator_arn": upload.initiator_arn,
        "headers": json.dumps(stored, separators=(",", ":")), "tags": json.dumps(upload.tags) if upload.tags else None,
    }


def row_to_upload(row: Row[tuple[object, ...]]) -> Upload:
    """The upload an uploads-table row stores (its checksum settings split out of the stored headers)."""
    m = row._mapping
    headers: dict[str, str] = json.loads(m["headers"])
    algorithm = headers.pop(_ALGORITHM_KEY, None)
    checksum_type = headers.pop(_TYPE_KEY, None)
    return Upload(
        upload_id=UploadId(m["upload_id"]),
        bucket=BucketName(m["bucket"]),
        key=ObjectKey(m["key"]),
        initiated=float(m["initiated"]),
        owner_account=m["owner_account"],
        initiator_arn=m["initiator_arn"],
        headers=headers,
        tags=json.loads(m["tags"]) if m["tags"] else None,
        checksum_algorithm=ChecksumAlgorithm(algorithm) if algorithm else None,
        checksum_type=ChecksumType(checksum_type) if checksum_type else None,
    )


def row_to_part(row: Row[tuple[object, ...]]) -> Part:
    """The part a parts-table row stores."""
    m = row._mapping
    return Part(
        number=int(m["part_number"]),
        size=int(m["size"]),
        etag=m["etag"],
        last_modified=float(m["last_modified"]),
        extent=Extent.from_json(json.loads(m["extent"])),
    )


def no_such_upload(upload_id: str) -> S3Error:
    """NoSuchUpload for this upload id, as AWS words it."""
    return S3Error("NoSuchUpload", resource=upload_id, extra={"UploadId": upload_id})


def in_progress() -> ColumnElement[bool]:
    """Uploads-table rows of uploads not yet completed."""
    return schema.uploads.c.completed_etag.is_(None)


def lock_upload(conn: Connection, bucket: str, key: str, upload_id: str) -> Row[tuple[object, ...]]:
    """The in-progress upload row, locked for this transaction (PostgreSQL; SQLite writers are serial anyway)."""
    u = schema.uploads
    where = (u.c.upload_id == upload_id) & (u.c.bucket == bucket) & (u.c.key == key) & in_progress()
    row = conn.execute(select(u).where(where).with_for_update()).first()
    if row is None:
        raise no_such_upload(upload_id)
    return row


def part_blobs(conn: Connection, upload_id: str) -> dict[int, str]:
    """The blob id of each of the upload's parts, by part number."""
    p = schema.parts
    rows = conn.execute(select(p.c.part_number, p.c.extent).where(p.c.upload_id == upload_id)).all()
    return {int(n): Extent.from_json(json.loads(text)).blob_id for n, text in rows}


def drop_upload(conn: Connection, upload_id: str) -> None:
    """Delete the upload's row and its parts' rows (their blobs are the caller's to mark garbage)."""
    conn.execute(schema.parts.delete().where(schema.parts.c.upload_id == upload_id))
    conn.execute(schema.uploads.delete().where(schema.uploads.c.upload_id == upload_id))


def mark_completed(conn: Connection, upload_id: str, etag: str, now: float) -> None:
    """Delete the upload's part rows and keep its row, marked completed with the object's ETag."""
    conn.execute(schema.parts.delete().where(schema.parts.c.upload_id == upload_id))
    u = schema.uploads
    conn.execute(u.update().where(u.c.upload_id == upload_id).values(completed=now, completed_etag=etag))
