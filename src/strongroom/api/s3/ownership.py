"""Object Ownership: PutBucketOwnershipControls, GetBucketOwnershipControls, DeleteBucketOwnershipControls.

Stored as the bucket's "ownership" document (the setting's name). New buckets get the operator's
default (BucketOwnerEnforced unless configured; CreateBucket's x-amz-object-ownership overrides it).
After DeleteBucketOwnershipControls the bucket behaves as ObjectWriter, as AWS's buckets without
ownership controls do, and Get answers OwnershipControlsNotFoundError.
"""

from __future__ import annotations

from ...errors import S3Error
from ...service.access_controls import OWNERSHIP_KIND, ObjectOwnership
from ..context import RequestContext
from ..request import S3Request
from ..response import Response, empty_response, xml_response
from ..xml import parse_xml, strip_ns
from .acl import bucket_acl
from .headers import verify_small_body

__all__ = ["put_bucket_ownership_controls", "get_bucket_ownership_controls", "delete_bucket_ownership_controls"]

OWNERSHIP_MAX_BYTES = 4 * 1024


def parse_ownership_controls(body: bytes) -> ObjectOwnership:
    """<OwnershipControls><Rule><ObjectOwnership>X</ObjectOwnership></Rule></OwnershipControls>: exactly one rule."""
    root = parse_xml(body, max_bytes=OWNERSHIP_MAX_BYTES)
    if strip_ns(root.tag) != "OwnershipControls" or len(root) != 1 or strip_ns(root[0].tag) != "Rule":
        raise S3Error("MalformedXML")
    rule = root[0]
    if len(rule) != 1 or strip_ns(rule[0].tag) != "ObjectOwnership":
        raise S3Error("MalformedXML")
    value = (rule[0].text or "").strip()
    try:
        return ObjectOwnership(value)
    except ValueError:
        raise S3Error("MalformedXML") from None  # not a value of the published enum


async def put_bucket_ownership_controls(req: S3Request, ctx: RequestContext) -> Response:
    """PutBucketOwnershipControls: set the bucket's Object Ownership."""
    body = await req.read_body(OWNERSHIP_MAX_BYTES)
    verify_small_body(req, body, required=False)
    ownership = parse_ownership_controls(body)
    grant, bucket = await ctx.authorize_bucket(req)
    if ownership is ObjectOwnership.BUCKET_OWNER_ENFORCED:
        # AWS: ACLs stop counting under BucketOwnerEnforced, so a bucket ACL granting anyone but the
        # owner must be made private first (or the grants would silently vanish).
        if not (await bucket_acl(ctx, bucket)).is_owner_only():
            raise S3Error("InvalidBucketAclWithObjectOwnership", "Bucket ACLs other than private are not supported with BucketOwnerEnforced.")
    await ctx.buckets.put_config(grant, bucket.name, OWNERSHIP_KIND, ownership.value)
    return empty_response(200)


async def get_bucket_ownership_controls(req: S3Request, ctx: RequestContext) -> Response:
    """GetBucketOwnershipControls: the bucket's setting, or OwnershipControlsNotFoundError."""
    _grant, bucket = await ctx.authorize_bucket(req)
    value = await ctx.buckets.get_config(bucket.name, OWNERSHIP_KIND)
    if value is None:
        raise S3Error("OwnershipControlsNotFoundError", resource=bucket.name, extra={"BucketName": bucket.name})
    return xml_response("OwnershipControls", [("Rule", [("ObjectOwnership", value)])])


async def delete_bucket_ownership_controls(req: S3Request, ctx: RequestContext) -> Response:
    """DeleteBucketOwnershipControls: back to no controls (ObjectWriter behaviour)."""
    grant, bucket = await ctx.authorize_bucket(req)
    await ctx.buckets.delete_config(grant, bucket.name, OWNERSHIP_KIND)
    return empty_response(204)
