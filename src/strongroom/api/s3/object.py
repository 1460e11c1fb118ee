"""Object handlers: PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects."""

from __future__ import annotations

from collections.abc import AsyncIterator

from ...errors import S3Error
from ...service.model import ObjectKey, ObjectVersion
from ...service.objects import MAX_PUT_BYTES, Conditions, validate_key
from ...service.sse import CustomerKey, check_customer_key
from ..context import RequestContext
from ..httpdates import parse_http_date_or_none
from ..ranges import parse_range
from ..request import S3Request
from ..response import Response, empty_response
from .acl import new_object_owner, write_acl_headers
from .deletes import delete_objects
from .headers import (
    body_checks,
    object_response_headers,
    parse_customer_key_headers,
    parse_sse_request,
    parse_tagging_header,
    refuse_write_encryption_headers,
    sse_response_headers,
    stored_headers,
)

__all__ = ["put_object", "get_object", "head_object", "delete_object", "delete_objects"]


def _put_conditions(req: S3Request) -> Conditions:
    return Conditions(if_none_match=req.headers.get("if-none-match"), if_match=req.headers.get("if-match"))


def check_put_length(req: S3Request) -> None:
    """A PUT needs a length (or aws-chunked's decoded length) and at most 5 GiB."""
    length = req.decoded_length
    if length is None and req.headers.get("transfer-encoding", "").lower() != "chunked":
        raise S3Error("MissingContentLength")
    if length is not None and length > MAX_PUT_BYTES:
        raise S3Error("EntityTooLarge", extra={"ProposedSize": str(length), "MaxSizeAllowed": str(MAX_PUT_BYTES)})


async def put_object(req: S3Request, ctx: RequestContext) -> Response:
    """PutObject: store a whole object, streamed and sealed."""
    key = validate_key(req.key or "")  # 1. parse
    tags = parse_tagging_header(req.headers.get("x-amz-tagging"))
    checks = body_checks(req)
    check_put_length(req)
    conditions = _put_conditions(req)
    grant, bucket = await ctx.authorize_bucket(req)  # 2. authorize (then resolve the KMS key)
    # The SSE headers are condition keys: a policy that denies a bad algorithm answers before the
    # headers are judged (AWS), and nothing has changed yet either way.
    headers = stored_headers(req)
    sse = parse_sse_request(req)
    headers.update(await write_acl_headers(req, ctx, bucket))
    encryption = await ctx.encryption(sse, bucket)
    version = await ctx.objects.put(  # 3. service
        grant, bucket, key, req.body(), headers=headers, tags=tags, checks=checks, conditions=conditions, encryption=encryption,
        owner_account=await new_object_owner(req, ctx, bucket),
    )
    out = {"etag": version.etag, **sse_response_headers(version.headers)}  # 4. render
    out.update({k: v for k, v in version.headers.items() if k.startswith("x-amz-checksum-") and k != "x-amz-checksum-type"})
    if version.version_id != "null":
        out["x-amz-version-id"] = version.version_id
    return empty_response(200, out)


def _evaluate_conditions(req: S3Request, version: ObjectVersion) -> None:
    """RFC 9110 13.2.2 order, as S3 applies it: If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since."""
    from ...service.objects import etag_matches

    if_match = req.headers.get("if-match")
    if if_match is not None and not etag_matches(if_match, version.etag):
        raise S3Error("PreconditionFailed", extra={"Condition": "If-Match"})
    since = req.headers.get("if-unmodified-since")
    if if_match is None and since is not None:
        moment = parse_http_date_or_none(since)
        if moment is not None and int(version.last_modified) > moment:
            raise S3Error("PreconditionFailed", extra={"Condition": "If-Unmodified-Since"})
    if_none_match = req.headers.get("if-none-match")
    not_modified = {"etag": version.etag, "last-modified": object_response_headers(req, version)["last-modified"]}
    if if_none_match is not None and etag_matches(if_none_match, version.etag):
        raise S3Error("NotModified", headers=not_modified)
    modified = req.headers.get("if-modified-since")
    if if_none_match is None and modified is not None:
        moment = parse_http_date_or_none(modified)
        if moment is not None and int(version.last_modified) <= moment:
            raise S3Error("NotModified", headers=not_modified)


