"""Reading IAM entity rows inside a transaction: row -> value, "must exist" lookups with IAM's
NoSuchEntity wording, and the case-insensitive name check IAM applies on create and rename.

IAM names are not distinguished by case: a lookup finds "Alice" when asked for "alice", and every
write goes on with the stored name the lookup returns (callers must use it, never the request's)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, func, select, update

from ...errors import S3Error
from ...meta import schema
from .aws_managed import AWS_ACCOUNT, aws_managed_policy
from .entities import IamGroup, IamRole, IamUser, ManagedPolicy
from .names import EntityKind, parse_policy_arn

__all__ = [
    "user_of",
    "group_of",
    "role_of",
    "policy_of",
    "find_user",
    "require_user",
    "require_group",
    "require_role",
    "require_principal",
    "name_taken",
    "rename_policy_holder",
    "require_policy",
    "require_boundary_policy",
    "TABLES",
]

# kind -> (table, its name column)
TABLES: dict[str, tuple[Table, str]] = {
    EntityKind.USER: (schema.users, "user_name"),
    EntityKind.GROUP: (schema.iam_groups, "group_name"),
    EntityKind.ROLE: (schema.iam_roles, "role_name"),
    "policy": (schema.iam_policies, "policy_name"),
}


def user_of(row: Any) -> IamUser:
    m = row._mapping
    return IamUser(m["account_id"], m["user_name"], m["user_id"], m["path"] or "/", m["created"], m["boundary_arn"])


def group_of(row: Any) -> IamGroup:
    m = row._mapping
    return IamGroup(m["account_id"], m["group_name"], m["group_id"], m["path"], m["created"])


def role_of(row: Any) -> IamRole:
    m = row._mapping
    return IamRole(
        m["account_id"], m["role_name"], m["role_id"], m["path"], m["description"], m["trust_policy"],
        m["max_session_seconds"], m["created"], m["boundary_arn"],
    )


def policy_of(row: Any, attachments: int = 0, boundaries: int = 0) -> ManagedPolicy:
    m = row._mapping
    return ManagedPolicy(
        m["account_id"], m["policy_name"], m["policy_id"], m["path"], m["description"], m["default_version"],
        m["created"], m["updated"], attachments, boundaries,
    )


def _row(conn: Connection, kind: str, account_id: str, name: str) -> Any:
    """The entity whose name equals ``name`` whatever its case, as IAM finds names."""
    table, column = TABLES[kind]
    return conn.execute(select(table).where((table.c.account_id == account_id) & (func.lower(table.c[column]) == name.lower()))).first()


def find_user(conn: Connection, account_id: str, name: str) -> IamUser | None:
    """The user, or None."""
    row = _row(conn, EntityKind.USER, account_id, name)
    return None if row is None else user_of(row)


def require_user(conn: Connection, account_id: str, name: str) -> IamUser:
    """The user, or NoSuchEntity."""
    row = _row(conn, EntityKind.USER, account_id, name)
    if row is None:
        raise S3Error("NoSuchEntity", f"The user with name {name} cannot be found.")
    return user_of(row)


def require_group(conn: Connection, account_id: str, name: str) -> IamGroup:
    """The group, or NoSuchEntity."""
    row = _row(conn, EntityKind.GROUP, account_id, name)
    if row is None:
        raise S3Error("NoSuchEntity", f"The group with name {name} cannot be found.")
    return group_of(row)


def require_role(conn: Connection, account_id: str, name: str) -> IamRole:
    """The role, or NoSuchEntity."""
    row = _row(conn, EntityKind.ROLE, account_id, name)
    if row is None:
        raise S3Error("NoSuchEntity", f"The role with name {name} cannot be found.")
    return role_of(row)


def require_principal(conn: Connection, account_id: str, kind: EntityKind, name: str) -> str:
    """The stored name of a user, group or role that must exist (before hanging a policy off it)."""
    if kind is EntityKind.USER:
        return require_user(conn, account_id, name).name
    if kind is EntityKind.GROUP:
        return require_group(conn, account_id, name).name
    return require_role(conn, account_id, name).name


def rename_policy_holder(conn: Connection, account_id: str, kind: EntityKind, name: str, new_name: str) -> None:
    """A renamed user, group or role keeps its inline policies and attachments (same transaction)."""
    for t in (schema.iam_inline_policies, schema.iam_attachments):
        where = (t.c.account_id == account_id) & (t.c.principal_kind == kind.value) & (t.c.principal_name == name)
        conn.execute(update(t).where(where).values(principal_name=new_name))


def name_taken(conn: Connection, kind: str, account_id: str, name: str) -> bool:
    """Is the name in use in the account, whatever its case? (IAM: "names are not distinguished by case".)"""
    table, column = TABLES[kind]
    where = (table.c.account_id == account_id) & (func.lower(table.c[column]) == name.lower())
    return conn.execute(select(table.c[column]).where(where)).first() is not None


def require_policy(conn: Connection, account_id: str, arn: str, member: str = "policyArn") -> ManagedPolicy:
    """The account's managed policy an ARN names, or an AWS managed policy this server knows; NoSuchEntity
    otherwise (another account's policy is never found)."""
    owner, path, name = parse_policy_arn(arn, member)
    if owner == AWS_ACCOUNT:
        known = aws_managed_policy(name)
        if known is None or path != "/":
            raise S3Error("NoSuchEntity", f"Policy {arn} does not exist or is not attachable.")
        return known
    row = _row(conn, "policy", account_id, name) if owner == account_id else None
    if row is None or row._mapping["path"] != path:  # the path is part of the ARN: compared exactly
        raise S3Error("NoSuchEntity", f"Policy {arn} does not exist or is not attachable.")
    return policy_of(row)


def require_boundary_policy(conn: Connection, account_id: str, arn: str) -> ManagedPolicy:
    """A managed policy usable as a permissions boundary, or NoSuchEntity as IAM words it."""
    try:
        return require_policy(conn, account_id, arn, "permissionsBoundary")
    except S3Error as missing:
        if missing.code != "NoSuchEntity":
            raise
        raise S3Error("NoSuchEntity", f"Scope ARN: {arn} does not exist or is not attachable.") from None
