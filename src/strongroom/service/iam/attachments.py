"""Attaching managed policies to users, groups and roles (at most ten each, IAM's quota), detaching
them, and listing what is attached."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection, func, select

from ...errors import S3Error
from ...grant import Grant
from ...meta import schema
from .aws_managed import aws_managed_policies
from .base import IamStoreBase
from .entities import Attached
from .names import EntityKind
from .rows import require_policy, require_principal

__all__ = ["Attachments", "MAX_ATTACHED_POLICIES"]

MAX_ATTACHED_POLICIES = 10  # IAM's quota PoliciesPerUser / PoliciesPerGroup / PoliciesPerRole
_QUOTA_NAME = {EntityKind.USER: "PoliciesPerUser", EntityKind.GROUP: "PoliciesPerGroup", EntityKind.ROLE: "PoliciesPerRole"}


def _of(account_id: str, kind: EntityKind, principal: str) -> ColumnElement[bool]:
    a = schema.iam_attachments
    return (a.c.account_id == account_id) & (a.c.principal_kind == kind.value) & (a.c.principal_name == principal)


class Attachments(IamStoreBase):
    """Which managed policies hang off which entity."""

    def attach(self, grant: Grant, account_id: str, kind: EntityKind, principal: str, arn: str) -> None:
        """Attach a policy of the account (already attached: nothing changes)."""
        a = schema.iam_attachments

        def add(conn: Connection) -> None:
            name = require_principal(conn, account_id, kind, principal)
            stored = require_policy(conn, account_id, arn).arn
            if conn.execute(select(a.c.policy_arn).where(_of(account_id, kind, name) & (a.c.policy_arn == stored))).first() is not None:
                return
            if conn.execute(select(func.count()).select_from(a).where(_of(account_id, kind, name))).scalar_one() >= MAX_ATTACHED_POLICIES:
                raise S3Error("LimitExceeded", f"Cannot exceed quota for {_QUOTA_NAME[kind]}: {MAX_ATTACHED_POLICIES}")
            conn.execute(a.insert().values(account_id=account_id, principal_kind=kind.value, principal_name=name, policy_arn=stored))

        self._write(grant, account_id, add)

    def detach(self, grant: Grant, account_id: str, kind: EntityKind, principal: str, arn: str) -> None:
        """Detach a policy; NoSuchEntity when it is not attached."""
        a = schema.iam_attachments

        def remove(conn: Connection) -> None:
            name = require_principal(conn, account_id, kind, principal)
            try:
                stored = require_policy(conn, account_id, arn).arn
            except S3Error as missing:
                if missing.code != "NoSuchEntity":
                    raise
                stored = arn
            if not conn.execute(a.delete().where(_of(account_id, kind, name) & (a.c.policy_arn == stored))).rowcount:
                raise S3Error("NoSuchEntity", f"Policy {arn} was not found.")

        self._write(grant, account_id, remove)

    def attached(self, account_id: str, kind: EntityKind, principal: str, path_prefix: str = "/") -> list[Attached]:
        """The policies attached to an entity, by name."""
        a, p = schema.iam_attachments, schema.iam_policies

        def read(conn: Connection) -> list[Attached]:
            name = require_principal(conn, account_id, kind, principal)
            arns = conn.execute(select(a.c.policy_arn).where(_of(account_id, kind, name))).scalars().all()
            rows = conn.execute(select(p.c.policy_name, p.c.path).where(p.c.account_id == account_id)).all()
            by_arn = {f"arn:aws:iam::{account_id}:policy{r.path}{r.policy_name}": (r.policy_name, r.path) for r in rows}
            by_arn.update({p.arn: (p.name, p.path) for p in aws_managed_policies()})
            found = [Attached(by_arn[arn][0], arn) for arn in arns if arn in by_arn and by_arn[arn][1].startswith(path_prefix)]
            return sorted(found, key=lambda x: x.policy_name)

        return self._read(read)
