"""IAM groups and their members: a user's group policies are part of its identity policies.

A group cannot be deleted while it has members or policies (DeleteConflict), as IAM answers.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection, func, select, update

from ... import clock
from ...errors import S3Error
from ...grant import Grant
from ...meta import schema
from .base import IamStoreBase
from .entities import IamGroup, IamUser
from .limits import check_entity_quota
from .names import EntityKind, new_unique_id
from .rows import group_of, name_taken, rename_policy_holder, require_group, require_user, user_of

__all__ = ["IamGroups"]


def _group(account_id: str, name: str) -> ColumnElement[bool]:
    t = schema.iam_groups
    return (t.c.account_id == account_id) & (t.c.group_name == name)


class IamGroups(IamStoreBase):
    """Groups of an account's users."""

    def create(self, grant: Grant, account_id: str, name: str, path: str = "/") -> IamGroup:
        """A new group; EntityAlreadyExists when the name is taken (in any case)."""
        group = IamGroup(account_id, name, new_unique_id("group"), path, clock.now_seconds())

        def insert(conn: Connection) -> IamGroup:
            if name_taken(conn, EntityKind.GROUP, account_id, name):
                raise S3Error("EntityAlreadyExists", f"Group with name {name} already exists.")
            check_entity_quota(conn, "group", account_id)
            conn.execute(schema.iam_groups.insert().values(
                account_id=account_id, group_name=name, group_id=group.group_id, path=path, created=group.created,
            ))
            return group

        return self._write(grant, account_id, insert, exists=f"Group with name {name} already exists.")

    def get(self, account_id: str, name: str) -> tuple[IamGroup, list[IamUser]]:
        """The group and its members (by name), or NoSuchEntity."""

        def read(conn: Connection) -> tuple[IamGroup, list[IamUser]]:
            group = require_group(conn, account_id, name)
            m, u = schema.iam_group_members, schema.users
            rows = conn.execute(
                select(u).join(m, (m.c.account_id == u.c.account_id) & (m.c.user_name == u.c.user_name))
                .where((m.c.account_id == account_id) & (m.c.group_name == group.name)).order_by(u.c.user_name)
            ).all()
            return group, [user_of(r) for r in rows]

        return self._read(read)

    def list_in(self, account_id: str, path_prefix: str = "/") -> list[IamGroup]:
        """The account's groups under a path prefix, by name ignoring case (as IAM lists them)."""
        t = schema.iam_groups
        rows = self._read(lambda c: c.execute(select(t).where(t.c.account_id == account_id).order_by(func.lower(t.c.group_name), t.c.group_name)).all())
        return [g for g in (group_of(r) for r in rows) if g.path.startswith(path_prefix)]

    def of_user(self, account_id: str, user_name: str) -> list[IamGroup]:
        """The groups a user belongs to, by name; NoSuchEntity for an unknown user."""

        def read(conn: Connection) -> list[IamGroup]:
            user = require_user(conn, account_id, user_name).name
            g, m = schema.iam_groups, schema.iam_group_members
            rows = conn.execute(
                select(g).join(m, (m.c.account_id == g.c.account_id) & (m.c.group_name == g.c.group_name))
                .where((m.c.account_id == account_id) & (m.c.user_name == user)).order_by(g.c.group_name)
            ).all()
            return [group_of(r) for r in rows]

        return self._read(read)

    def update(self, grant: Grant, account_id: str, name: str, new_name: str | None, new_path: str | None) -> None:
        """Rename a group or move it to another path; memberships and policies follow in the same transaction."""

        def change(conn: Connection) -> None:
            group = require_group(conn, account_id, name).name
            if new_path is not None:
                conn.execute(update(schema.iam_groups).where(_group(account_id, group)).values(path=new_path))
            if new_name is None or new_name == group:
                return
            if name_taken(conn, EntityKind.GROUP, account_id, new_name) and new_name.lower() != group.lower():
                raise S3Error("EntityAlreadyExists", f"Group with name {new_name} already exists.")
            m = schema.iam_group_members
            conn.execute(update(schema.iam_groups).where(_group(account_id, group)).values(group_name=new_name))
            conn.execute(update(m).where((m.c.account_id == account_id) & (m.c.group_name == group)).values(group_name=new_name))
            rename_policy_holder(conn, account_id, EntityKind.GROUP, group, new_name)

        self._write(grant, account_id, change)

    def delete(self, grant: Grant, account_id: str, name: str) -> None:
        """Delete an empty group without policies; DeleteConflict otherwise."""

        def remove(conn: Connection) -> None:
            group = require_group(conn, account_id, name).name
            m, i, a = schema.iam_group_members, schema.iam_inline_policies, schema.iam_attachments
            if conn.execute(select(m.c.user_name).where((m.c.account_id == account_id) & (m.c.group_name == group)).limit(1)).first():
                raise S3Error("DeleteConflict", "Cannot delete entity, must remove users from group first.")
            for t, why in ((i, "must delete policies first."), (a, "must detach all policies first.")):
                where = (t.c.account_id == account_id) & (t.c.principal_kind == "group") & (t.c.principal_name == group)
                if conn.execute(select(t.c.principal_name).where(where).limit(1)).first() is not None:
                    raise S3Error("DeleteConflict", f"Cannot delete entity, {why}")
            conn.execute(schema.iam_groups.delete().where(_group(account_id, group)))

        self._write(grant, account_id, remove)

    def add_user(self, grant: Grant, account_id: str, name: str, user_name: str) -> None:
        """Make a user a member (already one: nothing changes)."""

        def add(conn: Connection) -> None:
            group, user = require_group(conn, account_id, name).name, require_user(conn, account_id, user_name).name
            m = schema.iam_group_members
            where = (m.c.account_id == account_id) & (m.c.group_name == group) & (m.c.user_name == user)
            if conn.execute(select(m.c.user_name).where(where)).first() is None:
                conn.execute(m.insert().values(account_id=account_id, group_name=group, user_name=user))

        self._write(grant, account_id, add)

    def remove_user(self, grant: Grant, account_id: str, name: str, user_name: str) -> None:
        """End a membership; NoSuchEntity when the group or user is unknown or the user is no member."""

        def remove(conn: Connection) -> None:
            group, user = require_group(conn, account_id, name).name, require_user(conn, account_id, user_name).name
            m = schema.iam_group_members
            where = (m.c.account_id == account_id) & (m.c.group_name == group) & (m.c.user_name == user)
            if not conn.execute(m.delete().where(where)).rowcount:
                raise S3Error("NoSuchEntity", f"User {user_name} is not in group {name}.")

        self._write(grant, account_id, remove)
