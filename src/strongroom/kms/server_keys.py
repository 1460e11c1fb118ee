"""The server's own key hierarchy behind SSE-S3: root key -> service keys -> per-object data keys.

The root key (kms/root_key.py) is the one secret kept on disk in the clear (mode 0600, path
configurable; invariant 1). Service keys live in the metadata sealed by the root key; every enabled
one unwraps, the newest is primary and wraps new data keys, so rotation is a data change (Tink's
keyset lesson).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from sqlalchemy import Connection, select

from .. import clock
from ..crypto.envelope import encode_context, unwrap_key, wrap_key
from ..crypto.errors import IntegrityError
from ..crypto.keys import DataKey
from ..meta import schema
from ..meta.engine import MetaStore
from .provider import KeyDescription, KeyUnavailable, WrappedKey
from .root_key import RootKeyring, as_keyring

__all__ = ["ServerKeyProvider", "SERVER_PROVIDER", "service_key_context"]

SERVER_PROVIDER = "server"
_SSE_S3_PURPOSE = "sse-s3"


def service_key_context(key_id: str) -> bytes:
    """What a service key's sealed row is bound to (part of the stored format)."""
    return encode_context({"purpose": "service-key", "key_id": key_id})


class ServerKeyProvider:
    """SSE-S3 data keys wrapped by the server's service keys."""

    name = SERVER_PROVIDER

    def __init__(self, root_key: DataKey | RootKeyring, meta: MetaStore) -> None:
        self._root = as_keyring(root_key)
        self._meta = meta
        self._keys: dict[str, DataKey] = {}
        self._primary = ""
        self._load()

    def _load(self) -> None:
        rows = self._meta.read_sync(
            lambda c: c.execute(
                select(schema.service_keys).where(schema.service_keys.c.purpose == _SSE_S3_PURPOSE)
                .order_by(schema.service_keys.c.created)
            ).all()
        )
        if not rows:
            self._primary = self._meta.write_sync(self._create_key)
            return self._load()
        for row in rows:
            try:
                sealed = self._root.open(row.key_sealed, service_key_context(row.key_id))
            except IntegrityError as exc:
                raise RuntimeError("service keys do not open with this root key: wrong root key file?") from exc
            self._keys[row.key_id] = DataKey.from_bytes(sealed)
            if row.state == "Enabled":
                self._primary = row.key_id

    def _create_key(self, conn: Connection) -> str:
        key_id = "sk-" + secrets.token_hex(8)
        material = DataKey.generate()
        sealed = self._root.seal(material.reveal_secret_bytes(), service_key_context(key_id))
        conn.execute(
            schema.service_keys.insert().values(
                key_id=key_id, purpose=_SSE_S3_PURPOSE, key_sealed=sealed, state="Enabled", created=clock.now_seconds()
            )
        )
        return key_id

    def generate_data_key(self, key_id: str | None, context: Mapping[str, str]) -> tuple[DataKey, WrappedKey]:
        key = DataKey.generate()
        return key, self.wrap(key_id, key, context)

    def wrap(self, key_id: str | None, key: DataKey, context: Mapping[str, str]) -> WrappedKey:
        kid = key_id or self._primary
        kek = self._keys.get(kid)
        if kek is None:
            raise KeyUnavailable(kid)
        return WrappedKey(SERVER_PROVIDER, kid, wrap_key(kek, key, encode_context(context)))

    def unwrap(self, wrapped: WrappedKey, context: Mapping[str, str]) -> DataKey:
        kek = self._keys.get(wrapped.key_id)
        if kek is None:
            raise KeyUnavailable(wrapped.key_id)
        return unwrap_key(kek, wrapped.wrapped, encode_context(context))

    def describe(self, key_id: str | None) -> KeyDescription:
        kid = key_id or self._primary
        if kid not in self._keys:
            raise KeyUnavailable(kid)
        return KeyDescription(SERVER_PROVIDER, kid, "Enabled")

    def rotate(self, key_id: str | None) -> str:
        self._primary = self._meta.write_sync(self._create_key)
        self._keys.clear()
        self._load()
        return self._primary
