"""Listing handlers: ListObjects (v1, marker paging), ListObjectsV2 (continuation tokens) and
ListObjectVersions (key and version-id markers).

Request parameters and response elements follow the AWS API reference pages "ListObjects",
"ListObjectsV2" and "ListObjectVersions". The paging itself (prefix ranges, delimiter roll-ups, seeks) lives in
service/listing.py; this module parses and renders.
"""

from __future__ import annotations

import base64
import binascii
import functools
from urllib.parse import quote

from ...errors import S3Error
from ...service.listing import MAX_KEYS_LIMIT, ListedObject, ListingPage, ListQuery
from ...service.version_listing import ListedVersion, VersionQuery, VersionsPage
from ..context import RequestContext
from ..httpdates import iso8601
from ..request import S3Request
from ..response import Response, xml_response
from ..xml import Node, RawXml, escape_text

__all__ = ["list_objects", "list_objects_v2", "list_object_versions", "encode_continuation_token", "decode_continuation_token"]

# AWS validates max-keys as a signed 32-bit integer before capping it at 1000.
_MAX_KEYS_PARAM_LIMIT = 2**31 - 1
# Version byte of the opaque continuation token: base64url(0x01 || UTF-8 of the last entry returned).
_TOKEN_V1 = b"\x01"
_ENCODING_URL = "url"


def encode_continuation_token(last_entry: str) -> str:
    """The opaque NextContinuationToken for a page that ended at ``last_entry``."""
    return base64.urlsafe_b64encode(_TOKEN_V1 + last_entry.encode("utf-8")).decode("ascii").rstrip("=")


def decode_continuation_token(token: str) -> str:
    """The position a continuation token resumes after; InvalidArgument if it is not one of ours."""
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
        if not raw.startswith(_TOKEN_V1):
            raise ValueError("unknown token version")
        return raw[len(_TOKEN_V1):].decode("utf-8")
    except (binascii.Error, ValueError) as exc:
        raise S3Error(
            "InvalidArgument", "The continuation token provided is incorrect", extra={"ArgumentName": "continuation-token"}
        ) from exc


def _max_keys(req: S3Request) -> int:
    value = req.query_value("max-keys")
    if value is None:
        return MAX_KEYS_LIMIT
    text = value
    digits = text[1:] if text[:1] in ("-", "+") else text
    if not digits.isdecimal() or not digits.isascii() or abs(int(text)) > _MAX_KEYS_PARAM_LIMIT:
        raise S3Error(
            "InvalidArgument", "Provided max-keys not an integer or within integer range", extra={"ArgumentName": "max-keys", "ArgumentValue": value}
        )
    number = int(text)
    if number < 0:
        raise S3Error(
            "InvalidArgument", "Argument maxKeys must be an integer between 0 and 2147483647", extra={"ArgumentName": "maxKeys", "ArgumentValue": value}
        )
    return min(number, MAX_KEYS_LIMIT)


def _url_encoding(req: S3Request) -> bool:
    value = req.query_value("encoding-type")
    if value is None:
        return False
    if value != _ENCODING_URL:
        raise S3Error("InvalidArgument", "Invalid Encoding Method specified in Request", extra={"ArgumentName": "encoding-type", "ArgumentValue": value})
    return True


def _fetch_owner(req: S3Request) -> bool:
    value = req.query_value("fetch-owner")
    if value is None or value.lower() == "false":
        return False
    if value.lower() == "true":
        return True
    raise S3Error("InvalidArgument", "Invalid fetch-owner value", extra={"ArgumentName": "fetch-owner", "ArgumentValue": value})


def _common(req: S3Request, after: str | None, fetch_owner: bool) -> ListQuery:
    # An empty delimiter groups nothing; AWS treats it as absent.
    return ListQuery(
        prefix=req.query_value("prefix") or "",
        delimiter=req.query_value("delimiter") or None,
        after=after,
        max_keys=_max_keys(req),
        fetch_owner=fetch_owner,
    )


