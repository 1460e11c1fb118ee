"""Tag handlers: TagResource, UntagResource, ListResourceTags."""

from __future__ import annotations

from .context import KmsContext
from .params import Params

__all__ = ["tag_resource", "untag_resource", "list_resource_tags"]

TAGS_LIMIT_MAX = 50


async def tag_resource(p: Params, ctx: KmsContext) -> dict[str, object] | None:
    """TagResource: add or overwrite tags of a key."""
    ref = p.string("KeyId")
    tags = p.tags("Tags")
    key = await ctx.resolve(ref)
    await ctx.run(ctx.kms.tag, ctx.authorize(key), key, tags)
    return None


async def untag_resource(p: Params, ctx: KmsContext) -> dict[str, object] | None:
    """UntagResource: remove tags of a key by tag key."""
    ref = p.string("KeyId")
    tag_keys = p.string_list("TagKeys")
    key = await ctx.resolve(ref)
    await ctx.run(ctx.kms.untag, ctx.authorize(key), key, tag_keys)
    return None


async def list_resource_tags(p: Params, ctx: KmsContext) -> dict[str, object] | None:
    """ListResourceTags: a key's tags, paged by Marker."""
    ref = p.string("KeyId")
    limit = p.integer("Limit", TAGS_LIMIT_MAX, 1, TAGS_LIMIT_MAX)
    marker = p.optional_string("Marker", 1024)
    key = await ctx.resolve(ref)
    ctx.authorize(key)
    tags, next_marker = await ctx.run(ctx.kms.list_tags, key, limit, marker)
    result: dict[str, object] = {"Tags": [{"TagKey": k, "TagValue": v} for k, v in tags], "Truncated": next_marker is not None}
    if next_marker is not None:
        result["NextMarker"] = next_marker
    return result
