"""Bucket handlers: CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation."""

from __future__ import annotations

from ...errors import S3Error
from ...service.access_controls import (
    PUBLIC_ACCESS_BLOCK_KIND,
    ObjectOwnership,
    PublicAccessBlock,
    new_bucket_configs,
)
from ..context import RequestContext
from ..request import S3Request
from ..response import Response, empty_response, xml_response
from ..xml import child_text, parse_xml, strip_ns
from .acl import new_bucket_acl

__all__ = ["create_bucket", "head_bucket", "delete_bucket", "get_bucket_location"]

CREATE_BUCKET_MAX_BYTES = 64 * 1024


async def create_bucket(req: S3Request, ctx: RequestContext) -> Response:
    """CreateBucket: validate the name and LocationConstraint, then create."""
    assert req.bucket is not None
    body = await req.read_body(CREATE_BUCKET_MAX_BYTES)
    region = None
    if body.strip():
        root = parse_xml(body)
        if strip_ns(root.tag) != "CreateBucketConfiguration":
            raise S3Error("MalformedXML")
        region = child_text(root, "LocationConstraint") or None
    settings = ctx.services.settings
    # One site serves every region name; an explicit "us-east-1" is refused as AWS refuses it.
    if region is not None and (region == "us-east-1" or not region.replace("-", "").isalnum() or len(region) > 32):
        raise S3Error("InvalidLocationConstraint", "The specified location-constraint is not valid")
    ownership = ObjectOwnership.parse(req.headers.get("x-amz-object-ownership", settings.new_bucket_object_ownership))
    configs = new_bucket_configs(settings.new_bucket_block_public_access, ownership)
    grant = await ctx.authorize_service(req)
    account_blocks = PublicAccessBlock.from_json(await ctx.services.account_configs.cached(grant.account_id, PUBLIC_ACCESS_BLOCK_KIND))
    blocks_public_acls = settings.new_bucket_block_public_access or (account_blocks is not None and account_blocks.block_public_acls)
    configs.update(await new_bucket_acl(req, ctx, grant.account_id, ownership, blocks_public_acls))
    bucket = await ctx.buckets.create(grant, req.bucket, region, configs)
    return empty_response(200, {"location": f"/{bucket.name}"})


async def head_bucket(req: S3Request, ctx: RequestContext) -> Response:
    """HeadBucket: 200 if it exists and the caller may list it."""
    _grant, bucket = await ctx.authorize_bucket(req)
    return empty_response(200, {"x-amz-bucket-region": bucket.region})


async def delete_bucket(req: S3Request, ctx: RequestContext) -> Response:
    """DeleteBucket: only when empty (BucketNotEmpty)."""
    grant, bucket = await ctx.authorize_bucket(req)
    await ctx.buckets.delete(grant, bucket.name)
    return empty_response(204)


async def get_bucket_location(req: S3Request, ctx: RequestContext) -> Response:
    """GetBucketLocation: empty for us-east-1, as AWS answers."""
    _grant, bucket = await ctx.authorize_bucket(req)
    region = "" if bucket.region == "us-east-1" else bucket.region
    return xml_response("LocationConstraint", region or None)
