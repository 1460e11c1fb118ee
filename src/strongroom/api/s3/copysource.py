"""The copy source of CopyObject and UploadPartCopy: the x-amz-copy-source header, its
x-amz-copy-source-if-* preconditions and UploadPartCopy's x-amz-copy-source-range.

Pure parsing and checking: no I/O, no service calls. Messages follow what AWS answers
(CopyObject and UploadPartCopy API pages; observed AWS error bodies where the pages are silent).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote_to_bytes

from ...errors import S3Error
from ...service.model import BucketName, ObjectKey, ObjectVersion, VersionId
from ...service.objects import etag_matches, validate_key
from ..httpdates import parse_http_date_or_none

__all__ = [
    "COPY_SOURCE_HEADER",
    "COPY_SOURCE_RANGE_HEADER",
    "CopySource",
    "parse_copy_source",
    "check_copy_source_conditions",
    "parse_copy_source_range",
]

COPY_SOURCE_HEADER = "x-amz-copy-source"
COPY_SOURCE_RANGE_HEADER = "x-amz-copy-source-range"
IF_MATCH = "x-amz-copy-source-if-match"
IF_NONE_MATCH = "x-amz-copy-source-if-none-match"
IF_MODIFIED_SINCE = "x-amz-copy-source-if-modified-since"
IF_UNMODIFIED_SINCE = "x-amz-copy-source-if-unmodified-since"

_BAD_SOURCE = "Copy Source must mention the source bucket and key: sourcebucket/sourcekey"
_BAD_RANGE = (
    "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last "
    "are the zero-based offsets of the first and last bytes to copy"
)
_RANGE = re.compile(r"^bytes=(\d+)-(\d+)$")


@dataclass(frozen=True, slots=True)
class CopySource:
    """The object a copy reads: bucket, key and (optionally) a version."""

    bucket: BucketName
    key: ObjectKey
    version_id: VersionId | None = None


def _bad_source(value: str, message: str = _BAD_SOURCE) -> S3Error:
    return S3Error("InvalidArgument", message, extra={"ArgumentName": COPY_SOURCE_HEADER, "ArgumentValue": value})


def parse_copy_source(header_value: str) -> CopySource:
    """Parse "bucket/key" or "/bucket/key", URL-encoded, with an optional "?versionId=..."."""
    path, _, query = header_value.partition("?")
    try:
        # Header values arrive latin-1 decoded; undo that to get the percent-decoded UTF-8 bytes back.
        decoded = unquote_to_bytes(path.encode("latin-1")).decode("utf-8")
    except (UnicodeDecodeError, UnicodeEncodeError) as exc:
        raise _bad_source(header_value) from exc
    if decoded.startswith("/"):
        decoded = decoded[1:]
    bucket, slash, key = decoded.partition("/")
    if not bucket or not slash or not key:
        raise _bad_source(header_value)
    version_id: str | None = None
    if query:
        try:
            params = parse_qsl(query, keep_blank_values=True, strict_parsing=True, encoding="utf-8", errors="strict")
        except (ValueError, UnicodeDecodeError) as exc:
            raise _bad_source(header_value) from exc
        for name, value in params:
            if name == "versionId":
                version_id = value
        if version_id is not None and not version_id:
            raise _bad_source(header_value, "Invalid version id specified")
    return CopySource(BucketName(bucket), validate_key(key), VersionId(version_id) if version_id is not None else None)


def _failed(condition: str) -> S3Error:
    return S3Error("PreconditionFailed", extra={"Condition": condition})


def check_copy_source_conditions(headers: Mapping[str, str], version: ObjectVersion) -> None:
    """Apply x-amz-copy-source-if-* to the source version; PreconditionFailed (412) when one fails.

    AWS (CopyObject): if-match true makes if-unmodified-since irrelevant (the copy proceeds);
    if-none-match false fails whatever if-modified-since says. As for GET (RFC 9110 13.2.2), a date
    condition is evaluated only when its ETag counterpart is absent; an unparseable date is ignored.
    """
    if_match = headers.get(IF_MATCH)
    if if_match is not None and not etag_matches(if_match, version.etag):
        raise _failed(IF_MATCH)
    unmodified = headers.get(IF_UNMODIFIED_SINCE)
    if if_match is None and unmodified is not None:
        moment = parse_http_date_or_none(unmodified)
        if moment is not None and int(version.last_modified) > moment:
            raise _failed(IF_UNMODIFIED_SINCE)
    if_none_match = headers.get(IF_NONE_MATCH)
    if if_none_match is not None and etag_matches(if_none_match, version.etag):
        raise _failed(IF_NONE_MATCH)
    modified = headers.get(IF_MODIFIED_SINCE)
    if if_none_match is None and modified is not None:
        moment = parse_http_date_or_none(modified)
        if moment is not None and int(version.last_modified) <= moment:
            raise _failed(IF_MODIFIED_SINCE)


def parse_copy_source_range(value: str | None, size: int) -> tuple[int, int] | None:
    """UploadPartCopy's "bytes=first-last" (inclusive offsets), which must lie within the source.

    A malformed value is InvalidArgument with the AWS message, and so is a reversed range; a range
    reaching past the source is InvalidRange (416, as for GET; the API page names no code, and Ceph
    s3-tests test_multipart_copy_invalid_range accepts 400 or 416 with InvalidRange).
    """
    if value is None:
        return None
    match = _RANGE.match(value.strip())
    if match is None:
        raise S3Error("InvalidArgument", _BAD_RANGE, extra={"ArgumentName": COPY_SOURCE_RANGE_HEADER, "ArgumentValue": value})
    first, last = int(match.group(1)), int(match.group(2))
    if first > last:
        raise S3Error(
            "InvalidArgument",
            f"Range specified is not valid for source object of size: {size}",
            extra={"ArgumentName": COPY_SOURCE_RANGE_HEADER, "ArgumentValue": value},
        )
    if last >= size:
        raise S3Error("InvalidRange", extra={"RangeRequested": value, "ActualObjectSize": str(size)})
    return first, last
