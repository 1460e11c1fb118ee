"""Accounts and access keys: create them, look a caller's key up (IAM users: service/iam/).

Secrets are sealed by the root key in the metadata: SigV4 needs the secret itself to recompute HMACs.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

from sqlalchemy import Connection, Row, select, update
from sqlalchemy.exc import IntegrityError as DbIntegrityError

from .. import clock
from ..crypto.envelope import encode_context
from ..crypto.keys import DataKey
from ..errors import S3Error
from ..kms.root_key import RootKeyring, as_keyring
from ..meta import schema
from ..meta.engine import MetaStore
from .model import Account, Principal

__all__ = ["Accounts", "AccessKey", "AccountExists"]

_ACCESS_KEY_ALPHABET = string.ascii_uppercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits + "/+"


class AccountExists(Exception):
    """An account, user or key with that name or id already exists."""


@dataclass(frozen=True, slots=True)
class AccessKey:
    """An access key with its secret (only ever shown at creation and to the signature check)."""

    access_key_id: str
    secret: str
    principal: Principal
    status: str


def secret_context(access_key_id: str) -> bytes:
    """What an access key's sealed secret is bound to (part of the stored format)."""
    return encode_context({"purpose": "access-key-secret", "access_key_id": access_key_id})


def _account(row: Row[tuple[object, ...]] | None) -> Account | None:
    if row is None:
        return None
    m = row._mapping
    return Account(m["account_id"], m["name"], m["canonical_id"], m["display_name"])


class Accounts:
    """The identity store of the S3 core: accounts, users, access keys."""

    def __init__(self, meta: MetaStore, root_key: DataKey | RootKeyring) -> None:
        self._meta = meta
        self._root = as_keyring(root_key)

    @property
    def root_keyring(self) -> RootKeyring:
        """The root keyring (STS seals its session tokens with it)."""
        return self._root

    # -- accounts ------------------------------------------------------------------------------
    def create_account_sync(self, name: str, account_id: str | None = None) -> Account:
        """Create an account with a fresh 12-digit id and canonical user id."""
        account = Account(
            account_id=account_id or str(10**11 + secrets.randbelow(9 * 10**11)),
            name=name,
            canonical_id=secrets.token_hex(32),
            display_name=name,
        )

        def insert(conn: Connection) -> None:
            conn.execute(
                schema.accounts.insert().values(
                    account_id=account.account_id,
                    name=account.name,
                    canonical_id=account.canonical_id,
                    display_name=account.display_name,
                    created=clock.now_seconds(),
                )
            )

        try:
            self._meta.write_sync(insert)
        except DbIntegrityError as exc:
            raise AccountExists(name) from exc
        return account

    def get_account_sync(self, name_or_id: str) -> Account | None:
        """An account by name or 12-digit id."""
        t = schema.accounts
        return self._meta.read_sync(
            lambda c: _account(c.execute(select(t).where((t.c.name == name_or_id) | (t.c.account_id == name_or_id))).first())
        )

    def list_accounts_sync(self) -> list[Account]:
        """Every account."""
        rows = self._meta.read_sync(lambda c: c.execute(select(schema.accounts).order_by(schema.accounts.c.name)).all())
        return [a for a in (_account(r) for r in rows) if a is not None]

    def canonical_owner_sync(self, account_id: str) -> Account | None:
        """An account by id (for rendering owners)."""
        t = schema.accounts
        return self._meta.read_sync(lambda c: _account(c.execute(select(t).where(t.c.account_id == account_id)).first()))

    def by_canonical_id_sync(self, canonical_id: str) -> Account | None:
        """An account by canonical user id (ACL grantees name accounts so)."""
        t = schema.accounts
        return self._meta.read_sync(lambda c: _account(c.execute(select(t).where(t.c.canonical_id == canonical_id)).first()))

    # -- access keys ---------------------------------------------------------------------------
    def create_key_sync(
        self, account: Account, user_name: str | None = None, access_key_id: str | None = None, secret: str | None = None
    ) -> AccessKey:
        """Create an access key for the account root (user_name None) or a user."""
        key_id = access_key_id or "AKIA" + "".join(secrets.choice(_ACCESS_KEY_ALPHABET) for _ in range(16))
        secret = secret or "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))
        sealed = self._root.seal(secret.encode(), secret_context(key_id))

        def insert(conn: Connection) -> None:
            if user_name is not None:
                u = schema.users
                if conn.execute(select(u.c.user_name).where((u.c.account_id == account.account_id) & (u.c.user_name == user_name))).first() is None:
                    raise LookupError(f"no user {user_name!r} in account {account.name!r}")
            conn.execute(
                schema.access_keys.insert().values(
                    access_key_id=key_id,
                    account_id=account.account_id,
                    user_name=user_name,
                    secret_sealed=sealed,
                    status="Active",
                    created=clock.now_seconds(),
                )
            )

        try:
            self._meta.write_sync(insert)
        except DbIntegrityError as exc:
            raise AccountExists(key_id) from exc
        return AccessKey(key_id, secret, Principal(account, user_name, key_id), "Active")

    def list_keys_sync(self, account: Account) -> list[tuple[str, str | None, str]]:
        """(access key id, user name, status) of an account's keys."""
        t = schema.access_keys
        rows = self._meta.read_sync(
            lambda c: c.execute(select(t.c.access_key_id, t.c.user_name, t.c.status).where(t.c.account_id == account.account_id)).all()
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def delete_key_sync(self, access_key_id: str) -> bool:
        """Delete an access key; True if it existed."""
        t = schema.access_keys
        return bool(self._meta.write_sync(lambda c: c.execute(t.delete().where(t.c.access_key_id == access_key_id)).rowcount))

    def _lookup(self, conn: Connection, access_key_id: str) -> AccessKey:
        k, a, u = schema.access_keys, schema.accounts, schema.users
        row = conn.execute(
            select(k, a.c.name, a.c.canonical_id, a.c.display_name, u.c.path, u.c.user_id)
            .join(a, a.c.account_id == k.c.account_id)
            .outerjoin(u, (u.c.account_id == k.c.account_id) & (u.c.user_name == k.c.user_name))
            .where(k.c.access_key_id == access_key_id)
        ).first()
        # An Inactive key is refused like an unknown one; so is a user's key whose user is gone.
        if row is None or row.status != "Active" or (row.user_name is not None and row.user_id is None):
            raise S3Error("InvalidAccessKeyId")
        account = Account(row.account_id, row.name, row.canonical_id, row.display_name)
        secret = self._root.open(row.secret_sealed, secret_context(access_key_id)).decode()
        principal = Principal(account, row.user_name, access_key_id, row.path or "/", row.user_id)
        return AccessKey(access_key_id, secret, principal, row.status)

    async def note_use(self, access_key_id: str, service: str, region: str) -> None:
        """Record that a key just signed a request for ``service`` in ``region`` (GetAccessKeyLastUsed)."""
        k = schema.access_keys
        values = {"last_used": clock.now_seconds(), "last_used_service": service[:32], "last_used_region": region[:32]}
        await self._meta.write(lambda c: c.execute(update(k).where(k.c.access_key_id == access_key_id).values(**values)))

    async def lookup(self, access_key_id: str) -> AccessKey:
        """The key, its secret and principal; InvalidAccessKeyId if unknown or inactive."""
        return await self._meta.read(lambda c: self._lookup(c, access_key_id))
