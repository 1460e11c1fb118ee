"""Attach/Detach{User,Group,Role}Policy and ListAttached{User,Group,Role}Policies. The resource is the
entity's ARN; iam:PolicyARN names the policy (a condition key policies may restrict attachments by)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ...service.iam import Attached, EntityKind
from ...service.iam.names import parse_policy_arn
from ..xml import Node
from .context import IamContext
from .params import Params
from .render import members, page

__all__ = ["attachment_handlers"]

Handler = Callable[[Params, IamContext], Awaitable[Node]]

_PARAM = {EntityKind.USER: "UserName", EntityKind.GROUP: "GroupName", EntityKind.ROLE: "RoleName"}


def _attached_node(a: Attached) -> Node:
    return [("PolicyName", a.policy_name), ("PolicyArn", a.policy_arn)]


def attachment_handlers(kind: EntityKind) -> dict[str, Handler]:
    """Attach, Detach and ListAttached handlers of one kind of entity, by verb."""
    param = _PARAM[kind]

    async def attach(p: Params, ctx: IamContext) -> Node:
        principal, arn = p.entity(kind.value, param), p.required("PolicyArn")
        parse_policy_arn(arn)
        grant = await ctx.authorize(await ctx.entity_arn(kind, principal), {"iam:PolicyARN": arn})
        await ctx.run(ctx.iam.attachments.attach, grant, ctx.account_id, kind, principal, arn)
        return None

    async def detach(p: Params, ctx: IamContext) -> Node:
        principal, arn = p.entity(kind.value, param), p.required("PolicyArn")
        parse_policy_arn(arn)
        grant = await ctx.authorize(await ctx.entity_arn(kind, principal), {"iam:PolicyARN": arn})
        await ctx.run(ctx.iam.attachments.detach, grant, ctx.account_id, kind, principal, arn)
        return None

    async def list_attached(p: Params, ctx: IamContext) -> Node:
        principal, prefix = p.entity(kind.value, param), p.path_prefix()
        await ctx.authorize(await ctx.entity_arn(kind, principal))
        found = await ctx.run(ctx.iam.attachments.attached, ctx.account_id, kind, principal, prefix)
        chosen, tail = page(found, lambda a: a.policy_name, p.optional("Marker"), p.integer("MaxItems"))
        return [("AttachedPolicies", members(chosen, _attached_node)), *tail]

    return {"Attach": attach, "Detach": detach, "ListAttached": list_attached}
