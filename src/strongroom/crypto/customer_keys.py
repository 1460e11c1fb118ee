"""SSE-C customer keys: validate what a request sends, recognise it later, never store it.

A customer key arrives as three headers: the algorithm (AES256), the base64 key (32 bytes) and the base64
MD5 of the key (a transport check, not a security one). Strongroom keeps only a salted HMAC-SHA256 of the
key, so a later request's key can be recognised (right key -> read; wrong key -> 403) while the metadata
never holds anything that decrypts the object. The key itself wraps the object's data keys (envelope.py),
exactly as a key-encryption key would.

Stored fingerprint layout (part of a stored format)::

    version (1 byte, 0x01) || salt (16 random bytes) || HMAC-SHA256(salt, domain || key) (32 bytes)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

from .keys import KEY_BYTES, DataKey

__all__ = ["CustomerKeyError", "CUSTOMER_KEY_ALGORITHM", "parse_customer_key", "fingerprint", "matches"]

CUSTOMER_KEY_ALGORITHM = "AES256"
# Part of the customer-key fingerprint format v1: changing them breaks every stored fingerprint.
_FINGERPRINT_VERSION = 0x01
_SALT_BYTES = 16
_DOMAIN = b"strongroom sse-c fingerprint v1\x00"


class CustomerKeyError(ValueError):
    """The request's customer-key headers are unusable; ``reason`` names which part, for the S3 error."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_customer_key(algorithm: str | None, key_b64: str | None, key_md5_b64: str | None) -> DataKey:
    """The customer's key from the three SSE-C headers (all required, consistent, 256-bit)."""
    if algorithm is None or key_b64 is None or key_md5_b64 is None:
        raise CustomerKeyError("incomplete")
    if algorithm != CUSTOMER_KEY_ALGORITHM:
        raise CustomerKeyError("algorithm")
    try:
        key = base64.b64decode(key_b64, validate=True)
        claimed_md5 = base64.b64decode(key_md5_b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CustomerKeyError("encoding") from exc
    if len(key) != KEY_BYTES:
        raise CustomerKeyError("length")
    if not hmac.compare_digest(hashlib.md5(key).digest(), claimed_md5):
        raise CustomerKeyError("md5")
    return DataKey.from_bytes(key)


def fingerprint(key: DataKey) -> bytes:
    """A fresh salted HMAC of the key: recognises it later, reveals nothing usable."""
    salt = os.urandom(_SALT_BYTES)
    return bytes([_FINGERPRINT_VERSION]) + salt + _mac(salt, key)


def matches(key: DataKey, stored: bytes) -> bool:
    """Is this the key the stored fingerprint was made from? (constant time)"""
    if len(stored) != 1 + _SALT_BYTES + hashlib.sha256().digest_size or stored[0] != _FINGERPRINT_VERSION:
        return False
    salt = stored[1 : 1 + _SALT_BYTES]
    return hmac.compare_digest(_mac(salt, key), stored[1 + _SALT_BYTES :])


def _mac(salt: bytes, key: DataKey) -> bytes:
    return hmac.new(salt, _DOMAIN + key.reveal_secret_bytes(), hashlib.sha256).digest()
