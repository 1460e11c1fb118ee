"""Block Public Access for a bucket: PutPublicAccessBlock, GetPublicAccessBlock, DeletePublicAccessBlock.

The four flags are stored as the bucket's "public-access-block" document (service/access_controls.py).
New buckets start with all four on (AWS's default); after DeletePublicAccessBlock the bucket has none
and GetPublicAccessBlock answers NoSuchPublicAccessBlockConfiguration, as AWS does.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from ...errors import S3Error
from ...service.access_controls import PUBLIC_ACCESS_BLOCK_KIND, PublicAccessBlock
from ..context import RequestContext
from ..request import S3Request
from ..response import Response, empty_response, xml_response
from ..xml import parse_xml, strip_ns
from .headers import verify_small_body

__all__ = ["put_public_access_block", "get_public_access_block", "delete_public_access_block"]

PUBLIC_ACCESS_BLOCK_MAX_BYTES = 4 * 1024
_BOOLEANS = {"true": True, "false": False}


def parse_public_access_block(body: bytes) -> PublicAccessBlock:
    """<PublicAccessBlockConfiguration> with any of the four flags (absent means false), each once."""
    return public_access_block_from(parse_xml(body, max_bytes=PUBLIC_ACCESS_BLOCK_MAX_BYTES))


def public_access_block_from(root: Element) -> PublicAccessBlock:
    """The flags of a parsed <PublicAccessBlockConfiguration> element (also nested in other requests)."""
    if strip_ns(root.tag) != "PublicAccessBlockConfiguration":
        raise S3Error("MalformedXML")
    values: dict[str, bool] = {}
    for element in root:
        name, text = strip_ns(element.tag), (element.text or "").strip().lower()
        if name not in PublicAccessBlock.FIELDS or name in values or text not in _BOOLEANS:
            raise S3Error("MalformedXML")
        values[name] = _BOOLEANS[text]
    return PublicAccessBlock.from_dict(values)


async def put_public_access_block(req: S3Request, ctx: RequestContext) -> Response:
    """PutPublicAccessBlock: replace the bucket's four flags."""
    body = await req.read_body(PUBLIC_ACCESS_BLOCK_MAX_BYTES)
    verify_small_body(req, body, required=False)
    config = parse_public_access_block(body)
    grant, bucket = await ctx.authorize_bucket(req)
    await ctx.buckets.put_config(grant, bucket.name, PUBLIC_ACCESS_BLOCK_KIND, config.to_json())
    return empty_response(200)


async def get_public_access_block(req: S3Request, ctx: RequestContext) -> Response:
    """GetPublicAccessBlock: the bucket's flags, or NoSuchPublicAccessBlockConfiguration."""
    _grant, bucket = await ctx.authorize_bucket(req)
    config = PublicAccessBlock.from_json(await ctx.buckets.get_config(bucket.name, PUBLIC_ACCESS_BLOCK_KIND))
    if config is None:
        raise S3Error("NoSuchPublicAccessBlockConfiguration", resource=bucket.name, extra={"BucketName": bucket.name})
    content = [(name, "true" if value else "false") for name, value in config.as_dict().items()]
    return xml_response("PublicAccessBlockConfiguration", content)


async def delete_public_access_block(req: S3Request, ctx: RequestContext) -> Response:
    """DeletePublicAccessBlock: the bucket keeps no flags of its own (absent is fine)."""
    grant, bucket = await ctx.authorize_bucket(req)
    await ctx.buckets.delete_config(grant, bucket.name, PUBLIC_ACCESS_BLOCK_KIND)
    return empty_response(204)
