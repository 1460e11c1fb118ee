"""Alias handlers: CreateAlias, UpdateAlias, DeleteAlias, ListAliases."""

from __future__ import annotations

from ...errors import S3Error
from ...kms.builtin import KmsKey
from .context import KmsContext
from .keys import LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX
from .params import Params

__all__ = ["create_alias", "update_alias", "delete_alias", "list_aliases"]

ALIAS_NAME_MAX_CHARS = 256


async def _target_key(p: Params, ctx: KmsContext) -> KmsKey:
    """TargetKeyId names a key by id or ARN: an alias cannot point at an alias."""
    target = p.string("TargetKeyId")
    if target.startswith("alias/") or ":alias/" in target:
        raise S3Error("ValidationException", "Aliases must refer to keys. Not aliases")
    return await ctx.resolve(target)


async def create_alias(p: Params, ctx: KmsContext) -> dict[str, object] | None:
    """CreateAlias: a new name for a key of the caller's account."""
    alias_name = p.string("AliasName", ALIAS_NAME_MAX_CHARS)
    key = await _target_key(p, ctx)
    await ctx.run(ctx.kms.create_alias, ctx.authorize(key), alias_name, key)
    return None


async def update_alias(p: Params, ctx: KmsContext) -> dict[str, object] | None:
    """UpdateAlias: point an existing alias at another key."""
    alias_name = p.string("AliasName", ALIAS_NAME_MAX_CHARS)
    key = await _target_key(p, ctx)
    await ctx.run(ctx.kms.update_alias, ctx.authorize(key), alias_name, key)
    return None


async def delete_alias(p: Params, ctx: KmsContext) -> dict[str, object] | None:
    """DeleteAlias: remove a name; its key is untouched."""
    alias_name = p.string("AliasName", ALIAS_NAME_MAX_CHARS)
    if not alias_name.startswith("alias/"):
        raise S3Error("ValidationException", "Invalid identifier: an alias name must begin with alias/")
    key = await ctx.resolve(alias_name)
    await ctx.run(ctx.kms.delete_alias, ctx.authorize(key), alias_name)
    return None


async def list_aliases(p: Params, ctx: KmsContext) -> dict[str, object] | None:
    """ListAliases: the account's aliases, or one key's, paged by Marker."""
    ref = p.optional_string("KeyId")
    limit = p.integer("Limit", LIST_LIMIT_DEFAULT, 1, LIST_LIMIT_MAX)
    marker = p.optional_string("Marker", 1024)
    key = await ctx.resolve(ref) if ref is not None else None
    ctx.authorize(None)
    aliases, next_marker = await ctx.run(ctx.kms.list_aliases, ctx.account_id, key.key_id if key else None, limit, marker)
    result: dict[str, object] = {
        "Aliases": [
            {"AliasName": a.alias_name, "AliasArn": a.alias_arn, "TargetKeyId": a.key_id, "CreationDate": a.created, "LastUpdatedDate": a.updated}
            for a in aliases
        ],
        "Truncated": next_marker is not None,
    }
    if next_marker is not None:
        result["NextMarker"] = next_marker
    return result