class _Encoder:
    """Applies encoding-type=url to the elements AWS encodes (keys, prefixes, delimiter, markers)."""

    def __init__(self, url: bool) -> None:
        self.url = url

    def __call__(self, value: str | None) -> str | None:
        if value is None or not self.url:
            return value
        # Percent-encoding with '/' and the RFC 3986 unreserved characters kept: a space is %20 and
        # '+' is %2B (s3-tests test_bucket_list_encoding_basic, as AWS answers). botocore decodes with
        # unquote_plus, which reads both back unchanged; a bare '+' would come back as a space.
        return quote(value, safe="/")


def _owner(obj: ListedObject | ListedVersion) -> Node:
    if obj.owner is None:
        return None
    return [("ID", obj.owner.canonical_id), ("DisplayName", obj.owner.display_name)]


def _contents(page: ListingPage, enc: _Encoder, with_owner: bool) -> list[tuple[str, Node]]:
    # Up to 1000 <Contents> per page: rendered straight to escaped markup (the generic renderer's
    # tuples cost ~20 ms a page on the event loop).
    parts: list[str] = []
    for obj in page.objects:
        # Whole seconds, as AWS lists them ("...:30.000Z"), so a listing agrees with HEAD's Last-Modified.
        key = escape_text(enc(obj.key) or "")
        parts.append(f"<Contents><Key>{key}</Key><LastModified>{_listing_time(int(obj.last_modified))}</LastModified><ETag>{escape_text(obj.etag)}</ETag>")
        for algorithm in obj.checksum_algorithms:
            parts.append(f"<ChecksumAlgorithm>{algorithm}</ChecksumAlgorithm>")
        if obj.checksum_type is not None:
            parts.append(f"<ChecksumType>{obj.checksum_type}</ChecksumType>")
        parts.append(f"<Size>{obj.size}</Size>")
        if with_owner and obj.owner is not None:
            owner = obj.owner
            parts.append(f"<Owner><ID>{escape_text(owner.canonical_id)}</ID><DisplayName>{escape_text(owner.display_name)}</DisplayName></Owner>")
        parts.append(f"<StorageClass>{escape_text(obj.storage_class)}</StorageClass></Contents>")
    out: list[tuple[str, Node]] = [("", RawXml("".join(parts)))]
    out.extend(("CommonPrefixes", [("Prefix", enc(p))]) for p in page.common_prefixes)
    return out


@functools.lru_cache(maxsize=4096)
def _listing_time(seconds: int) -> str:
    return iso8601(seconds)


async def list_objects(req: S3Request, ctx: RequestContext) -> Response:
    """ListObjects (v1): marker paging; NextMarker only with a delimiter; Owner always."""
    marker = req.query_value("marker")  # 1. parse
    query = _common(req, marker or None, fetch_owner=True)
    enc = _Encoder(_url_encoding(req))
    grant, bucket = await ctx.authorize_bucket(req)  # 2. authorize
    page = await ctx.services.listing.list_objects(grant, bucket, query)  # 3. service
    next_marker = page.last_entry if page.is_truncated and query.delimiter else None  # 4. render
    content: list[tuple[str, Node]] = [
        ("Name", bucket.name),
        ("Prefix", enc(query.prefix)),
        ("Marker", enc(marker or "")),
        ("NextMarker", enc(next_marker)),
        ("MaxKeys", query.max_keys),
        ("Delimiter", enc(query.delimiter)),
        ("IsTruncated", page.is_truncated),
        ("EncodingType", _ENCODING_URL if enc.url else None),
    ]
    content.extend(_contents(page, enc, with_owner=True))
    return xml_response("ListBucketResult", content)