def _part_range(req: S3Request, version: ObjectVersion) -> tuple[int, int] | None:
    value = req.query_value("partNumber")
    if value is None:
        return None
    if not value.isdigit() or not 1 <= int(value) <= 10000:
        raise S3Error("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive", extra={"ArgumentName": "partNumber"})
    number = int(value)
    # A part the object does not have is 400 InvalidPart, as AWS answers (Ceph s3-tests
    # test_multipart_get_part, test_non_multipart_get_part); a non-multipart object is part 1.
    if not version.parts_count:
        if number != 1:
            raise S3Error("InvalidPart")
        return (0, version.size - 1) if version.size else None
    offset = 0
    for extent in version.extents:
        if extent.part_number == number:
            return offset, offset + extent.size - 1
        offset += extent.size
    raise S3Error("InvalidPart")


def _part_checksum_headers(version: ObjectVersion, start: int) -> dict[str, str]:
    """The checksum of the part that starts at this offset, with the object's checksum type."""
    kind = version.headers.get("x-amz-checksum-type")
    algorithms = [k for k in version.headers if k.startswith("x-amz-checksum-") and k != "x-amz-checksum-type"]
    if not kind or not algorithms:
        return {}
    offset = 0
    for extent in version.extents:
        if offset == start and extent.checksum:
            return {algorithms[0]: extent.checksum, "x-amz-checksum-type": kind}
        offset += extent.size
    return {}


async def _prepare(req: S3Request, ctx: RequestContext) -> tuple[ObjectVersion, dict[str, str], int, int, int, CustomerKey | None]:
    key = validate_key(req.key or "")
    refuse_write_encryption_headers(req)
    customer_key = parse_customer_key_headers(req)
    _bucket, version = await ctx.authorize_object_read(req, key, req.query_value("versionId"))
    span = _part_range(req, version)  # a part the object lacks is InvalidPart even without the SSE-C key (AWS)
    check_customer_key(version.headers, customer_key)  # SSE-C: the right key, before conditions or any byte
    _evaluate_conditions(req, version)
    headers = object_response_headers(req, version)
    status = 200
    if span is not None:
        status = 206
    elif "range" in req.headers:
        span = parse_range(req.headers["range"], version.size)
        status = 206 if span is not None else 200
    start, end = span if span is not None else (0, version.size - 1)
    if status == 206:
        headers["content-range"] = f"bytes {start}-{end}/{version.size}"
        # A whole-object checksum does not describe a range (AWS omits it too); a part has its own.
        for name in [h for h in headers if h.startswith("x-amz-checksum")]:
            del headers[name]
        if req.query_value("partNumber") is not None:
            headers.update(_part_checksum_headers(version, start))
    headers["content-length"] = str(max(0, end - start + 1))
    return version, headers, status, start, end, customer_key


async def get_object(req: S3Request, ctx: RequestContext) -> Response:
    """GetObject: stream the plaintext, decrypting only the segments the range covers."""
    version, headers, status, start, end, customer_key = await _prepare(req, ctx)
    if end < start:
        return Response(status, headers, b"")
    stream = ctx.objects.read(version, start, end, customer_key=customer_key)
    # Open the first segment before any header is sent, so an integrity failure can still be an error.
    first = await anext(stream)
    return Response(status, headers, stream=_prepend(first, stream))


async def _prepend(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield first
    async for piece in rest:
        yield piece


async def head_object(req: S3Request, ctx: RequestContext) -> Response:
    """HeadObject: the headers of GetObject, no body."""
    _version, headers, status, _start, _end, _key = await _prepare(req, ctx)
    return Response(status, headers)


async def delete_object(req: S3Request, ctx: RequestContext) -> Response:
    """DeleteObject: remove the current version, or exactly the one versionId names (missing is not an error)."""
    key = validate_key(req.key or "")  # 1. parse
    version_id = req.query_value("versionId")
    if version_id == "":
        raise S3Error("InvalidArgument", "Version id cannot be the empty string", extra={"ArgumentName": "versionId", "ArgumentValue": ""})
    grant, bucket = await ctx.authorize_bucket(req)  # 2. authorize
    if version_id is None:  # 3. service
        await ctx.objects.delete(grant, bucket, ObjectKey(key))
        return empty_response(204)
    was_marker = await ctx.objects.delete_version(grant, bucket, key, version_id)
    headers = {"x-amz-version-id": version_id}  # 4. render
    if was_marker:
        headers["x-amz-delete-marker"] = "true"
    return empty_response(204, headers)


__all__ += ["delete_objects"]
