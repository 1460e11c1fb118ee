"""Multipart handlers: CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload,
AbortMultipartUpload, ListParts, ListMultipartUploads.

Parsing and rendering only; the rules (part order, sizes, ETags, checksums) live in service/multipart.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote
from xml.etree.ElementTree import Element

from ...errors import S3Error
from ...service.checksums import (
    ChecksumAlgorithm,
    ChecksumType,
    parse_checksum_algorithm,
    parse_checksum_header_value,
    require_checksum_type,
)
from ...service.model import Account, Bucket, ObjectKey
from ...service.multipart import (
    MAX_PART_BYTES,
    MAX_PART_NUMBER,
    CompletedPart,
    CompleteRequest,
    Part,
    Upload,
    part_number_or_error,
)
from ...service.objects import Conditions, validate_key
from ...service.sealing import BodyChecks
from ...service.sse import SSEC_FINGERPRINT_HEADER, CustomerKey, check_customer_key
from ..context import RequestContext
from ..httpdates import iso8601
from ..request import S3Request
from ..response import Response, empty_response, xml_response
from ..xml import Node, child_text, children, parse_xml, strip_ns
from .acl import new_object_owner, write_acl_headers
from .copysource import (
    COPY_SOURCE_HEADER,
    COPY_SOURCE_RANGE_HEADER,
    check_copy_source_conditions,
    parse_copy_source,
    parse_copy_source_range,
)
from .headers import (
    COPY_SOURCE_SSEC_PREFIX,
    body_checks,
    parse_customer_key_headers,
    parse_sse_request,
    parse_tagging_header,
    sse_response_headers,
    stored_headers,
)
from .object import check_put_length

__all__ = [
    "create_multipart_upload",
    "upload_part",
    "upload_part_copy",
    "complete_multipart_upload",
    "abort_multipart_upload",
    "list_parts",
    "list_multipart_uploads",
]

# 10,000 parts of <Part><PartNumber/><ETag/><ChecksumSHA256/></Part> is ~2 MiB; twice that for whitespace.
COMPLETE_MAX_BYTES = 4 * 1024 * 1024
MAX_LIST_ENTRIES = 1000
CHECKSUM_ALGORITHM_HEADER = "x-amz-checksum-algorithm"
CHECKSUM_TYPE_HEADER = "x-amz-checksum-type"
MP_OBJECT_SIZE_HEADER = "x-amz-mp-object-size"
_ELEMENTS = {a: "Checksum" + a.value for a in ChecksumAlgorithm}  # ChecksumCRC32, ... as AWS writes them


def _upload_id(req: S3Request) -> str:
    return req.query_value("uploadId") or ""


def _requested_checksum(req: S3Request) -> tuple[ChecksumAlgorithm, ChecksumType] | None:
    """x-amz-checksum-algorithm and -type of CreateMultipartUpload; the type defaults per algorithm."""
    algorithm_value = req.headers.get(CHECKSUM_ALGORITHM_HEADER)
    type_value = req.headers.get(CHECKSUM_TYPE_HEADER)
    if algorithm_value is None:
        if type_value is not None:
            raise S3Error("InvalidRequest", "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
        return None
    algorithm = parse_checksum_algorithm(algorithm_value)
    checksum_type = _checksum_type(type_value) or (ChecksumType.FULL_OBJECT if algorithm is ChecksumAlgorithm.CRC64NVME else ChecksumType.COMPOSITE)
    require_checksum_type(algorithm, checksum_type)
    return algorithm, checksum_type


def _checksum_type(value: str | None) -> ChecksumType | None:
    if value is None:
        return None
    try:
        return ChecksumType(value.strip().upper())
    except ValueError:
        raise S3Error("InvalidRequest", f"Value for {CHECKSUM_TYPE_HEADER} header is invalid.") from None


def _checksum_headers(upload: Upload) -> dict[str, str]:
    if upload.checksum_algorithm is None or upload.checksum_type is None:
        return {}
    return {CHECKSUM_ALGORITHM_HEADER: upload.checksum_algorithm.value, CHECKSUM_TYPE_HEADER: upload.checksum_type.value}


async def create_multipart_upload(req: S3Request, ctx: RequestContext) -> Response:
    """CreateMultipartUpload: start an upload, keeping the object's headers, tags and checksum choice."""
    key = validate_key(req.key or "")  # 1. parse
    headers = stored_headers(req)
    sse = parse_sse_request(req)
    tags = parse_tagging_header(req.headers.get("x-amz-tagging"))
    checksum = _requested_checksum(req)
    grant, bucket = await ctx.authorize_bucket(req)  # 2. authorize (then resolve the KMS key)
    headers.update(await write_acl_headers(req, ctx, bucket))
    encryption = await ctx.encryption(sse, bucket)
    initiator = ctx.principal.arn if ctx.principal is not None else "anonymous"
    upload = await ctx.uploads.create(  # 3. service
        grant, bucket, key, headers=headers, tags=tags, checksum=checksum, initiator_arn=initiator, encryption=encryption,
        owner_account=await new_object_owner(req, ctx, bucket),
    )
    out = {**sse_response_headers(upload.headers), **_checksum_headers(upload)}  # 4. render
    return xml_response("InitiateMultipartUploadResult", [("Bucket", bucket.name), ("Key", key), ("UploadId", upload.upload_id)], headers=out)


