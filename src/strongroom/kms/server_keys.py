"""The server's own key hierarchy behind SSE-S3: root key -> service keys -> per-object data keys.

The root key is the one secret kept on disk in the clear (mode 0600, path configurable; invariant 1).
Service keys live in the metadata sealed by the root key; every enabled one unwraps, the newest is
primary and wraps new data keys, so rotation is a data change (Tink's keyset lesson).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import Connection, select

from .. import clock
from ..crypto.envelope import encode_context, open_bytes, seal_bytes, unwrap_key, wrap_key
from ..crypto.errors import IntegrityError
from ..crypto.keys import DataKey
from ..meta import schema
from ..meta.engine import MetaStore
from .provider import KeyDescription, KeyUnavailable, WrappedKey

__all__ = ["load_or_create_root_key", "ServerKeyProvider", "SERVER_PROVIDER"]

SERVER_PROVIDER = "server"
ROOT_KEY_BYTES = 32
_SSE_S3_PURPOSE = "sse-s3"


def load_or_create_root_key(path: Path) -> DataKey:
    """Read the root key file, creating it (0600) on first start."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_bytes(ROOT_KEY_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)
    if path.stat().st_mode & 0o077:
        raise RuntimeError(f"root key file {path} must not be readable by group or others (chmod 600)")
    material = path.read_bytes()
    if len(material) != ROOT_KEY_BYTES:
        raise RuntimeError(f"root key file {path} must hold exactly {ROOT_KEY_BYTES} bytes")
    return DataKey.from_bytes(material)


def _service_key_context(key_id: str) -> bytes:
    return encode_context({"purpose": "service-key", "key_id": key_id})


class ServerKeyProvider:
    """SSE-S3 data keys wrapped by the server's service keys."""

    name = SERVER_PROVIDER

    def __init__(self, root_key: DataKey, meta: MetaStore) -> None:
        self._root = root_key
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
                sealed = open_bytes(self._root, row.key_sealed, _service_key_context(row.key_id))
            except IntegrityError as exc:
                raise RuntimeError("service keys do not open with this root key: wrong root key file?") from exc
            self._keys[row.key_id] = DataKey.from_bytes(sealed)
            if row.state == "Enabled":
                self._primary = row.key_id

    def _create_key(self, conn: Connection) -> str:
        key_id = "sk-" + secrets.token_hex(8)
        material = DataKey.generate()
        sealed = seal_bytes(self._root, material.reveal_secret_bytes(), _service_key_context(key_id))
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
