"""IAM group operations: CreateGroup, GetGroup, ListGroups, DeleteGroup, AddUserToGroup,
RemoveUserFromGroup and ListGroupsForUser."""

from __future__ import annotations

from ...service.iam import EntityKind
from ..xml import Node
from .context import IamContext
from .params import Params
from .render import group_node, members, page, user_node

__all__ = ["create_group", "get_group", "list_groups", "update_group", "delete_group", "add_user_to_group", "remove_user_from_group", "list_groups_for_user"]


async def create_group(p: Params, ctx: IamContext) -> Node:
    """CreateGroup: a new, empty group."""
    name, path = p.entity("group", "GroupName"), p.path()
    grant = await ctx.authorize(ctx.arn("group", name, path))
    group = await ctx.run(ctx.iam.groups.create, grant, ctx.account_id, name, path)
    return [("Group", group_node(group))]


async def get_group(p: Params, ctx: IamContext) -> Node:
    """GetGroup: the group and its users, paged."""
    name = p.entity("group", "GroupName")
    await ctx.authorize(await ctx.entity_arn(EntityKind.GROUP, name))
    group, users = await ctx.run(ctx.iam.groups.get, ctx.account_id, name)
    chosen, tail = page(users, lambda u: u.name, p.optional("Marker"), p.integer("MaxItems"))
    return [("Group", group_node(group)), ("Users", members(chosen, user_node)), *tail]


async def list_groups(p: Params, ctx: IamContext) -> Node:
    """ListGroups: the account's groups under PathPrefix, paged."""
    prefix = p.path_prefix()
    await ctx.authorize(ctx.arn("group", "*", prefix))
    groups = await ctx.run(ctx.iam.groups.list_in, ctx.account_id, prefix)
    chosen, tail = page(groups, lambda g: g.name, p.optional("Marker"), p.integer("MaxItems"))
    return [("Groups", members(chosen, group_node)), *tail]


async def update_group(p: Params, ctx: IamContext) -> Node:
    """UpdateGroup: rename (NewGroupName) and/or move (NewPath); the caller needs the action on both ARNs."""
    name = p.entity("group", "GroupName")
    new_name, new_path = p.name("group", "NewGroupName", required=False), p.optional("NewPath")
    if new_path is not None:
        new_path = p.path("NewPath")
    current = await ctx.entity_arn(EntityKind.GROUP, name)
    grant = await ctx.authorize(current)
    if new_name is not None or new_path is not None:
        path = new_path or current.split(":group", 1)[1].rsplit("/", 1)[0] + "/"
        await ctx.authorize(ctx.arn("group", new_name or name, path))
    await ctx.run(ctx.iam.groups.update, grant, ctx.account_id, name, new_name, new_path)
    return None


async def delete_group(p: Params, ctx: IamContext) -> Node:
    """DeleteGroup: only an empty group without policies (DeleteConflict otherwise)."""
    name = p.entity("group", "GroupName")
    grant = await ctx.authorize(await ctx.entity_arn(EntityKind.GROUP, name))
    await ctx.run(ctx.iam.groups.delete, grant, ctx.account_id, name)
    return None


async def add_user_to_group(p: Params, ctx: IamContext) -> Node:
    """AddUserToGroup: the user gains the group's policies."""
    name, user = p.entity("group", "GroupName"), p.entity("user", "UserName")
    grant = await ctx.authorize(await ctx.entity_arn(EntityKind.GROUP, name))
    await ctx.run(ctx.iam.groups.add_user, grant, ctx.account_id, name, user)
    return None


async def remove_user_from_group(p: Params, ctx: IamContext) -> Node:
    """RemoveUserFromGroup: the user loses the group's policies."""
    name, user = p.entity("group", "GroupName"), p.entity("user", "UserName")
    grant = await ctx.authorize(await ctx.entity_arn(EntityKind.GROUP, name))
    await ctx.run(ctx.iam.groups.remove_user, grant, ctx.account_id, name, user)
    return None


async def list_groups_for_user(p: Params, ctx: IamContext) -> Node:
    """ListGroupsForUser: the groups a user belongs to, paged."""
    user = p.entity("user", "UserName")
    await ctx.authorize(await ctx.entity_arn(EntityKind.USER, user))
    groups = await ctx.run(ctx.iam.groups.of_user, ctx.account_id, user)
    chosen, tail = page(groups, lambda g: g.name, p.optional("Marker"), p.integer("MaxItems"))
    return [("Groups", members(chosen, group_node)), *tail]