def _part_headers(part: Part, upload: Upload) -> dict[str, str]:
    out = {"etag": part.etag, **sse_response_headers(upload.headers)}
    if part.checksum is not None and upload.checksum_algorithm is not None:
        out[upload.checksum_algorithm.header_name] = part.checksum
    return out


async def upload_part(req: S3Request, ctx: RequestContext) -> Response:
    """UploadPart: seal one part, streamed, under its own data key."""
    key = validate_key(req.key or "")  # 1. parse
    number = part_number_or_error(req.query_value("partNumber"))
    checks = body_checks(req)
    check_put_length(req)
    customer_key = parse_customer_key_headers(req)  # an SSE-C upload's key, on every part
    grant, bucket = await ctx.authorize_bucket(req)  # 2. authorize
    upload = await ctx.uploads.get(bucket, key, _upload_id(req))  # 3. service
    part = await ctx.uploads.put_part(grant, upload, number, req.body(), checks, customer_key=customer_key)
    out = _part_headers(part, upload)  # 4. render
    if checks.checksum_algorithm is not None and checks.checksum_algorithm.header_name not in out:
        claimed = checks.checksum_value()  # verified equal to the bytes received
        if claimed is not None:
            out[checks.checksum_algorithm.header_name] = claimed
    return empty_response(200, out)


async def upload_part_copy(req: S3Request, ctx: RequestContext) -> Response:
    """UploadPartCopy: a part from (a range of) an existing object, decrypted and sealed anew."""
    key = validate_key(req.key or "")  # 1. parse
    number = part_number_or_error(req.query_value("partNumber"))
    source = parse_copy_source(req.headers[COPY_SOURCE_HEADER])
    customer_key = parse_customer_key_headers(req)  # the upload's SSE-C key
    source_key = parse_customer_key_headers(req, COPY_SOURCE_SSEC_PREFIX)  # an SSE-C source's key
    grant, bucket = await ctx.authorize_bucket(req)  # 2. authorize, the source too
    read_action = "s3:GetObjectVersion" if source.version_id is not None else "s3:GetObject"
    _source_grant, source_bucket = await ctx.authorize_other_bucket(req, source.bucket, source.key, read_action)
    upload = await ctx.uploads.get(bucket, key, _upload_id(req))  # 3. service
    version = await ctx.objects.get(source_bucket, source.key, source.version_id)
    check_customer_key(upload.headers, customer_key, upload=True)
    check_customer_key(version.headers, source_key)
    check_copy_source_conditions(req.headers, version)
    start, end = parse_copy_source_range(req.headers.get(COPY_SOURCE_RANGE_HEADER), version.size) or (0, version.size - 1)
    if end - start + 1 > MAX_PART_BYTES:
        raise S3Error("InvalidRequest", f"The specified copy source is larger than the maximum allowable size for a copy source: {MAX_PART_BYTES}")
    await req.drain()
    body = ctx.objects.read(version, start, end, customer_key=source_key)
    part = await ctx.uploads.put_part(grant, upload, number, body, BodyChecks(), customer_key=customer_key)
    out = sse_response_headers(upload.headers)  # 4. render
    if version.version_id != "null":
        out["x-amz-copy-source-version-id"] = version.version_id
    content: list[tuple[str, Node]] = [("LastModified", iso8601(part.last_modified)), ("ETag", part.etag)]
    if part.checksum is not None and upload.checksum_algorithm is not None:
        content.append((_ELEMENTS[upload.checksum_algorithm], part.checksum))
    return xml_response("CopyPartResult", content, headers=out)


