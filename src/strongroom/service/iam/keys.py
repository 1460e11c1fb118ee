"""Access keys of users (and of an account's root) through IAM: create (at most two), list, activate
or deactivate, delete, and when each was last used.

The secret is sealed by the root key, as service/accounts.py stores every key (SigV4 needs it back).
An Inactive key fails authentication (the lookup refuses it: InvalidAccessKeyId); callers that change a
key's status or delete it drop it from the credential cache themselves.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable

from sqlalchemy import ColumnElement, Connection, func, select, update

from ... import clock
from ...errors import S3Error
from ...grant import Grant
from ...kms.root_key import RootKeyring
from ...meta import schema
from ...meta.engine import MetaStore
from ..accounts import secret_context
from .base import IamStoreBase
from .entities import KeyInfo
from .rows import require_user

__all__ = ["IamKeys", "MAX_KEYS_PER_USER", "KEY_STATUSES"]

MAX_KEYS_PER_USER = 2  # IAM's quota AccessKeysPerUser
KEY_STATUSES = ("Active", "Inactive")
_ACCESS_KEY_ALPHABET = string.ascii_uppercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits + "/+"


class IamKeys(IamStoreBase):
    """Access keys as the IAM API sees them."""

    def __init__(self, meta: MetaStore, root: RootKeyring, on_change: Callable[[], None] = lambda: None) -> None:
        super().__init__(meta, on_change)
        self._root = root

    def create(self, grant: Grant, account_id: str, user_name: str | None) -> tuple[KeyInfo, str]:
        """A new Active key and its secret (shown once); LimitExceeded past two keys."""
        key_id = "AKIA" + "".join(secrets.choice(_ACCESS_KEY_ALPHABET) for _ in range(16))
        secret = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))
        sealed = self._root.seal(secret.encode(), secret_context(key_id))
        info = KeyInfo(key_id, user_name, "Active", clock.now_seconds())

        def insert(conn: Connection) -> KeyInfo:
            owner = require_user(conn, account_id, user_name).name if user_name is not None else None
            k = schema.access_keys
            count = conn.execute(select(func.count()).select_from(k).where(_owner(account_id, owner))).scalar_one()
            if count >= MAX_KEYS_PER_USER:
                raise S3Error("LimitExceeded", f"Cannot exceed quota for AccessKeysPerUser: {MAX_KEYS_PER_USER}")
            conn.execute(k.insert().values(
                access_key_id=key_id, account_id=account_id, user_name=owner, secret_sealed=sealed, status="Active", created=info.created,
            ))
            return KeyInfo(key_id, owner, "Active", info.created)

        return self._write(grant, account_id, insert), secret

    def list_in(self, account_id: str, user_name: str | None) -> list[KeyInfo]:
        """The keys of a user (or of the root, user_name None), oldest first."""

        def rows(conn: Connection) -> list[KeyInfo]:
            owner = require_user(conn, account_id, user_name).name if user_name is not None else None
            k = schema.access_keys
            found = conn.execute(select(k).where(_owner(account_id, owner)).order_by(k.c.created)).all()
            return [_info(r) for r in found]

        return self._read(rows)

    def get(self, account_id: str, key_id: str) -> KeyInfo:
        """One key of the account, or NoSuchEntity (another account's key is never found)."""
        k = schema.access_keys
        row = self._read(lambda c: c.execute(select(k).where((k.c.account_id == account_id) & (k.c.access_key_id == key_id))).first())
        if row is None:
            raise S3Error("NoSuchEntity", f"The Access Key with id {key_id} cannot be found")
        return _info(row)

    def set_status(self, grant: Grant, account_id: str, user_name: str | None, key_id: str, status: str) -> None:
        """Activate or deactivate a key of the user (or root)."""
        self._change(grant, account_id, user_name, key_id, lambda conn, where: conn.execute(update(schema.access_keys).where(where).values(status=status)))

    def delete(self, grant: Grant, account_id: str, user_name: str | None, key_id: str) -> None:
        """Delete a key of the user (or root)."""
        self._change(grant, account_id, user_name, key_id, lambda conn, where: conn.execute(schema.access_keys.delete().where(where)))

    def _change(self, grant: Grant, account_id: str, user_name: str | None, key_id: str,
                act: Callable[[Connection, ColumnElement[bool]], object]) -> None:
        def run(conn: Connection) -> None:
            owner = require_user(conn, account_id, user_name).name if user_name is not None else None
            where = _owner(account_id, owner) & (schema.access_keys.c.access_key_id == key_id)
            if conn.execute(select(schema.access_keys.c.access_key_id).where(where)).first() is None:
                raise S3Error("NoSuchEntity", f"The Access Key with id {key_id} cannot be found")
            act(conn, where)

        self._write(grant, account_id, run)


def _owner(account_id: str, user_name: str | None) -> ColumnElement[bool]:
    k = schema.access_keys
    who = k.c.user_name.is_(None) if user_name is None else k.c.user_name == user_name
    return (k.c.account_id == account_id) & who


def _info(row: object) -> KeyInfo:
    m = row._mapping  # type: ignore[attr-defined]
    return KeyInfo(m["access_key_id"], m["user_name"], m["status"], m["created"], m["last_used"], m["last_used_service"], m["last_used_region"])
