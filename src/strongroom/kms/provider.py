"""The key-provider Protocol every key source implements (server hierarchy, built-in KMS, Vault, ...).

A provider generates fresh data keys and wraps/unwraps them under its key-encryption keys, always
bound to an encryption context. Plaintext data keys never leave crypto/ and kms/ except as DataKey.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from ..crypto.keys import DataKey

__all__ = ["KeyProvider", "WrappedKey", "KeyDescription", "KeyUnavailable"]


class KeyUnavailable(Exception):
    """The key needed to unwrap is missing, disabled or destroyed."""


@dataclass(frozen=True, slots=True)
class WrappedKey:
    """A data key as stored in the metadata: which provider and key wrapped it, and the wrapped bytes."""

    provider: str
    key_id: str
    wrapped: bytes


@dataclass(frozen=True, slots=True)
class KeyDescription:
    """What a provider says about one key-encryption key."""

    provider: str
    key_id: str
    state: str


class KeyProvider(Protocol):
    """Generate, wrap, unwrap, describe and rotate; blocking calls, cheap for local providers."""

    name: str

    def generate_data_key(self, key_id: str | None, context: Mapping[str, str]) -> tuple[DataKey, WrappedKey]:
        """A fresh random data key and its wrapped form (never reused for another object)."""

    def wrap(self, key_id: str | None, key: DataKey, context: Mapping[str, str]) -> WrappedKey:
        """Wrap an existing data key under key_id (the provider's default when None)."""

    def unwrap(self, wrapped: WrappedKey, context: Mapping[str, str]) -> DataKey:
        """Recover a data key; the context must equal the one used to wrap it."""

    def describe(self, key_id: str | None) -> KeyDescription:
        """State of a key-encryption key."""

    def rotate(self, key_id: str | None) -> str:
        """Make new key material primary; older material still unwraps. Returns the new key id."""
