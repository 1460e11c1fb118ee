"""Managed policy operations: CreatePolicy, GetPolicy, DeletePolicy, ListPolicies and the versions
(Create/Get/List/DeletePolicyVersion, SetDefaultPolicyVersion). The resource is the policy's ARN."""

from __future__ import annotations

import re

from ...service.iam.names import parse_policy_arn, validation_error
from ..xml import Node
from .context import IamContext
from .params import Params
from .render import members, page, policy_node, version_node

__all__ = [
    "create_policy",
    "get_policy",
    "delete_policy",
    "list_policies",
    "create_policy_version",
    "get_policy_version",
    "list_policy_versions",
    "delete_policy_version",
    "set_default_policy_version",
]

_VERSION_ID = re.compile(r"^v[1-9][0-9]*(\.[A-Za-z0-9-]*)?$")
_SCOPES = ("All", "AWS", "Local")


def _arn(p: Params) -> str:
    arn = p.required("PolicyArn")
    parse_policy_arn(arn)
    return arn


def _version_id(p: Params) -> str:
    value = p.required("VersionId")
    if not _VERSION_ID.match(value):
        raise validation_error(value, "versionId", "Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?")
    return value


async def create_policy(p: Params, ctx: IamContext) -> Node:
    """CreatePolicy: a customer managed policy; its document is version v1."""
    name, path, document = p.entity("policy", "PolicyName"), p.path(), p.required("PolicyDocument")
    description = p.optional("Description")
    if description is not None and len(description) > 1000:
        raise validation_error(description, "description", "Member must have length less than or equal to 1000")
    grant = await ctx.authorize(ctx.arn("policy", name, path))
    policy = await ctx.run(ctx.iam.managed.create, grant, ctx.account_id, name, path, document, description)
    return [("Policy", policy_node(policy))]


async def get_policy(p: Params, ctx: IamContext) -> Node:
    """GetPolicy: the policy's facts (not its document: GetPolicyVersion)."""
    arn = _arn(p)
    await ctx.authorize(arn)
    return [("Policy", policy_node(await ctx.run(ctx.iam.managed.get, ctx.account_id, arn)))]


async def delete_policy(p: Params, ctx: IamContext) -> Node:
    """DeletePolicy: only a detached policy with no versions but its default."""
    arn = _arn(p)
    grant = await ctx.authorize(arn)
    await ctx.run(ctx.iam.managed.delete, grant, ctx.account_id, arn)
    return None


async def list_policies(p: Params, ctx: IamContext) -> Node:
    """ListPolicies: the account's (Local) policies and the AWS managed ones this server knows (AWS)."""
    scope, prefix = p.optional("Scope") or "All", p.path_prefix()
    if scope not in _SCOPES:
        raise validation_error(scope, "scope", f"Member must satisfy enum value set: [{', '.join(_SCOPES)}]")
    await ctx.authorize(ctx.arn("policy", "*", prefix))
    policies = await ctx.run(ctx.iam.managed.list_in, ctx.account_id, prefix, p.boolean("OnlyAttached"), scope)
    chosen, tail = page(policies, lambda x: x.name, p.optional("Marker"), p.integer("MaxItems"))
    return [("Policies", members(chosen, policy_node)), *tail]


async def create_policy_version(p: Params, ctx: IamContext) -> Node:
    """CreatePolicyVersion: at most five versions; SetAsDefault makes it the one evaluated."""
    arn, document = _arn(p), p.required("PolicyDocument")
    grant = await ctx.authorize(arn)
    version = await ctx.run(ctx.iam.managed.create_version, grant, ctx.account_id, arn, document, p.boolean("SetAsDefault"))
    return [("PolicyVersion", version_node(version, with_document=False))]


async def get_policy_version(p: Params, ctx: IamContext) -> Node:
    """GetPolicyVersion: one version with its (URL-encoded) document."""
    arn, version_id = _arn(p), _version_id(p)
    await ctx.authorize(arn)
    return [("PolicyVersion", version_node(await ctx.run(ctx.iam.managed.get_version, ctx.account_id, arn, version_id)))]


async def list_policy_versions(p: Params, ctx: IamContext) -> Node:
    """ListPolicyVersions: newest first, without documents."""
    arn = _arn(p)
    await ctx.authorize(arn)
    versions = await ctx.run(ctx.iam.managed.versions, ctx.account_id, arn)
    return [("Versions", members(versions, lambda v: version_node(v, with_document=False))), ("IsTruncated", False)]  # at most five


async def delete_policy_version(p: Params, ctx: IamContext) -> Node:
    """DeletePolicyVersion: any version but the default (DeleteConflict)."""
    arn, version_id = _arn(p), _version_id(p)
    grant = await ctx.authorize(arn)
    await ctx.run(ctx.iam.managed.delete_version, grant, ctx.account_id, arn, version_id)
    return None


async def set_default_policy_version(p: Params, ctx: IamContext) -> Node:
    """SetDefaultPolicyVersion: the version every attachment evaluates from now on."""
    arn, version_id = _arn(p), _version_id(p)
    grant = await ctx.authorize(arn)
    await ctx.run(ctx.iam.managed.set_default, grant, ctx.account_id, arn, version_id)
    return None
