"""The IAM operation table: the query protocol's Action -> IAM action ("iam:<Action>") and handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from ...service.iam import EntityKind
from ..xml import Node
from . import account, groups, keys, managed, oidc, roles, users
from .attachments import attachment_handlers
from .context import IamContext
from .inline import inline_handlers
from .params import Params
from .tags import tag_handlers

__all__ = ["IamOperation", "IAM_OPERATIONS"]

IamHandler = Callable[[Params, IamContext], Awaitable[Node]]


@dataclass(frozen=True, slots=True)
class IamOperation:
    """One IAM operation: its AWS name, IAM action and handler."""

    name: str
    action: str
    handler: IamHandler


def _rows() -> dict[str, IamHandler]:
    table: dict[str, IamHandler] = {
        "GetAccountSummary": account.get_account_summary,
        "CreateUser": users.create_user,
        "GetUser": users.get_user,
        "ListUsers": users.list_users,
        "UpdateUser": users.update_user,
        "DeleteUser": users.delete_user,
        "PutUserPermissionsBoundary": users.put_user_permissions_boundary,
        "DeleteUserPermissionsBoundary": users.delete_user_permissions_boundary,
        "CreateAccessKey": keys.create_access_key,
        "ListAccessKeys": keys.list_access_keys,
        "UpdateAccessKey": keys.update_access_key,
        "DeleteAccessKey": keys.delete_access_key,
        "GetAccessKeyLastUsed": keys.get_access_key_last_used,
        "CreateGroup": groups.create_group,
        "GetGroup": groups.get_group,
        "ListGroups": groups.list_groups,
        "UpdateGroup": groups.update_group,
        "DeleteGroup": groups.delete_group,
        "AddUserToGroup": groups.add_user_to_group,
        "RemoveUserFromGroup": groups.remove_user_from_group,
        "ListGroupsForUser": groups.list_groups_for_user,
        "CreatePolicy": managed.create_policy,
        "GetPolicy": managed.get_policy,
        "DeletePolicy": managed.delete_policy,
        "ListPolicies": managed.list_policies,
        "CreatePolicyVersion": managed.create_policy_version,
        "GetPolicyVersion": managed.get_policy_version,
        "ListPolicyVersions": managed.list_policy_versions,
        "DeletePolicyVersion": managed.delete_policy_version,
        "SetDefaultPolicyVersion": managed.set_default_policy_version,
        "CreateRole": roles.create_role,
        "GetRole": roles.get_role,
        "ListRoles": roles.list_roles,
        "DeleteRole": roles.delete_role,
        "UpdateAssumeRolePolicy": roles.update_assume_role_policy,
        "UpdateRole": roles.update_role,
        "PutRolePermissionsBoundary": roles.put_role_permissions_boundary,
        "ListOpenIDConnectProviders": oidc.list_open_id_connect_providers,
        "DeleteRolePermissionsBoundary": roles.delete_role_permissions_boundary,
    }
    for kind, word in ((EntityKind.USER, "User"), (EntityKind.GROUP, "Group"), (EntityKind.ROLE, "Role")):
        inline = inline_handlers(kind)
        table[f"Put{word}Policy"] = inline["Put"]
        table[f"Get{word}Policy"] = inline["Get"]
        table[f"Delete{word}Policy"] = inline["Delete"]
        table[f"List{word}Policies"] = inline["List"]
        attached = attachment_handlers(kind)
        table[f"Attach{word}Policy"] = attached["Attach"]
        table[f"Detach{word}Policy"] = attached["Detach"]
        table[f"ListAttached{word}Policies"] = attached["ListAttached"]
    for kind, word in ((EntityKind.USER, "User"), (EntityKind.ROLE, "Role")):
        tagging = tag_handlers(kind)
        table[f"Tag{word}"] = tagging["Tag"]
        table[f"Untag{word}"] = tagging["Untag"]
        table[f"List{word}Tags"] = tagging["ListTags"]
    return table


IAM_OPERATIONS: Mapping[str, IamOperation] = {name: IamOperation(name, f"iam:{name}", handler) for name, handler in _rows().items()}
