"""IAM roles: the trust policy (who may assume the role), the longest session STS may grant, the
permissions boundary, and the role's own policies (inline.py, attachments.py).

STS (issue 5, Must 2) reads ``get``: trust_policy to decide AssumeRole, max_session_seconds to bound
DurationSeconds; the role's identity policies and boundary come from identity.py like a user's.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import ColumnElement, Connection, func, select, update

from ... import clock
from ...errors import S3Error
from ...grant import Grant
from ...meta import schema
from .base import IamStoreBase
from .documents import check_trust_document
from .entities import IamRole
from .limits import check_entity_quota
from .names import EntityKind, new_unique_id, validation_error
from .rows import name_taken, require_boundary_policy, require_role, role_of
from .tags import check_tags, delete_tags_of, put_tags

__all__ = ["IamRoles", "check_max_session", "MIN_SESSION_SECONDS", "MAX_SESSION_SECONDS", "DEFAULT_SESSION_SECONDS"]

MIN_SESSION_SECONDS = 3600
MAX_SESSION_SECONDS = 43200
DEFAULT_SESSION_SECONDS = 3600


def check_max_session(value: int) -> int:
    """MaxSessionDuration within IAM's 3600..43200 seconds, or ValidationError."""
    if not MIN_SESSION_SECONDS <= value <= MAX_SESSION_SECONDS:
        constraint = f"Member must have value {'greater' if value < MIN_SESSION_SECONDS else 'less'} than or equal to "
        constraint += str(MIN_SESSION_SECONDS if value < MIN_SESSION_SECONDS else MAX_SESSION_SECONDS)
        raise validation_error(str(value), "maxSessionDuration", constraint)
    return value


def _role(account_id: str, name: str) -> ColumnElement[bool]:
    t = schema.iam_roles
    return (t.c.account_id == account_id) & (t.c.role_name == name)


class IamRoles(IamStoreBase):
    """An account's roles."""

    def create(self, grant: Grant, role: IamRole, tags: Mapping[str, str] | None = None) -> IamRole:
        """Store a new role (its trust policy validated; with tags, if given); EntityAlreadyExists when
        the name is taken."""
        check_trust_document(role.trust_policy)
        checked = check_tags(tags or {})
        check_max_session(role.max_session_seconds)
        role = IamRole(
            role.account_id, role.name, new_unique_id("role"), role.path, role.description, role.trust_policy,
            role.max_session_seconds, clock.now_seconds(), role.boundary_arn,
        )

        def insert(conn: Connection) -> IamRole:
            if name_taken(conn, EntityKind.ROLE, role.account_id, role.name):
                raise S3Error("EntityAlreadyExists", f"Role with name {role.name} already exists.")
            check_entity_quota(conn, "role", role.account_id)
            if role.boundary_arn is not None:
                require_boundary_policy(conn, role.account_id, role.boundary_arn)
            conn.execute(schema.iam_roles.insert().values(
                account_id=role.account_id, role_name=role.name, role_id=role.role_id, path=role.path, description=role.description,
                trust_policy=role.trust_policy, max_session_seconds=role.max_session_seconds, boundary_arn=role.boundary_arn, created=role.created,
            ))
            put_tags(conn, role.account_id, EntityKind.ROLE, role.name, checked)
            return role

        return self._write(grant, role.account_id, insert)

    def get(self, account_id: str, name: str) -> IamRole:
        """The role, or NoSuchEntity."""
        return self._read(lambda c: require_role(c, account_id, name))

    def list_in(self, account_id: str, path_prefix: str = "/") -> list[IamRole]:
        """The account's roles under a path prefix, by name ignoring case (as IAM lists them)."""
        t = schema.iam_roles
        rows = self._read(lambda c: c.execute(select(t).where(t.c.account_id == account_id).order_by(func.lower(t.c.role_name), t.c.role_name)).all())
        return [r for r in (role_of(row) for row in rows) if r.path.startswith(path_prefix)]

    def delete(self, grant: Grant, account_id: str, name: str) -> None:
        """Delete a role without policies; DeleteConflict otherwise."""

        def remove(conn: Connection) -> None:
            role = require_role(conn, account_id, name).name
            i, a = schema.iam_inline_policies, schema.iam_attachments
            for t, why in ((i, "must delete policies first."), (a, "must detach all policies first.")):
                where = (t.c.account_id == account_id) & (t.c.principal_kind == "role") & (t.c.principal_name == role)
                if conn.execute(select(t.c.principal_name).where(where).limit(1)).first() is not None:
                    raise S3Error("DeleteConflict", f"Cannot delete entity, {why}")
            delete_tags_of(conn, account_id, EntityKind.ROLE, role)
            conn.execute(schema.iam_roles.delete().where(_role(account_id, role)))

        self._write(grant, account_id, remove)

    def update_trust(self, grant: Grant, account_id: str, name: str, document: str) -> None:
        """Replace the trust policy (validated)."""
        check_trust_document(document)
        self._update(grant, account_id, name, trust_policy=document)

    def update(self, grant: Grant, account_id: str, name: str, description: str | None, max_session_seconds: int | None) -> None:
        """Change the description and/or the maximum session duration."""
        values: dict[str, object] = {}
        if description is not None:
            values["description"] = description
        if max_session_seconds is not None:
            values["max_session_seconds"] = check_max_session(max_session_seconds)
        self._update(grant, account_id, name, **values)

    def set_boundary(self, grant: Grant, account_id: str, name: str, boundary_arn: str | None) -> None:
        """Set (a managed policy's ARN) or remove (None) the role's permissions boundary."""

        def change(conn: Connection) -> None:
            role = require_role(conn, account_id, name).name
            stored = require_boundary_policy(conn, account_id, boundary_arn).arn if boundary_arn is not None else None
            conn.execute(update(schema.iam_roles).where(_role(account_id, role)).values(boundary_arn=stored))

        self._write(grant, account_id, change)

    def _update(self, grant: Grant, account_id: str, name: str, **values: object) -> None:
        def change(conn: Connection) -> None:
            role = require_role(conn, account_id, name).name
            if values:
                conn.execute(update(schema.iam_roles).where(_role(account_id, role)).values(**values))

        self._write(grant, account_id, change)
