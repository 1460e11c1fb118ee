"""Bucket policies: PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy, GetBucketPolicyStatus.

The policy is validated when stored (service/access_controls.py parse_bucket_policy: the policy
grammar, S3 actions, resources in this bucket) and kept as written, the bucket's "policy" document.
With BlockPublicPolicy on, a public policy (policy/public.py) is refused with 403, as AWS refuses it.
"""

from __future__ import annotations

from ...errors import S3Error
from ...policy.public import is_public
from ...service.access_controls import (
    BUCKET_POLICY_MAX_BYTES,
    POLICY_KIND,
    parse_bucket_policy,
)
from ..access import public_access_block
from ..context import RequestContext
from ..request import S3Request
from ..response import Response, empty_response, xml_response
from .acl import bucket_acl, bucket_ownership
from .headers import verify_small_body

__all__ = ["put_bucket_policy", "get_bucket_policy", "delete_bucket_policy", "get_bucket_policy_status"]


async def put_bucket_policy(req: S3Request, ctx: RequestContext) -> Response:
    """PutBucketPolicy: validate, refuse a public policy where BlockPublicPolicy says so, store."""
    assert req.bucket is not None
    try:
        body = await req.read_body(BUCKET_POLICY_MAX_BYTES)
    except S3Error as exc:
        if exc.code != "MalformedXML":
            raise
        raise S3Error("MalformedPolicy", f"Policies must not exceed {BUCKET_POLICY_MAX_BYTES} bytes.") from None
    verify_small_body(req, body, required=False)
    policy = parse_bucket_policy(body, req.bucket)
    grant, bucket = await ctx.authorize_bucket(req)
    blocks = await public_access_block(ctx, bucket)
    if blocks is not None and blocks.block_public_policy and is_public(policy):
        raise S3Error("AccessDenied", (
            f"User: {grant.principal_arn} is not authorized to perform: s3:PutBucketPolicy on resource: "
            f"\"arn:aws:s3:::{bucket.name}\" because public policies are blocked by the BlockPublicPolicy block public access setting."
        ))
    await ctx.buckets.put_config(grant, bucket.name, POLICY_KIND, body.decode("utf-8"))
    return empty_response(204)


async def get_bucket_policy(req: S3Request, ctx: RequestContext) -> Response:
    """GetBucketPolicy: the policy as it was written, or NoSuchBucketPolicy."""
    _grant, bucket = await ctx.authorize_bucket(req)
    document = await ctx.buckets.get_config(bucket.name, POLICY_KIND)
    if document is None:
        raise S3Error("NoSuchBucketPolicy", resource=bucket.name, extra={"BucketName": bucket.name})
    return Response(200, {"content-type": "application/json"}, document.encode("utf-8"))


async def delete_bucket_policy(req: S3Request, ctx: RequestContext) -> Response:
    """DeleteBucketPolicy: remove it (absent is fine)."""
    grant, bucket = await ctx.authorize_bucket(req)
    await ctx.buckets.delete_config(grant, bucket.name, POLICY_KIND)
    return empty_response(204)


async def get_bucket_policy_status(req: S3Request, ctx: RequestContext) -> Response:
    """GetBucketPolicyStatus: is the bucket public, by AWS's "meaning of public": its policy grants
    public access, or (while ACLs count) its ACL grants AllUsers or AuthenticatedUsers anything."""
    assert req.bucket is not None
    _grant, bucket = await ctx.authorize_bucket(req)
    document = await ctx.buckets.get_config(bucket.name, POLICY_KIND)
    public = document is not None and is_public(parse_bucket_policy(document.encode("utf-8"), bucket.name))
    if not public and (await bucket_ownership(ctx, bucket)).acls_enabled:
        public = (await bucket_acl(ctx, bucket)).is_public
    return xml_response("PolicyStatus", [("IsPublic", "true" if public else "false")])
