"""IAM access key operations: CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey and
GetAccessKeyLastUsed. Without UserName they act on the caller's own keys (the root's, for the root).

A deactivated or deleted key is dropped from this gateway's credential cache at once, so it stops
authenticating here immediately (elsewhere within the cache's seconds).
"""

from __future__ import annotations

from ...service.iam.keys import KEY_STATUSES
from ..xml import Node
from .context import IamContext
from .params import Params
from .render import iso, key_node, members

__all__ = ["create_access_key", "list_access_keys", "update_access_key", "delete_access_key", "get_access_key_last_used"]


async def create_access_key(p: Params, ctx: IamContext) -> Node:
    """CreateAccessKey: a new Active key and its secret (the only time the secret is shown)."""
    name, arn = await ctx.user_or_self(p.name("user", "UserName", required=False))
    grant = await ctx.authorize(arn)
    key, secret = await ctx.run(ctx.iam.keys.create, grant, ctx.account_id, name)
    node = [("UserName", key.user_name), ("AccessKeyId", key.access_key_id), ("Status", key.status),
            ("SecretAccessKey", secret), ("CreateDate", iso(key.created))]
    return [("AccessKey", node)]


async def list_access_keys(p: Params, ctx: IamContext) -> Node:
    """ListAccessKeys: the user's (or caller's) keys, never their secrets."""
    name, arn = await ctx.user_or_self(p.name("user", "UserName", required=False))
    await ctx.authorize(arn)
    keys = await ctx.run(ctx.iam.keys.list_in, ctx.account_id, name)
    return [("AccessKeyMetadata", members(keys, lambda k: key_node(k, k.user_name))), ("IsTruncated", False)]


async def update_access_key(p: Params, ctx: IamContext) -> Node:
    """UpdateAccessKey: Active or Inactive (an Inactive key fails authentication)."""
    key_id, status = p.required("AccessKeyId"), p.choice("Status", KEY_STATUSES)
    name, arn = await ctx.user_or_self(p.name("user", "UserName", required=False))
    grant = await ctx.authorize(arn)
    await ctx.run(ctx.iam.keys.set_status, grant, ctx.account_id, name, key_id, status)
    ctx.services.credentials.forget(key_id)
    return None


async def delete_access_key(p: Params, ctx: IamContext) -> Node:
    """DeleteAccessKey: the key stops working at once on this gateway."""
    key_id = p.required("AccessKeyId")
    name, arn = await ctx.user_or_self(p.name("user", "UserName", required=False))
    grant = await ctx.authorize(arn)
    await ctx.run(ctx.iam.keys.delete, grant, ctx.account_id, name, key_id)
    ctx.services.credentials.forget(key_id)
    return None


async def get_access_key_last_used(p: Params, ctx: IamContext) -> Node:
    """GetAccessKeyLastUsed: when, through which service and region a key of the account last signed
    a request (recorded at most once a minute); "N/A" before its first use."""
    key_id = p.required("AccessKeyId")
    key = await ctx.run(ctx.iam.keys.get, ctx.account_id, key_id)
    name, arn = await ctx.user_or_self(key.user_name) if key.user_name is not None else (None, ctx.principal.account.root_arn)
    await ctx.authorize(arn)
    used: list[tuple[str, Node]] = []
    if key.last_used is not None:
        used.append(("LastUsedDate", iso(key.last_used)))
    used += [("ServiceName", key.last_used_service or "N/A"), ("Region", key.last_used_region or "N/A")]
    return [("UserName", name), ("AccessKeyLastUsed", used)]
