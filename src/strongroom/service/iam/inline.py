"""Inline policies of users, groups and roles: put (create or replace), get, list, delete.

Each document is validated as an identity policy; the entity's inline policies together stay within
IAM's aggregate size quota (LimitExceeded otherwise).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection, select

from ...errors import S3Error
from ...grant import Grant
from ...meta import schema
from .base import IamStoreBase
from .documents import INLINE_QUOTA, check_identity_document, significant_chars
from .names import EntityKind
from .rows import require_principal

__all__ = ["InlinePolicies"]


def _of(account_id: str, kind: EntityKind, principal: str) -> ColumnElement[bool]:
    t = schema.iam_inline_policies
    return (t.c.account_id == account_id) & (t.c.principal_kind == kind.value) & (t.c.principal_name == principal)


class InlinePolicies(IamStoreBase):
    """Policies embedded in one user, group or role."""

    def put(self, grant: Grant, account_id: str, kind: EntityKind, principal: str, name: str, document: str) -> None:
        """Create or replace the named inline policy."""
        quota = INLINE_QUOTA[kind.value]
        check_identity_document(document, quota)
        t = schema.iam_inline_policies

        def upsert(conn: Connection) -> None:
            stored = require_principal(conn, account_id, kind, principal)
            others = conn.execute(select(t.c.document).where(_of(account_id, kind, stored) & (t.c.policy_name != name))).scalars().all()
            if sum(significant_chars(d) for d in others) + significant_chars(document) > quota:
                raise S3Error("LimitExceeded", f"Maximum policy size of {quota} bytes exceeded for {kind.value} {principal}")
            conn.execute(t.delete().where(_of(account_id, kind, stored) & (t.c.policy_name == name)))
            conn.execute(t.insert().values(
                account_id=account_id, principal_kind=kind.value, principal_name=stored, policy_name=name, document=document,
            ))

        self._write(grant, account_id, upsert)

    def get(self, account_id: str, kind: EntityKind, principal: str, name: str) -> str:
        """The document, or NoSuchEntity."""
        t = schema.iam_inline_policies

        def read(conn: Connection) -> str:
            stored = require_principal(conn, account_id, kind, principal)
            document = conn.execute(select(t.c.document).where(_of(account_id, kind, stored) & (t.c.policy_name == name))).scalar()
            if document is None:
                raise S3Error("NoSuchEntity", f"The {kind.value} policy with name {name} cannot be found.")
            return str(document)

        return self._read(read)

    def names(self, account_id: str, kind: EntityKind, principal: str) -> list[str]:
        """The entity's inline policy names, sorted."""
        t = schema.iam_inline_policies

        def read(conn: Connection) -> list[str]:
            stored = require_principal(conn, account_id, kind, principal)
            return [str(n) for n in conn.execute(select(t.c.policy_name).where(_of(account_id, kind, stored)).order_by(t.c.policy_name)).scalars()]

        return self._read(read)

    def delete(self, grant: Grant, account_id: str, kind: EntityKind, principal: str, name: str) -> None:
        """Delete the named inline policy, or NoSuchEntity."""
        t = schema.iam_inline_policies

        def remove(conn: Connection) -> None:
            stored = require_principal(conn, account_id, kind, principal)
            if not conn.execute(t.delete().where(_of(account_id, kind, stored) & (t.c.policy_name == name))).rowcount:
                raise S3Error("NoSuchEntity", f"The {kind.value} policy with name {name} cannot be found.")

        self._write(grant, account_id, remove)
