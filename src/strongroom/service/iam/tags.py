"""Tags of IAM users and roles: tag (add or replace), untag, list, with IAM's limits (50 tags, keys of
1-128 and values of 0-256 characters from IAM's character set). A principal's tags are its
aws:PrincipalTag/<key> condition keys (identity.py reads them with its policies).

Keys are compared without regard to case, as IAM does: tagging "Team" replaces "team".
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlalchemy import ColumnElement, Connection, func, select

from ...errors import S3Error
from ...grant import Grant
from ...meta import schema
from .base import IamStoreBase
from .names import EntityKind
from .rows import require_principal

__all__ = ["IamTags", "MAX_TAGS", "check_tags", "delete_tags_of", "rename_tags_of"]

MAX_TAGS = 50
_KEY = re.compile(r"^[\w\s.:/=+\-@]{1,128}$")
_VALUE = re.compile(r"^[\w\s.:/=+\-@]{0,256}$")
_QUOTA = {EntityKind.USER: "TagsPerUser", EntityKind.ROLE: "TagsPerRole"}


def check_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """Tags IAM would accept, or InvalidInput naming the bad one."""
    for key, value in tags.items():
        if not _KEY.match(key) or key.lower().startswith("aws:"):
            raise S3Error("InvalidInput", f"Tag key {key!r} is not valid.")
        if not _VALUE.match(value):
            raise S3Error("InvalidInput", f"Tag value {value!r} of key {key!r} is not valid.")
    if len({k.lower() for k in tags}) != len(tags):
        raise S3Error("InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
    return dict(tags)


def _of(account_id: str, kind: EntityKind, name: str) -> ColumnElement[bool]:
    t = schema.iam_tags
    return (t.c.account_id == account_id) & (t.c.principal_kind == kind.value) & (t.c.principal_name == name)


def put_tags(conn: Connection, account_id: str, kind: EntityKind, name: str, tags: Mapping[str, str]) -> None:
    """Add or replace tags of an existing principal, within the quota (inside a write transaction)."""
    t = schema.iam_tags
    for key in tags:
        conn.execute(t.delete().where(_of(account_id, kind, name) & (func.lower(t.c.tag_key) == key.lower())))
    for key, value in tags.items():
        conn.execute(t.insert().values(account_id=account_id, principal_kind=kind.value, principal_name=name, tag_key=key, tag_value=value))
    if conn.execute(select(func.count()).select_from(t).where(_of(account_id, kind, name))).scalar_one() > MAX_TAGS:
        raise S3Error("LimitExceeded", f"Cannot exceed quota for {_QUOTA[kind]}: {MAX_TAGS}")


def delete_tags_of(conn: Connection, account_id: str, kind: EntityKind, name: str) -> None:
    """Forget a principal's tags (it is being deleted)."""
    conn.execute(schema.iam_tags.delete().where(_of(account_id, kind, name)))


def rename_tags_of(conn: Connection, account_id: str, kind: EntityKind, name: str, new_name: str) -> None:
    """Tags follow a renamed principal."""
    conn.execute(schema.iam_tags.update().where(_of(account_id, kind, name)).values(principal_name=new_name))


def tags_of(conn: Connection, account_id: str, kind: EntityKind, name: str) -> dict[str, str]:
    """A principal's tags, by key."""
    t = schema.iam_tags
    rows = conn.execute(select(t.c.tag_key, t.c.tag_value).where(_of(account_id, kind, name)).order_by(t.c.tag_key)).all()
    return {r.tag_key: r.tag_value for r in rows}


class IamTags(IamStoreBase):
    """Tag, untag and list the tags of users and roles."""

    def tag(self, grant: Grant, account_id: str, kind: EntityKind, name: str, tags: Mapping[str, str]) -> None:
        """Add or replace tags (LimitExceeded past 50)."""
        checked = check_tags(tags)

        def change(conn: Connection) -> None:
            put_tags(conn, account_id, kind, require_principal(conn, account_id, kind, name), checked)

        self._write(grant, account_id, change)

    def untag(self, grant: Grant, account_id: str, kind: EntityKind, name: str, keys: list[str]) -> None:
        """Remove the named tags (absent ones are ignored)."""
        t = schema.iam_tags

        def change(conn: Connection) -> None:
            stored = require_principal(conn, account_id, kind, name)
            lowered = [k.lower() for k in keys]
            conn.execute(t.delete().where(_of(account_id, kind, stored) & func.lower(t.c.tag_key).in_(lowered)))

        self._write(grant, account_id, change)

    def list_of(self, account_id: str, kind: EntityKind, name: str) -> dict[str, str]:
        """The principal's tags, or NoSuchEntity."""

        def read(conn: Connection) -> dict[str, str]:
            return tags_of(conn, account_id, kind, require_principal(conn, account_id, kind, name))

        return self._read(read)
