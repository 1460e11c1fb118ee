"""IAM users: create, read, list, rename, delete, and their permissions boundaries.

A user cannot be deleted while anything hangs off it (access keys, inline or attached policies,
group memberships): DeleteConflict, as IAM answers, so nothing is left dangling.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import ColumnElement, Connection, func, select, update

from ... import clock
from ...errors import S3Error
from ...grant import Grant
from ...meta import schema
from .base import IamStoreBase
from .entities import IamUser
from .limits import check_entity_quota
from .names import EntityKind, new_unique_id
from .rows import find_user, name_taken, rename_policy_holder, require_boundary_policy, require_user, user_of
from .tags import check_tags, delete_tags_of, put_tags, rename_tags_of

__all__ = ["IamUsers"]


class IamUsers(IamStoreBase):
    """The users of accounts."""

    def create(self, grant: Grant, account_id: str, name: str, path: str = "/", boundary_arn: str | None = None,
               tags: Mapping[str, str] | None = None) -> IamUser:
        """A new user (with tags, if given); EntityAlreadyExists when the name is taken (in any case)."""
        user = IamUser(account_id, name, new_unique_id("user"), path, clock.now_seconds(), boundary_arn)
        checked = check_tags(tags or {})

        def insert(conn: Connection) -> IamUser:
            if name_taken(conn, EntityKind.USER, account_id, name):
                raise S3Error("EntityAlreadyExists", f"User with name {name} already exists.")
            check_entity_quota(conn, "user", account_id)
            boundary = require_boundary_policy(conn, account_id, boundary_arn).arn if boundary_arn is not None else None
            conn.execute(schema.users.insert().values(
                account_id=account_id, user_name=name, user_id=user.user_id, path=path, created=user.created, boundary_arn=boundary,
            ))
            put_tags(conn, account_id, EntityKind.USER, name, checked)
            return user

        return self._write(grant, account_id, insert, exists=f"User with name {name} already exists.")

    def get(self, account_id: str, name: str) -> IamUser:
        """The user, or NoSuchEntity."""
        return self._read(lambda c: require_user(c, account_id, name))

    def find(self, account_id: str, name: str) -> IamUser | None:
        """The user, or None."""
        return self._read(lambda c: find_user(c, account_id, name))

    def list_in(self, account_id: str, path_prefix: str = "/") -> list[IamUser]:
        """The account's users under a path prefix, by name ignoring case (as IAM lists them)."""
        t = schema.users
        rows = self._read(lambda c: c.execute(select(t).where(t.c.account_id == account_id).order_by(func.lower(t.c.user_name), t.c.user_name)).all())
        return [u for u in (user_of(r) for r in rows) if u.path.startswith(path_prefix)]

    def update(self, grant: Grant, account_id: str, name: str, new_name: str | None, new_path: str | None) -> None:
        """Rename a user or move it to another path; everything naming it follows in the same transaction."""

        def change(conn: Connection) -> None:
            stored = require_user(conn, account_id, name).name
            if new_path is not None:
                conn.execute(update(schema.users).where(_user(account_id, stored)).values(path=new_path))
            if new_name is None or new_name == stored:
                return
            if name_taken(conn, EntityKind.USER, account_id, new_name) and new_name.lower() != stored.lower():
                raise S3Error("EntityAlreadyExists", f"User with name {new_name} already exists.")
            _rename_user(conn, account_id, stored, new_name)

        self._write(grant, account_id, change)

    def delete(self, grant: Grant, account_id: str, name: str) -> None:
        """Delete a user that has nothing attached; DeleteConflict naming what is left otherwise."""

        def remove(conn: Connection) -> None:
            stored = require_user(conn, account_id, name).name
            _refuse_if_attached(conn, account_id, stored)
            delete_tags_of(conn, account_id, EntityKind.USER, stored)
            conn.execute(schema.users.delete().where(_user(account_id, stored)))

        self._write(grant, account_id, remove)

    def set_boundary(self, grant: Grant, account_id: str, name: str, boundary_arn: str | None) -> None:
        """Set (a managed policy's ARN) or remove (None) the user's permissions boundary."""

        def change(conn: Connection) -> None:
            stored = require_user(conn, account_id, name).name
            boundary = require_boundary_policy(conn, account_id, boundary_arn).arn if boundary_arn is not None else None
            conn.execute(update(schema.users).where(_user(account_id, stored)).values(boundary_arn=boundary))

        self._write(grant, account_id, change)


def _user(account_id: str, name: str) -> ColumnElement[bool]:
    t = schema.users
    return (t.c.account_id == account_id) & (t.c.user_name == name)


def _refuse_if_attached(conn: Connection, account_id: str, name: str) -> None:
    k, i, a, m = schema.access_keys, schema.iam_inline_policies, schema.iam_attachments, schema.iam_group_members
    checks = (
        (select(k.c.access_key_id).where((k.c.account_id == account_id) & (k.c.user_name == name)), "must delete access keys first."),
        (select(i.c.policy_name).where((i.c.account_id == account_id) & (i.c.principal_kind == "user") & (i.c.principal_name == name)),
         "must delete policies first."),
        (select(a.c.policy_arn).where((a.c.account_id == account_id) & (a.c.principal_kind == "user") & (a.c.principal_name == name)),
         "must detach all policies first."),
        (select(m.c.group_name).where((m.c.account_id == account_id) & (m.c.user_name == name)), "must remove user from group first."),
    )
    for query, why in checks:
        if conn.execute(query.limit(1)).first() is not None:
            raise S3Error("DeleteConflict", f"Cannot delete entity, {why}")


def _rename_user(conn: Connection, account_id: str, name: str, new_name: str) -> None:
    k, m = schema.access_keys, schema.iam_group_members
    conn.execute(update(schema.users).where(_user(account_id, name)).values(user_name=new_name))
    conn.execute(update(k).where((k.c.account_id == account_id) & (k.c.user_name == name)).values(user_name=new_name))
    conn.execute(update(m).where((m.c.account_id == account_id) & (m.c.user_name == name)).values(user_name=new_name))
    rename_policy_holder(conn, account_id, EntityKind.USER, name, new_name)
    rename_tags_of(conn, account_id, EntityKind.USER, name, new_name)