def _parse_part(element: Element) -> CompletedPart:
    number_text, etag = child_text(element, "PartNumber"), child_text(element, "ETag")
    if number_text is None or etag is None or not number_text.strip().isdigit():
        raise S3Error("MalformedXML")
    checksums: dict[ChecksumAlgorithm, str] = {}
    for algorithm, name in _ELEMENTS.items():
        value = child_text(element, name)
        if value is not None:
            checksums[algorithm] = value.strip()
    return CompletedPart(int(number_text), etag.strip(), checksums)


def _parse_complete(body: bytes, req: S3Request) -> CompleteRequest:
    """The <CompleteMultipartUpload> body plus the whole-object claims in its headers."""
    root = parse_xml(body, max_bytes=COMPLETE_MAX_BYTES)
    if strip_ns(root.tag) != "CompleteMultipartUpload":
        raise S3Error("MalformedXML")
    elements = children(root, "Part")
    if len(elements) > MAX_PART_NUMBER:
        raise S3Error("MalformedXML", f"A multipart upload has at most {MAX_PART_NUMBER} parts")
    claimed = [(a, req.headers[a.header_name]) for a in ChecksumAlgorithm if a.header_name in req.headers]
    if len(claimed) > 1:
        raise S3Error("InvalidRequest", "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
    object_checksum = None
    if claimed:
        algorithm, value = claimed[0]
        # A COMPOSITE value arrives as "<base64>-<N>"; the digest before the dash must still be well formed.
        # A malformed one cannot match the computed checksum: BadDigest (Ceph s3-tests
        # test_multipart_checksum_sha256, not marked fails_on_aws), not InvalidRequest as on PutObject.
        try:
            parse_checksum_header_value(algorithm, value.strip().split("-", 1)[0])
        except S3Error:
            raise S3Error("BadDigest", f"The {algorithm.value} you specified did not match the calculated checksum.") from None
        object_checksum = (algorithm, value.strip())
    size = req.headers.get(MP_OBJECT_SIZE_HEADER)
    if size is not None and not size.strip().isdigit():
        raise S3Error("InvalidRequest", f"Value for {MP_OBJECT_SIZE_HEADER} header is invalid.")
    if_none_match = req.headers.get("if-none-match")
    return CompleteRequest(
        parts=[_parse_part(e) for e in elements],
        object_checksum=object_checksum,
        checksum_type=_checksum_type(req.headers.get(CHECKSUM_TYPE_HEADER)),
        object_size=int(size) if size is not None else None,
        conditions=Conditions(if_none_match=if_none_match, if_match=req.headers.get("if-match")),
    )


def _location(req: S3Request, bucket: str, key: str) -> str:
    scheme = str(req.scope.get("scheme", "http"))
    host = req.headers.get("host", "localhost")
    return f"{scheme}://{host}/{quote(bucket)}/{quote(key)}"


async def complete_multipart_upload(req: S3Request, ctx: RequestContext) -> Response:
    """CompleteMultipartUpload: assemble the object from the named parts, in one commit."""
    key = validate_key(req.key or "")  # 1. parse (headers), 2. authorize, then the body
    customer_key = parse_customer_key_headers(req)
    grant, bucket = await ctx.authorize_bucket(req)
    await _check_complete_customer_key(ctx, bucket, key, _upload_id(req), customer_key)
    request = _parse_complete(await req.read_body(COMPLETE_MAX_BYTES), req)
    done = await ctx.uploads.complete(grant, bucket, key, _upload_id(req), request)  # 3. service (a retry: same answer)
    version = done.version  # 4. render
    content: list[tuple[str, Node]] = [
        ("Location", _location(req, bucket.name, key)),
        ("Bucket", bucket.name),
        ("Key", key),
        ("ETag", version.etag),
    ]
    if done.checksum_algorithm is not None and done.checksum_type is not None:
        content += [(_ELEMENTS[done.checksum_algorithm], done.checksum), ("ChecksumType", done.checksum_type.value)]
    out = sse_response_headers(version.headers)
    if version.version_id != "null":
        out["x-amz-version-id"] = version.version_id
    return xml_response("CompleteMultipartUploadResult", content, headers=out)


async def _check_complete_customer_key(ctx: RequestContext, bucket: Bucket, key: str, upload_id: str, customer_key: CustomerKey | None) -> None:
    """An SSE-C upload's key on CompleteMultipartUpload: when sent it must be the upload's (400 otherwise);
    AWS needs it only when the upload computes a checksum, so only then is its absence refused."""
    try:
        upload = await ctx.uploads.get(bucket, key, upload_id)
    except S3Error:
        return  # a completed upload's retry, or NoSuchUpload: the service answers
    if customer_key is not None:
        check_customer_key(upload.headers, customer_key, upload=True)
    elif SSEC_FINGERPRINT_HEADER in upload.headers and upload.checksum_algorithm is not None:
        check_customer_key(upload.headers, None, upload=True)


async def abort_multipart_upload(req: S3Request, ctx: RequestContext) -> Response:
    """AbortMultipartUpload: drop the upload; its parts' blobs become garbage."""
    key = validate_key(req.key or "")
    grant, bucket = await ctx.authorize_bucket(req)
    await ctx.uploads.abort(grant, bucket, ObjectKey(key), _upload_id(req))
    return empty_response(204)


def _count_param(req: S3Request, name: str, default: int, cap: int) -> int:
    value = req.query_value(name)
    if value is None or value == "":
        return default
    if not value.isdigit():
        raise S3Error("InvalidArgument", f"Provided {name} not an integer or within integer range", extra={"ArgumentName": name, "ArgumentValue": value})
    return min(int(value), cap)


class _People:
    """Owner and Initiator elements, looking each account up once per request."""

    def __init__(self, ctx: RequestContext) -> None:
        self._ctx = ctx
        self._names: dict[str, tuple[str, str]] = {}

    async def account(self, account_id: str) -> tuple[str, str]:
        if account_id not in self._names:
            p = self._ctx.principal
            found: Account | None = p.account if p is not None and p.account.account_id == account_id else None
            if found is None:
                found = await asyncio.to_thread(self._ctx.services.accounts.canonical_owner_sync, account_id)
            self._names[account_id] = (found.canonical_id, found.display_name) if found else (account_id, account_id)
        return self._names[account_id]

    async def owner(self, account_id: str) -> Node:
        canonical, name = await self.account(account_id)
        return [("ID", canonical), ("DisplayName", name)]

    async def initiator(self, arn: str) -> Node:
        # Root principals show as their account's canonical user; IAM users by ARN (as AWS does).
        if arn.endswith(":root"):
            return await self.owner(arn.split(":")[4])
        return [("ID", arn), ("DisplayName", arn.rsplit("/", 1)[-1])]


def _part_node(part: Part, upload: Upload) -> Node:
    content: list[tuple[str, Node]] = [
        ("PartNumber", part.number), ("LastModified", iso8601(part.last_modified)), ("ETag", part.etag), ("Size", part.size),
    ]
    if part.checksum is not None and upload.checksum_algorithm is not None:
        content.append((_ELEMENTS[upload.checksum_algorithm], part.checksum))
    return content


async def list_parts(req: S3Request, ctx: RequestContext) -> Response:
    """ListParts: an upload's parts in ascending order, paged by part-number-marker."""
    key = validate_key(req.key or "")  # 1. parse
    max_parts = _count_param(req, "max-parts", MAX_LIST_ENTRIES, MAX_LIST_ENTRIES)
    marker = _count_param(req, "part-number-marker", 0, MAX_PART_NUMBER)
    _grant, bucket = await ctx.authorize_bucket(req)  # 2. authorize
    upload = await ctx.uploads.get(bucket, key, _upload_id(req))  # 3. service
    parts = await ctx.uploads.parts(upload, after=marker, limit=max_parts + 1)
    truncated, parts = len(parts) > max_parts, parts[:max_parts]
    people = _People(ctx)  # 4. render
    content: list[tuple[str, Node]] = [
        ("Bucket", bucket.name), ("Key", key), ("UploadId", upload.upload_id),
        ("PartNumberMarker", marker),
        ("NextPartNumberMarker", parts[-1].number if parts else marker),
        ("MaxParts", max_parts), ("IsTruncated", truncated),
    ]
    content += [("Part", _part_node(p, upload)) for p in parts]
    content += [
        ("Initiator", await people.initiator(upload.initiator_arn)),
        ("Owner", await people.owner(upload.owner_account)),
        ("StorageClass", upload.headers.get("x-amz-storage-class", "STANDARD")),
    ]
    if upload.checksum_algorithm is not None and upload.checksum_type is not None:
        content += [("ChecksumAlgorithm", upload.checksum_algorithm.value), ("ChecksumType", upload.checksum_type.value)]
    return xml_response("ListPartsResult", content)


async def list_multipart_uploads(req: S3Request, ctx: RequestContext) -> Response:
    """ListMultipartUploads: uploads in progress by key and initiation time, with prefix/delimiter rollup."""
    prefix = req.query_value("prefix") or ""  # 1. parse
    delimiter = req.query_value("delimiter") or ""
    key_marker = req.query_value("key-marker") or ""
    # AWS ignores upload-id-marker without key-marker.
    upload_id_marker = (req.query_value("upload-id-marker") or "") if key_marker else ""
    max_uploads = _count_param(req, "max-uploads", MAX_LIST_ENTRIES, MAX_LIST_ENTRIES)
    encoding = req.query_value("encoding-type")
    if encoding not in (None, "url"):
        raise S3Error("InvalidArgument", "Invalid Encoding Method specified in Request", extra={"ArgumentName": "encoding-type", "ArgumentValue": encoding})
    _grant, bucket = await ctx.authorize_bucket(req)  # 2. authorize
    listing = await ctx.uploads.list_uploads(  # 3. service
        bucket, prefix=prefix, delimiter=delimiter, key_marker=key_marker, upload_id_marker=upload_id_marker, max_uploads=max_uploads
    )

    def enc(value: str) -> str:  # 4. render
        return quote(value, safe="/") if encoding == "url" else value

    people = _People(ctx)
    content: list[tuple[str, Node]] = [
        ("Bucket", bucket.name), ("KeyMarker", enc(key_marker)), ("UploadIdMarker", upload_id_marker),
        ("NextKeyMarker", enc(listing.next_key_marker) if listing.next_key_marker is not None else None),
        ("NextUploadIdMarker", listing.next_upload_id_marker),
        ("Delimiter", enc(delimiter) if delimiter else None), ("Prefix", enc(prefix)),
        ("MaxUploads", max_uploads), ("IsTruncated", listing.truncated),
    ]
    for u in listing.uploads:
        entry: list[tuple[str, Node]] = [
            ("Key", enc(u.key)), ("UploadId", u.upload_id),
            ("Initiator", await people.initiator(u.initiator_arn)), ("Owner", await people.owner(u.owner_account)),
            ("StorageClass", u.headers.get("x-amz-storage-class", "STANDARD")), ("Initiated", iso8601(u.initiated)),
        ]
        if u.checksum_algorithm is not None and u.checksum_type is not None:
            entry += [("ChecksumAlgorithm", u.checksum_algorithm.value), ("ChecksumType", u.checksum_type.value)]
        content.append(("Upload", entry))
    content += [("CommonPrefixes", [("Prefix", enc(p))]) for p in listing.common_prefixes]
    if encoding == "url":
        content.append(("EncodingType", "url"))
    return xml_response("ListMultipartUploadsResult", content)
