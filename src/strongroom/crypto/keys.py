"""Data keys: 32 secret bytes that never show themselves.

This module owns ``DataKey``, the only type the rest of Strongroom uses to carry plaintext key material.
Following Tink's keyset handle (tink-crypto/tink-py ``tink/_keyset_handle.py``), a ``DataKey`` has no public
constructor, refuses pickling, prints only a short non-secret key id, compares in constant time, and hands out
its bytes only through the explicit, greppable ``reveal_secret_bytes()``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import NoReturn

__all__ = ["DataKey", "KEY_BYTES"]

# Part of sealed format v1: changing it breaks every blob.
KEY_BYTES = 32

# Domain separation for the key id, so the id is never a hash used anywhere else.
_KEY_ID_DOMAIN = b"strongroom key id v1\x00"

_CONSTRUCT = object()


class DataKey:
    """A 256-bit symmetric key; its bytes leave only through ``reveal_secret_bytes()``."""

    __slots__ = ("_secret", "_key_id")

    _secret: bytes
    _key_id: str

    def __init__(self, secret: bytes, *, _token: object = None) -> None:
        if _token is not _CONSTRUCT:
            raise TypeError("use DataKey.generate() or DataKey.from_bytes()")
        object.__setattr__(self, "_secret", secret)
        digest = hashlib.sha256(_KEY_ID_DOMAIN + secret).hexdigest()
        object.__setattr__(self, "_key_id", digest[:8])

    @classmethod
    def generate(cls) -> DataKey:
        """Return a fresh random key from the operating system's CSPRNG."""
        return cls(os.urandom(KEY_BYTES), _token=_CONSTRUCT)

    @classmethod
    def from_bytes(cls, secret: bytes | bytearray | memoryview) -> DataKey:
        """Return a key holding a copy of ``secret``; ValueError unless it is exactly 32 bytes."""
        raw = bytes(secret)
        if len(raw) != KEY_BYTES:
            raise ValueError(f"a data key is {KEY_BYTES} bytes, got {len(raw)}")
        return cls(raw, _token=_CONSTRUCT)

    @property
    def key_id(self) -> str:
        """A short non-secret fingerprint (8 hex digits) for logs; not unique, never a lookup key."""
        return self._key_id

    def reveal_secret_bytes(self) -> bytes:
        """Return the raw key bytes: only for crypto/ and KMS wire protocols (grep for this name)."""
        return self._secret

    def __repr__(self) -> str:
        return f"DataKey(id={self._key_id})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DataKey):
            return NotImplemented
        return hmac.compare_digest(self._secret, other._secret)

    def __hash__(self) -> int:
        return hash(self._key_id)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("DataKey is immutable")

    def __reduce__(self) -> NoReturn:
        raise TypeError("DataKey cannot be pickled")

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError("DataKey cannot be pickled")

    def __getstate__(self) -> NoReturn:
        raise TypeError("DataKey cannot be pickled")

    def __copy__(self) -> DataKey:
        return self

    def __deepcopy__(self, memo: object) -> DataKey:
        return self
