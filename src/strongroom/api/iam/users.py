"""IAM user operations: CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser and the user's
permissions boundary (Put/DeleteUserPermissionsBoundary)."""

from __future__ import annotations

from ...service.iam import EntityKind
from ..xml import Node
from .context import IamContext
from .params import Params
from .render import iso, members, page, user_node
from .tags import request_tag_keys, tags_node

__all__ = [
    "create_user",
    "get_user",
    "list_users",
    "update_user",
    "delete_user",
    "put_user_permissions_boundary",
    "delete_user_permissions_boundary",
]


async def create_user(p: Params, ctx: IamContext) -> Node:
    """CreateUser: a new user (with a path and a permissions boundary, if given)."""
    name, path, boundary, tags = p.entity("user", "UserName"), p.path(), p.optional("PermissionsBoundary"), p.tags()
    extra: dict[str, str | list[str]] = {"iam:PermissionsBoundary": boundary} if boundary is not None else {}
    grant = await ctx.authorize(ctx.arn("user", name, path), {**extra, **request_tag_keys(tags)})
    user = await ctx.run(ctx.iam.users.create, grant, ctx.account_id, name, path, boundary, tags)
    return [("User", [*user_node(user), ("Tags", tags_node(tags) if tags else None)])]


async def get_user(p: Params, ctx: IamContext) -> Node:
    """GetUser: the named user, or the caller itself (the root answers with its account's ARN)."""
    name, arn = await ctx.user_or_self(p.name("user", "UserName", required=False))
    await ctx.authorize(arn)
    if name is None:
        account = ctx.principal.account
        return [("User", [("UserId", account.account_id), ("Arn", arn), ("CreateDate", iso(0))])]
    user = await ctx.run(ctx.iam.users.get, ctx.account_id, name)
    tags = await ctx.run(ctx.iam.tags.list_of, ctx.account_id, EntityKind.USER, name)
    return [("User", [*user_node(user), ("Tags", tags_node(tags) if tags else None)])]


async def list_users(p: Params, ctx: IamContext) -> Node:
    """ListUsers: the account's users under PathPrefix, paged."""
    prefix = p.path_prefix()
    await ctx.authorize(ctx.arn("user", "*", prefix))
    users = await ctx.run(ctx.iam.users.list_in, ctx.account_id, prefix)
    chosen, tail = page(users, lambda u: u.name, p.optional("Marker"), p.integer("MaxItems"))
    return [("Users", members(chosen, user_node)), *tail]


async def update_user(p: Params, ctx: IamContext) -> Node:
    """UpdateUser: rename (NewUserName) and/or move (NewPath); the caller needs the action on both ARNs."""
    name = p.entity("user", "UserName")
    new_name, new_path = p.name("user", "NewUserName", required=False), p.optional("NewPath")
    if new_path is not None:
        new_path = p.path("NewPath")
    grant = await ctx.authorize(await ctx.entity_arn(EntityKind.USER, name))
    if new_name is not None or new_path is not None:
        current = await ctx.run(ctx.iam.users.find, ctx.account_id, name)
        await ctx.authorize(ctx.arn("user", new_name or name, new_path or (current.path if current else "/")))
    await ctx.run(ctx.iam.users.update, grant, ctx.account_id, name, new_name, new_path)
    for key in await ctx.run(ctx.iam.keys.list_in, ctx.account_id, new_name or name):
        ctx.services.credentials.forget(key.access_key_id)  # cached principals name the user by its old name and path
    return None


async def delete_user(p: Params, ctx: IamContext) -> Node:
    """DeleteUser: only a user with no keys, policies or groups left (DeleteConflict otherwise)."""
    name = p.entity("user", "UserName")
    grant = await ctx.authorize(await ctx.entity_arn(EntityKind.USER, name))
    await ctx.run(ctx.iam.users.delete, grant, ctx.account_id, name)
    return None


async def put_user_permissions_boundary(p: Params, ctx: IamContext) -> Node:
    """PutUserPermissionsBoundary: a managed policy of the account limits what the user's policies allow."""
    name, boundary = p.entity("user", "UserName"), p.required("PermissionsBoundary")
    grant = await ctx.authorize(await ctx.entity_arn(EntityKind.USER, name), {"iam:PermissionsBoundary": boundary})
    await ctx.run(ctx.iam.users.set_boundary, grant, ctx.account_id, name, boundary)
    return None


async def delete_user_permissions_boundary(p: Params, ctx: IamContext) -> Node:
    """DeleteUserPermissionsBoundary: the user's policies apply unlimited again."""
    name = p.entity("user", "UserName")
    grant = await ctx.authorize(await ctx.entity_arn(EntityKind.USER, name))
    await ctx.run(ctx.iam.users.set_boundary, grant, ctx.account_id, name, None)
    return None
