"""CopyObject: parse the copy request, authorise both ends, copy through service/copy, render
CopyObjectResult. The copy rules themselves (self-copy, size, what COPY carries) live in service/copy.py.
"""

from __future__ import annotations

from ...errors import S3Error
from ...service.checksums import ChecksumAlgorithm
from ...service.copy import CopyPlan, Directive
from ...service.copy import copy_object as copy_service
from ...service.model import ObjectVersion
from ...service.objects import validate_key
from ...service.sse import SSE_KMS_KEY_HEADER, SSEC_ALGORITHM_HEADER, check_customer_key
from ..context import RequestContext
from ..httpdates import iso8601
from ..request import S3Request
from ..response import Response, xml_response
from .acl import new_object_owner, write_acl_headers
from .copysource import COPY_SOURCE_HEADER, check_copy_source_conditions, parse_copy_source
from .headers import (
    COPY_SOURCE_SSEC_PREFIX,
    SSE_HEADER,
    body_checks,
    parse_customer_key_headers,
    parse_sse_request,
    parse_tagging_header,
    sse_response_headers,
    stored_headers,
)

__all__ = ["copy_object"]

METADATA_DIRECTIVE_HEADER = "x-amz-metadata-directive"
TAGGING_DIRECTIVE_HEADER = "x-amz-tagging-directive"
COPY_SOURCE_VERSION_HEADER = "x-amz-copy-source-version-id"
# Request headers that change an object's attributes, making a self-copy with COPY legal (AWS CopyObject).
_ATTRIBUTE_HEADERS = (
    "x-amz-storage-class", "x-amz-website-redirect-location", SSE_HEADER, SSE_KMS_KEY_HEADER, SSEC_ALGORITHM_HEADER, "x-amz-checksum-algorithm",
)
# Kept from the request even under COPY: AWS copies neither storage class nor website redirect.
_PER_REQUEST_HEADERS = ("x-amz-storage-class", "x-amz-website-redirect-location")


def _directive(req: S3Request, header: str, unknown: str) -> Directive:
    value = req.headers.get(header)
    if value is None:
        return Directive.COPY
    try:
        return Directive(value)
    except ValueError as exc:
        raise S3Error("InvalidArgument", unknown, extra={"ArgumentName": header, "ArgumentValue": value}) from exc


def _checksum_elements(version: ObjectVersion) -> list[tuple[str, str | None]]:
    """ChecksumType, then Checksum<ALG>, in the order of the CopyObjectResult schema."""
    values = [("Checksum" + a.value, version.headers[a.header_name]) for a in ChecksumAlgorithm if a.header_name in version.headers]
    return [("ChecksumType", version.headers.get("x-amz-checksum-type")), *values] if values else []


async def copy_object(req: S3Request, ctx: RequestContext) -> Response:
    """CopyObject: a new object from an existing one's bytes, re-sealed under a fresh data key."""
    key = validate_key(req.key or "")  # 1. parse
    source_ref = parse_copy_source(req.headers[COPY_SOURCE_HEADER])
    metadata_directive = _directive(req, METADATA_DIRECTIVE_HEADER, "Unknown metadata directive.")
    tagging_directive = _directive(req, TAGGING_DIRECTIVE_HEADER, "Unknown tagging directive.")
    request_headers = stored_headers(req)
    sse = parse_sse_request(req)  # the destination's encryption: the request's, never the source's (as AWS)
    source_key = parse_customer_key_headers(req, COPY_SOURCE_SSEC_PREFIX)  # an SSE-C source's key
    if metadata_directive is Directive.COPY:
        request_headers = {k: v for k, v in request_headers.items() if k in _PER_REQUEST_HEADERS}
    tags = parse_tagging_header(req.headers.get("x-amz-tagging")) if tagging_directive is Directive.REPLACE else None
    algorithm = body_checks(req).checksum_algorithm
    grant, bucket = await ctx.authorize_bucket(req)  # 2. authorize the destination, then the source
    source_action = "s3:GetObjectVersion" if source_ref.version_id is not None else "s3:GetObject"
    source_grant, source_bucket = await ctx.authorize_other_bucket(req, source_ref.bucket, source_ref.key, source_action)
    source = await ctx.objects.get(source_bucket, source_ref.key, source_ref.version_id)
    if source.is_delete_marker:  # a delete marker named by version id has nothing to copy
        raise S3Error("InvalidRequest", "The source of a copy request may not specifically refer to a delete marker by version id.")
    check_customer_key(source.headers, source_key)
    check_copy_source_conditions(req.headers, source)
    request_headers.update(await write_acl_headers(req, ctx, bucket))  # a copy gets the request's ACL, never the source's
    encryption = await ctx.encryption(sse, bucket)
    plan = CopyPlan(
        source=source, bucket=bucket, key=key,
        metadata_directive=metadata_directive, headers=request_headers,
        tagging_directive=tagging_directive, tags=tags, checksum_algorithm=algorithm,
        changes_attributes=any(h in req.headers for h in _ATTRIBUTE_HEADERS),
        encryption=encryption, source_customer_key=source_key, owner_account=await new_object_owner(req, ctx, bucket),
    )
    version = await copy_service(ctx.objects, grant, source_grant, plan)  # 3. service
    headers = sse_response_headers(version.headers)  # 4. render
    if source.version_id != "null":
        headers[COPY_SOURCE_VERSION_HEADER] = source.version_id
    if version.version_id != "null":
        headers["x-amz-version-id"] = version.version_id
    content = [("ETag", version.etag), ("LastModified", iso8601(version.last_modified)), *_checksum_elements(version)]
    return xml_response("CopyObjectResult", content, headers=headers)
