"""Service-level handlers: ListBuckets."""

from __future__ import annotations

import base64
import binascii

from ...errors import S3Error
from ..context import RequestContext
from ..httpdates import iso8601
from ..request import S3Request
from ..response import Response, xml_response
from ..xml import Node

__all__ = ["list_buckets"]

MAX_BUCKETS_LIMIT = 10_000


def _max_buckets(req: S3Request) -> int | None:
    value = req.query_value("max-buckets")
    if value is None:
        return None
    if not value.isdigit() or not 1 <= int(value) <= MAX_BUCKETS_LIMIT:
        raise S3Error("InvalidArgument", "Invalid max-buckets value", extra={"ArgumentName": "max-buckets", "ArgumentValue": value})
    return int(value)


def _after(req: S3Request) -> str:
    token = req.query_value("continuation-token")
    if not token:
        return ""
    try:
        return base64.urlsafe_b64decode(token.encode() + b"=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise S3Error("InvalidArgument", "The continuation token provided is incorrect", extra={"ArgumentName": "continuation-token"}) from exc


async def list_buckets(req: S3Request, ctx: RequestContext) -> Response:
    """ListBuckets: the caller's account's buckets, paged with max-buckets and a continuation token."""
    limit = _max_buckets(req)
    prefix = req.query_value("prefix") or ""
    after = _after(req)
    region = req.query_value("bucket-region")
    grant = await ctx.authorize_service(req)
    buckets = await ctx.buckets.list_owned(grant, prefix=prefix, after=after, limit=None if limit is None else limit + 1)
    if region:
        buckets = [b for b in buckets if b.region == region]
    token = None
    if limit is not None and len(buckets) > limit:
        buckets = buckets[:limit]
        token = base64.urlsafe_b64encode(buckets[-1].name.encode()).decode().rstrip("=")
    assert ctx.principal is not None
    account = ctx.principal.account
    content: list[tuple[str, Node]] = [
        ("Owner", [("ID", account.canonical_id), ("DisplayName", account.display_name)]),
        ("Buckets", [("Bucket", [("Name", b.name), ("CreationDate", iso8601(b.created)), ("BucketRegion", b.region)]) for b in buckets]),
    ]
    if token:
        content.append(("ContinuationToken", token))
    if prefix:
        content.append(("Prefix", prefix))
    return xml_response("ListAllMyBucketsResult", content)