async def list_objects_v2(req: S3Request, ctx: RequestContext) -> Response:
    """ListObjectsV2: opaque continuation tokens, start-after, KeyCount, Owner only with fetch-owner."""
    if req.query_value("list-type") != "2":  # 1. parse
        raise S3Error("InvalidArgument", "Invalid List Type specified in Request", extra={"ArgumentName": "list-type"})
    # An empty token is no token (s3-tests test_bucket_listv2_continuationtoken_empty), yet echoed.
    token = req.query_value("continuation-token")
    start_after = req.query_value("start-after")
    # The token takes precedence over start-after: it already lies past it.
    after = decode_continuation_token(token) if token else start_after or None
    fetch_owner = _fetch_owner(req)
    query = _common(req, after, fetch_owner)
    enc = _Encoder(_url_encoding(req))
    grant, bucket = await ctx.authorize_bucket(req)  # 2. authorize
    page = await ctx.services.listing.list_objects(grant, bucket, query)  # 3. service
    next_token = encode_continuation_token(page.last_entry) if page.is_truncated and page.last_entry else None  # 4.
    content: list[tuple[str, Node]] = [
        ("Name", bucket.name),
        ("Prefix", enc(query.prefix)),
        ("Delimiter", enc(query.delimiter)),
        ("MaxKeys", query.max_keys),
        ("KeyCount", len(page.objects) + len(page.common_prefixes)),
        ("IsTruncated", page.is_truncated),
        ("ContinuationToken", token),
        ("NextContinuationToken", next_token),
        ("StartAfter", enc(start_after)),
        ("EncodingType", _ENCODING_URL if enc.url else None),
    ]
    content.extend(_contents(page, enc, with_owner=fetch_owner))
    return xml_response("ListBucketResult", content)


def _version_entry(version: ListedVersion, enc: _Encoder) -> tuple[str, Node]:
    modified = iso8601(int(version.last_modified))
    head: list[tuple[str, Node]] = [("Key", enc(version.key)), ("VersionId", version.version_id), ("IsLatest", version.is_latest)]
    if version.is_delete_marker:
        return "DeleteMarker", [*head, ("LastModified", modified), ("Owner", _owner(version))]
    item = [*head, ("LastModified", modified), ("ETag", version.etag), ("Size", version.size), ("StorageClass", version.storage_class)]
    item.append(("Owner", _owner(version)))
    item.extend(("ChecksumAlgorithm", algorithm) for algorithm in version.checksum_algorithms)
    item.append(("ChecksumType", version.checksum_type))
    return "Version", item


def _version_query(req: S3Request) -> VersionQuery:
    key_marker = req.query_value("key-marker") or None
    version_id_marker = req.query_value("version-id-marker") or None
    if version_id_marker is not None and key_marker is None:
        raise S3Error(
            "InvalidArgument", "A version-id marker cannot be specified without a key marker.",
            extra={"ArgumentName": "version-id-marker", "ArgumentValue": version_id_marker},
        )
    common = _common(req, None, fetch_owner=True)
    return VersionQuery(common.prefix, common.delimiter, key_marker, version_id_marker, common.max_keys)


def _versions_content(page: VersionsPage, enc: _Encoder) -> list[tuple[str, Node]]:
    out = [_version_entry(v, enc) for v in page.versions]
    out.extend(("CommonPrefixes", [("Prefix", enc(p))]) for p in page.common_prefixes)
    return out


async def list_object_versions(req: S3Request, ctx: RequestContext) -> Response:
    """ListObjectVersions: every version and delete marker, by key then newest first, marker-paged."""
    query = _version_query(req)  # 1. parse
    enc = _Encoder(_url_encoding(req))
    grant, bucket = await ctx.authorize_bucket(req)  # 2. authorize
    page = await ctx.services.listing.list_object_versions(grant, bucket, query)  # 3. service
    content: list[tuple[str, Node]] = [  # 4. render
        ("Name", bucket.name),
        ("Prefix", enc(query.prefix)),
        ("KeyMarker", enc(query.key_marker or "")),
        ("VersionIdMarker", query.version_id_marker or ""),
        ("NextKeyMarker", enc(page.next_key_marker)),
        ("NextVersionIdMarker", page.next_version_id_marker),
        ("MaxKeys", query.max_keys),
        ("Delimiter", enc(query.delimiter)),
        ("IsTruncated", page.is_truncated),
        ("EncodingType", _ENCODING_URL if enc.url else None),
    ]
    content.extend(_versions_content(page, enc))
    return xml_response("ListVersionsResult", content)
