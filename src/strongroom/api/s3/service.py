"""Service-level handlers: ListBuckets."""

from __future__ import annotations

from ..context import RequestContext
from ..httpdates import iso8601
from ..request import S3Request
from ..response import Response, xml_response

__all__ = ["list_buckets"]


async def list_buckets(req: S3Request, ctx: RequestContext) -> Response:
    """ListBuckets: the caller's account's buckets."""
    grant = ctx.authorize_service(req)
    buckets = await ctx.buckets.list_owned(grant)
    assert ctx.principal is not None
    account = ctx.principal.account
    return xml_response(
        "ListAllMyBucketsResult",
        [
            ("Owner", [("ID", account.canonical_id), ("DisplayName", account.display_name)]),
            ("Buckets", [("Bucket", [("Name", b.name), ("CreationDate", iso8601(b.created)), ("BucketRegion", b.region)]) for b in buckets]),
        ],
    )
