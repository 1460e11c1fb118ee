"""The built-in KMS's ciphertext blob: what Encrypt and GenerateDataKey return and Decrypt accepts.

The blob names its KMS key, so Decrypt needs no KeyId (as AWS KMS's symmetric ciphertexts do).
Layout (part of KMS ciphertext format v1: changing it breaks every ciphertext a client holds)::

    version (1 byte, 0x01) || key id length (1 byte, 1..64) || key id (ASCII)
    || material generation (uint32 BE) || nonce (12 random bytes) || AES-256-GCM ciphertext || tag (16 bytes)
    AAD = domain || header (everything before the nonce) || encryption context (envelope.encode_context)

The header is authenticated, so a blob relabelled with another key id or generation fails to open;
the encryption context is bound as associated data, so a different context fails too. Any failure
raises ``IntegrityError``, which does not say which check failed.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from strongroom.crypto.errors import IntegrityError
from strongroom.crypto.keys import DataKey

__all__ = ["KMS_BLOB_VERSION", "KMS_BLOB_MAX_KEY_ID_BYTES", "BlobHeader", "read_header", "seal_ciphertext", "open_ciphertext"]

# Part of KMS ciphertext format v1: changing it breaks every ciphertext.
KMS_BLOB_VERSION = 0x01
# Part of KMS ciphertext format v1: changing it breaks every ciphertext.
_NONCE_BYTES = 12
_TAG_BYTES = 16
_DOMAIN = b"strongroom kms ciphertext v1\x00"
_GENERATION = struct.Struct(">I")

KMS_BLOB_MAX_KEY_ID_BYTES = 64


@dataclass(frozen=True, slots=True)
class BlobHeader:
    """The clear part of a ciphertext blob: which key (and which of its materials) sealed it."""

    key_id: str
    generation: int


def _header_bytes(key_id: str, generation: int) -> bytes:
    raw = key_id.encode("ascii")
    if not 1 <= len(raw) <= KMS_BLOB_MAX_KEY_ID_BYTES:
        raise ValueError("a KMS key id is 1..64 ASCII bytes")
    return bytes((KMS_BLOB_VERSION, len(raw))) + raw + _GENERATION.pack(generation)


def _split(blob: bytes) -> tuple[BlobHeader, bytes, bytes]:
    """(header, header bytes, rest); IntegrityError if the blob cannot be a v1 ciphertext."""
    if len(blob) < 2 or blob[0] != KMS_BLOB_VERSION:
        raise IntegrityError()
    id_len = blob[1]
    end = 2 + id_len + _GENERATION.size
    if not 1 <= id_len <= KMS_BLOB_MAX_KEY_ID_BYTES or len(blob) < end + _NONCE_BYTES + _TAG_BYTES:
        raise IntegrityError()
    try:
        key_id = blob[2 : 2 + id_len].decode("ascii")
    except UnicodeDecodeError:
        raise IntegrityError() from None
    (generation,) = _GENERATION.unpack_from(blob, 2 + id_len)
    return BlobHeader(key_id, generation), blob[:end], blob[end:]


def read_header(blob: bytes) -> BlobHeader:
    """The key id and generation a blob names (not yet authenticated); IntegrityError if malformed."""
    return _split(blob)[0]


def seal_ciphertext(key: DataKey, key_id: str, generation: int, plaintext: bytes, context: bytes) -> bytes:
    """Encrypt ``plaintext`` under a KMS key's material, naming the key, bound to ``context``."""
    header = _header_bytes(key_id, generation)
    nonce = os.urandom(_NONCE_BYTES)
    return header + nonce + AESGCM(key.reveal_secret_bytes()).encrypt(nonce, plaintext, _DOMAIN + header + context)


def open_ciphertext(key: DataKey, blob: bytes, context: bytes) -> bytes:
    """The plaintext inside ``blob``; IntegrityError for a wrong key, context, or any tampering."""
    _, header, rest = _split(blob)
    nonce, sealed = rest[:_NONCE_BYTES], rest[_NONCE_BYTES:]
    try:
        return AESGCM(key.reveal_secret_bytes()).decrypt(nonce, sealed, _DOMAIN + header + context)
    except InvalidTag:
        raise IntegrityError() from None
