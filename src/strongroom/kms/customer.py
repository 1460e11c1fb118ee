"""SSE-C: the customer's key, sent with each request, as the key-encryption key of an object's data keys.

A per-request provider (never registered, never stored): it exists only while a request that carries
the customer's key is being served. The wrapped data keys it produces are stored as any provider's
(provider name ``customer``, no key id); unwrapping one needs the same customer key again.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..crypto.envelope import encode_context, unwrap_key, wrap_key
from ..crypto.keys import DataKey
from .provider import KeyDescription, KeyUnavailable, WrappedKey

__all__ = ["CUSTOMER_PROVIDER", "CustomerKeyProvider"]

# The provider name recorded in each SSE-C extent's WrappedKey: part of the metadata format.
CUSTOMER_PROVIDER = "customer"


class CustomerKeyProvider:
    """A KeyProvider over one customer key (held only for the request that sent it)."""

    name = CUSTOMER_PROVIDER

    def __init__(self, customer_key: DataKey) -> None:
        self._kek = customer_key

    def generate_data_key(self, key_id: str | None, context: Mapping[str, str]) -> tuple[DataKey, WrappedKey]:
        data_key = DataKey.generate()
        return data_key, self.wrap(key_id, data_key, context)

    def wrap(self, key_id: str | None, key: DataKey, context: Mapping[str, str]) -> WrappedKey:
        return WrappedKey(CUSTOMER_PROVIDER, "", wrap_key(self._kek, key, encode_context(context)))

    def unwrap(self, wrapped: WrappedKey, context: Mapping[str, str]) -> DataKey:
        if wrapped.provider != CUSTOMER_PROVIDER:
            raise KeyUnavailable(f"not an SSE-C data key: {wrapped.provider}")
        return unwrap_key(self._kek, wrapped.wrapped, encode_context(context))

    def describe(self, key_id: str | None) -> KeyDescription:
        return KeyDescription(CUSTOMER_PROVIDER, "", "Enabled")

    def rotate(self, key_id: str | None) -> str:
        raise KeyUnavailable("a customer-provided key is rotated by the customer (copy the object under a new key)")
