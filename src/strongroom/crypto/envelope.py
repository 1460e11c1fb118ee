"""Envelope encryption: wrapping data keys and small secrets under a key-encryption key.

This module owns the wrapped-key format stored in the metadata (DESIGN.md invariant 3) and the canonical
encoding of an encryption context. A wrapped value is bound to its context (bucket, key, version, ...) as
associated data, so a row copied to another object, or a key wrapped for another purpose, fails to unwrap.

Wrapped layout (part of a stored format)::

    version (1 byte, 0x01) || nonce (12 random bytes) || AES-256-GCM ciphertext || tag (16 bytes)
    AAD = domain || encode_context(...)   (domain differs for data keys and for other secrets)

Random 96-bit nonces are safe for well under 2^32 wraps per key-encryption key; rotate KEKs long before.
Any failure to unwrap raises ``IntegrityError``, which does not say which check failed.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from strongroom.crypto.errors import IntegrityError
from strongroom.crypto.keys import KEY_BYTES, DataKey

__all__ = [
    "ENVELOPE_VERSION",
    "WRAPPED_KEY_BYTES",
    "encode_context",
    "open_bytes",
    "seal_bytes",
    "unwrap_key",
    "wrap_key",
]

# Part of envelope format v1: changing it breaks every wrapped key.
ENVELOPE_VERSION = 0x01
# Part of envelope format v1: changing it breaks every wrapped key.
_NONCE_BYTES = 12
# Part of envelope format v1: changing it breaks every wrapped key.
_TAG_BYTES = 16
# Part of envelope format v1: changing it breaks every wrapped key. Neither is a prefix of the other.
_DOMAIN_WRAP_KEY = b"strongroom envelope v1 wrap-key\x00"
_DOMAIN_SEAL_BYTES = b"strongroom envelope v1 seal-bytes\x00"

_OVERHEAD = 1 + _NONCE_BYTES + _TAG_BYTES
WRAPPED_KEY_BYTES = _OVERHEAD + KEY_BYTES

_U32 = struct.Struct(">I")


def encode_context(mapping: Mapping[str, str]) -> bytes:
    """Return the canonical bytes of an encryption context (sorted, length-prefixed UTF-8).

    Layout (part of a stored format): uint32 BE pair count, then for each pair in ascending order of the
    key's UTF-8 bytes: uint32 BE key length, key, uint32 BE value length, value. Every field is
    length-prefixed, so no two different mappings encode alike. Strings that are not valid Unicode
    (lone surrogates) raise ValueError.
    """
    pairs = sorted((k.encode("utf-8"), v.encode("utf-8")) for k, v in mapping.items())
    parts = [_U32.pack(len(pairs))]
    for key, value in pairs:
        parts += (_U32.pack(len(key)), key, _U32.pack(len(value)), value)
    return b"".join(parts)


def _seal(kek: DataKey, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(kek.reveal_secret_bytes()).encrypt(nonce, plaintext, aad)
    return bytes((ENVELOPE_VERSION,)) + nonce + sealed


def _open(kek: DataKey, sealed: bytes, aad: bytes) -> bytes:
    if len(sealed) < _OVERHEAD or sealed[0] != ENVELOPE_VERSION:
        raise IntegrityError()
    nonce = sealed[1 : 1 + _NONCE_BYTES]
    try:
        return AESGCM(kek.reveal_secret_bytes()).decrypt(nonce, sealed[1 + _NONCE_BYTES :], aad)
    except InvalidTag:
        raise IntegrityError() from None


def wrap_key(kek: DataKey, key: DataKey, context: bytes) -> bytes:
    """Wrap ``key`` under ``kek``, bound to ``context`` (use ``encode_context``); 61 bytes out."""
    return _seal(kek, key.reveal_secret_bytes(), _DOMAIN_WRAP_KEY + context)


def unwrap_key(kek: DataKey, wrapped: bytes, context: bytes) -> DataKey:
    """Return the key inside ``wrapped``; IntegrityError for a wrong kek, context, or any tampering."""
    if len(wrapped) != WRAPPED_KEY_BYTES:
        raise IntegrityError()
    return DataKey.from_bytes(_open(kek, wrapped, _DOMAIN_WRAP_KEY + context))


def seal_bytes(kek: DataKey, plaintext: bytes, context: bytes) -> bytes:
    """Encrypt a small secret (access-key secret, KMS key material) under ``kek``, bound to ``context``."""
    return _seal(kek, plaintext, _DOMAIN_SEAL_BYTES + context)


def open_bytes(kek: DataKey, sealed: bytes, context: bytes) -> bytes:
    """Return the secret inside ``sealed``; IntegrityError for a wrong kek, context, or any tampering."""
    return _open(kek, sealed, _DOMAIN_SEAL_BYTES + context)
