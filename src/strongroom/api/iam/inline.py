"""Inline policy operations of users, groups and roles: Put/Get/Delete/List{User,Group,Role}Policy
(or Policies). One handler per verb, made for each kind of entity."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ...service.iam import EntityKind
from ..xml import Node
from .context import IamContext
from .params import Params
from .render import encoded, members, page

__all__ = ["inline_handlers"]

Handler = Callable[[Params, IamContext], Awaitable[Node]]

_PARAM = {EntityKind.USER: "UserName", EntityKind.GROUP: "GroupName", EntityKind.ROLE: "RoleName"}


def inline_handlers(kind: EntityKind) -> dict[str, Handler]:
    """Put, Get, Delete and List handlers of one kind's inline policies, by verb."""
    param = _PARAM[kind]

    async def target(p: Params, ctx: IamContext) -> tuple[str, str]:
        principal = p.entity(kind.value, param)
        return principal, await ctx.entity_arn(kind, principal)

    async def put(p: Params, ctx: IamContext) -> Node:
        principal, arn = await target(p, ctx)
        name, document = p.entity("policy", "PolicyName"), p.required("PolicyDocument")
        grant = await ctx.authorize(arn)
        await ctx.run(ctx.iam.inline.put, grant, ctx.account_id, kind, principal, name, document)
        return None

    async def get(p: Params, ctx: IamContext) -> Node:
        principal, arn = await target(p, ctx)
        name = p.entity("policy", "PolicyName")
        await ctx.authorize(arn)
        document = await ctx.run(ctx.iam.inline.get, ctx.account_id, kind, principal, name)
        return [(param, principal), ("PolicyName", name), ("PolicyDocument", encoded(document))]

    async def delete(p: Params, ctx: IamContext) -> Node:
        principal, arn = await target(p, ctx)
        name = p.entity("policy", "PolicyName")
        grant = await ctx.authorize(arn)
        await ctx.run(ctx.iam.inline.delete, grant, ctx.account_id, kind, principal, name)
        return None

    async def list_names(p: Params, ctx: IamContext) -> Node:
        principal, arn = await target(p, ctx)
        await ctx.authorize(arn)
        names = await ctx.run(ctx.iam.inline.names, ctx.account_id, kind, principal)
        chosen, tail = page(names, lambda n: n, p.optional("Marker"), p.integer("MaxItems"))
        return [("PolicyNames", members(chosen, lambda n: n)), *tail]

    return {"Put": put, "Get": get, "Delete": delete, "List": list_names}
