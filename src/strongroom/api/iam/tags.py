"""Tag operations of users and roles: Tag/Untag/List{User,Role}Tags, and the request-tag condition keys
(aws:RequestTag/<key>, aws:TagKeys) of any request carrying tags, so policies can govern tagging."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence

from ...service.iam import EntityKind
from ..xml import Node
from .context import IamContext
from .params import Params
from .render import members

__all__ = ["tag_handlers", "request_tag_keys", "tags_node"]

Handler = Callable[[Params, IamContext], Awaitable[Node]]

_PARAM = {EntityKind.USER: "UserName", EntityKind.ROLE: "RoleName"}


def request_tag_keys(tags: Mapping[str, str], keys: Sequence[str] = ()) -> dict[str, str | list[str]]:
    """aws:RequestTag/<key> of the tags a request sets, and aws:TagKeys of every key it names."""
    out: dict[str, str | list[str]] = {f"aws:RequestTag/{k}": v for k, v in tags.items()}
    named = [*tags, *keys]
    if named:
        out["aws:TagKeys"] = named
    return out


def tags_node(tags: Mapping[str, str]) -> Node:
    """A Tags element: one member per tag."""
    return members(sorted(tags.items()), lambda kv: [("Key", kv[0]), ("Value", kv[1])])


def tag_handlers(kind: EntityKind) -> dict[str, Handler]:
    """Tag, Untag and ListTags handlers of one kind of principal, by verb."""
    param = _PARAM[kind]

    async def tag(p: Params, ctx: IamContext) -> Node:
        name, tags = p.entity(kind.value, param), p.tags()
        grant = await ctx.authorize(await ctx.entity_arn(kind, name), request_tag_keys(tags))
        await ctx.run(ctx.iam.tags.tag, grant, ctx.account_id, kind, name, tags)
        return None

    async def untag(p: Params, ctx: IamContext) -> Node:
        name, keys = p.entity(kind.value, param), p.members("TagKeys")
        grant = await ctx.authorize(await ctx.entity_arn(kind, name), request_tag_keys({}, keys))
        await ctx.run(ctx.iam.tags.untag, grant, ctx.account_id, kind, name, keys)
        return None

    async def list_tags(p: Params, ctx: IamContext) -> Node:
        name = p.entity(kind.value, param)
        await ctx.authorize(await ctx.entity_arn(kind, name))
        tags = await ctx.run(ctx.iam.tags.list_of, ctx.account_id, kind, name)
        return [("Tags", tags_node(tags)), ("IsTruncated", False)]

    return {"Tag": tag, "Untag": untag, "ListTags": list_tags}
