"""IAM role operations: CreateRole, GetRole, ListRoles, DeleteRole, UpdateAssumeRolePolicy, UpdateRole
and the role's permissions boundary (Put/DeleteRolePermissionsBoundary). STS (later) assumes roles."""

from __future__ import annotations

from ...service.iam import EntityKind, IamRole
from ...service.iam.names import validation_error
from ...service.iam.roles import DEFAULT_SESSION_SECONDS
from ..xml import Node
from .context import IamContext
from .params import Params
from .render import members, page, role_node
from .tags import request_tag_keys, tags_node

__all__ = [
    "create_role",
    "get_role",
    "list_roles",
    "delete_role",
    "update_assume_role_policy",
    "update_role",
    "put_role_permissions_boundary",
    "delete_role_permissions_boundary",
]

_DESCRIPTION_MAX = 1000


def _description(p: Params) -> str | None:
    value = p.optional("Description")
    if value is not None and len(value) > _DESCRIPTION_MAX:
        raise validation_error(value, "description", f"Member must have length less than or equal to {_DESCRIPTION_MAX}")
    return value


async def create_role(p: Params, ctx: IamContext) -> Node:
    """CreateRole: a role with its trust policy (AssumeRolePolicyDocument) and session limit."""
    name, path, trust = p.entity("role", "RoleName"), p.path(), p.required("AssumeRolePolicyDocument")
    boundary = p.optional("PermissionsBoundary")
    max_session = p.integer("MaxSessionDuration")
    role = IamRole(ctx.account_id, name, "", path, _description(p), trust,
                   DEFAULT_SESSION_SECONDS if max_session is None else max_session, 0.0, boundary)
    tags = p.tags()
    extra: dict[str, str | list[str]] = {"iam:PermissionsBoundary": boundary} if boundary is not None else {}
    grant = await ctx.authorize(ctx.arn("role", name, path), {**extra, **request_tag_keys(tags)})
    created = await ctx.run(ctx.iam.roles.create, grant, role, tags)
    return [("Role", [*role_node(created), ("Tags", tags_node(tags) if tags else None)])]


async def get_role(p: Params, ctx: IamContext) -> Node:
    """GetRole: the role with its (URL-encoded) trust policy."""
    name = p.entity("role", "RoleName")
    await ctx.authorize(await ctx.entity_arn(EntityKind.ROLE, name))
    role = await ctx.run(ctx.iam.roles.get, ctx.account_id, name)
    tags = await ctx.run(ctx.iam.tags.list_of, ctx.account_id, EntityKind.ROLE, name)
    return [("Role", [*role_node(role), ("Tags", tags_node(tags) if tags else None)])]


async def list_roles(p: Params, ctx: IamContext) -> Node:
    """ListRoles: the account's roles under PathPrefix, paged."""
    prefix = p.path_prefix()
    await ctx.authorize(ctx.arn("role", "*", prefix))
    roles = await ctx.run(ctx.iam.roles.list_in, ctx.account_id, prefix)
    chosen, tail = page(roles, lambda r: r.name, p.optional("Marker"), p.integer("MaxItems"))
    return [("Roles", members(chosen, role_node)), *tail]


async def delete_role(p: Params, ctx: IamContext) -> Node:
    """DeleteRole: only a role without inline or attached policies (DeleteConflict otherwise)."""
    name = p.entity("role", "RoleName")
    grant = await ctx.authorize(await ctx.entity_arn(EntityKind.ROLE, name))
    await ctx.run(ctx.iam.roles.delete, grant, ctx.account_id, name)
    return None


async def update_assume_role_policy(p: Params, ctx: IamContext) -> Node:
    """UpdateAssumeRolePolicy: replace the trust policy."""
    name, document = p.entity("role", "RoleName"), p.required("PolicyDocument")
    grant = await ctx.authorize(await ctx.entity_arn(EntityKind.ROLE, name))
    await ctx.run(ctx.iam.roles.update_trust, grant, ctx.account_id, name, document)
    return None


async def update_role(p: Params, ctx: IamContext) -> Node:
    """UpdateRole: the description and/or MaxSessionDuration."""
    name = p.entity("role", "RoleName")
    description, max_session = _description(p), p.integer("MaxSessionDuration")
    grant = await ctx.authorize(await ctx.entity_arn(EntityKind.ROLE, name))
    await ctx.run(ctx.iam.roles.update, grant, ctx.account_id, name, description, max_session)
    return []


async def put_role_permissions_boundary(p: Params, ctx: IamContext) -> Node:
    """PutRolePermissionsBoundary: a managed policy of the account limits the role's policies."""
    name, boundary = p.entity("role", "RoleName"), p.required("PermissionsBoundary")
    grant = await ctx.authorize(await ctx.entity_arn(EntityKind.ROLE, name), {"iam:PermissionsBoundary": boundary})
    await ctx.run(ctx.iam.roles.set_boundary, grant, ctx.account_id, name, boundary)
    return None


async def delete_role_permissions_boundary(p: Params, ctx: IamContext) -> Node:
    """DeleteRolePermissionsBoundary: the role's policies apply unlimited again."""
    name = p.entity("role", "RoleName")
    grant = await ctx.authorize(await ctx.entity_arn(EntityKind.ROLE, name))
    await ctx.run(ctx.iam.roles.set_boundary, grant, ctx.account_id, name, None)
    return None
