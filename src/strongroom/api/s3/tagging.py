"""Object and bucket tagging: Put/Get/DeleteObjectTagging and Put/Get/DeleteBucketTagging.

Object tags live on the object version (Objects.put_tags); bucket tags are the bucket's "tagging"
configuration document (JSON). Limits follow AWS "Categorizing your storage using tags": 10 tags per
object, 50 per bucket, keys 1-128 and values 0-256 characters, no duplicate keys.
"""

from __future__ import annotations

import json
from xml.etree.ElementTree import Element

from ...errors import S3Error
from ...service.model import Bucket, ObjectVersion
from ...service.objects import validate_key
from ..context import RequestContext
from ..request import S3Request
from ..response import Response, empty_response, xml_response
from ..xml import Node, child_text, children, parse_xml, strip_ns
from .headers import MAX_TAGS, validate_tags, verify_small_body

__all__ = [
    "get_bucket_tagging",
    "put_bucket_tagging",
    "delete_bucket_tagging",
    "get_object_tagging",
    "put_object_tagging",
    "delete_object_tagging",
    "parse_tagging_xml",
    "TAGGING_MAX_BYTES",
]

# A full bucket tag set (50 x (128 + 256) characters, escaped) fits with room to spare.
TAGGING_MAX_BYTES = 64 * 1024
MAX_BUCKET_TAGS = 50
BUCKET_TAGGING_KIND = "tagging"


def _tag_pair(tag: Element) -> tuple[str, str]:
    names = [strip_ns(c.tag) for c in tag]
    if sorted(names) != ["Key", "Value"]:
        raise S3Error("MalformedXML")
    return child_text(tag, "Key") or "", child_text(tag, "Value") or ""


def parse_tagging_xml(body: bytes, max_tags: int = MAX_TAGS) -> dict[str, str]:
    """<Tagging><TagSet><Tag><Key/><Value/></Tag>...</TagSet></Tagging> -> tags, validated."""
    root = parse_xml(body, max_bytes=TAGGING_MAX_BYTES)
    tag_sets = children(root, "TagSet")
    if strip_ns(root.tag) != "Tagging" or len(tag_sets) != 1 or len(root) != 1:
        raise S3Error("MalformedXML")
    tags: dict[str, str] = {}
    for element in tag_sets[0]:
        if strip_ns(element.tag) != "Tag":
            raise S3Error("MalformedXML")
        key, value = _tag_pair(element)
        if key in tags:
            raise S3Error("InvalidTag", "Cannot provide multiple Tags with the same key")
        tags[key] = value
    validate_tags(tags, max_tags)
    return tags


def _render(tags: dict[str, str]) -> Response:
    # Sorted by key, as AWS lists a tag set.
    tag_set: Node = [("Tag", [("Key", k), ("Value", tags[k])]) for k in sorted(tags)]
    return xml_response("Tagging", [("TagSet", tag_set)])


async def _read_tags(req: S3Request, max_tags: int) -> dict[str, str]:
    body = await req.read_body(TAGGING_MAX_BYTES)
    verify_small_body(req, body, required=True)
    return parse_tagging_xml(body, max_tags)


async def _target_version(req: S3Request, ctx: RequestContext, bucket: Bucket) -> ObjectVersion:
    version = await ctx.objects.get(bucket, validate_key(req.key or ""), req.query_value("versionId"))
    if version.is_delete_marker:
        raise S3Error("MethodNotAllowed", extra={"Method": req.method, "ResourceType": "DeleteMarker"})
    return version


def _version_header(version: ObjectVersion) -> dict[str, str]:
    return {"x-amz-version-id": version.version_id} if version.version_id != "null" else {}


async def put_object_tagging(req: S3Request, ctx: RequestContext) -> Response:
    """PutObjectTagging: replace the tag set of one object version."""
    validate_key(req.key or "")  # 1. parse
    tags = await _read_tags(req, MAX_TAGS)
    grant, bucket = await ctx.authorize_bucket(req)  # 2. authorize
    version = await _target_version(req, ctx, bucket)  # 3. service
    await ctx.objects.put_tags(grant, version, tags or None)
    return empty_response(200, _version_header(version))  # 4. render


async def get_object_tagging(req: S3Request, ctx: RequestContext) -> Response:
    """GetObjectTagging: the tag set of one object version (empty if it has none)."""
    validate_key(req.key or "")
    _grant, bucket = await ctx.authorize_bucket(req)
    version = await _target_version(req, ctx, bucket)
    response = _render(version.tags or {})
    response.headers.update(_version_header(version))
    return response


async def delete_object_tagging(req: S3Request, ctx: RequestContext) -> Response:
    """DeleteObjectTagging: remove every tag of one object version."""
    validate_key(req.key or "")
    grant, bucket = await ctx.authorize_bucket(req)
    version = await _target_version(req, ctx, bucket)
    await ctx.objects.put_tags(grant, version, None)
    return empty_response(204, _version_header(version))


async def put_bucket_tagging(req: S3Request, ctx: RequestContext) -> Response:
    """PutBucketTagging: replace the bucket's tag set (stored as its "tagging" configuration)."""
    tags = await _read_tags(req, MAX_BUCKET_TAGS)
    grant, bucket = await ctx.authorize_bucket(req)
    if not tags:  # an empty TagSet leaves the bucket untagged (GetBucketTagging: NoSuchTagSet)
        await ctx.buckets.delete_config(grant, bucket.name, BUCKET_TAGGING_KIND)
        return empty_response(204)
    document = json.dumps({"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}, separators=(",", ":"))
    await ctx.buckets.put_config(grant, bucket.name, BUCKET_TAGGING_KIND, document)
    return empty_response(204)


async def get_bucket_tagging(req: S3Request, ctx: RequestContext) -> Response:
    """GetBucketTagging: the bucket's tag set, or NoSuchTagSet."""
    _grant, bucket = await ctx.authorize_bucket(req)
    document = await ctx.buckets.get_config(bucket.name, BUCKET_TAGGING_KIND)
    if document is None:
        raise S3Error("NoSuchTagSet", resource=bucket.name, extra={"BucketName": bucket.name})
    return _render({t["Key"]: t["Value"] for t in json.loads(document)["TagSet"]})


async def delete_bucket_tagging(req: S3Request, ctx: RequestContext) -> Response:
    """DeleteBucketTagging: remove the bucket's tag set (absent is fine)."""
    grant, bucket = await ctx.authorize_bucket(req)
    await ctx.buckets.delete_config(grant, bucket.name, BUCKET_TAGGING_KIND)
    return empty_response(204)
