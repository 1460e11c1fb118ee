"""Key caches and the counted view of a KMS provider that the S3 side uses.

``KeyCache`` holds unwrapped keys in memory only (never on disk, invariant 1) for a bounded time and
a bounded number of uses, evicting the least recently used past ``max_entries``. Two caches exist:
unwrapped data keys for reads (``CountedKms``) and unwrapped S3 Bucket Keys (kms/bucket_keys.py).
A freshly generated data key is never put in any cache: it belongs to one object (invariant 2).

A cached key does not bypass a KMS key's state: reads check the state of every KMS key wrapping an
object (service/sse.py ``check_keys_usable``) before any key, cached or not, is used. Caches are per
process with short TTLs, so several gateways never disagree for longer than a TTL (DESIGN.md).

``CountedKms`` wraps a KMS provider for the S3 path: it counts every call by KMS operation
(observe/counters.py ``KMS_CALLS``) and answers repeated unwraps of the same wrapped key and context
from the read cache. Blocking, like the provider it wraps.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from .. import clock
from ..crypto.envelope import encode_context
from ..crypto.keys import DataKey
from ..observe.counters import KEY_CACHE_HITS, KEY_CACHE_MISSES, KMS_CALLS
from .provider import KeyDescription, KeyProvider, WrappedKey

__all__ = ["KeyCache", "CountedKms", "CacheLimits", "DATA_KEY_CACHE", "BUCKET_KEY_CACHE"]

DATA_KEY_CACHE = "data_key"
BUCKET_KEY_CACHE = "bucket_key"


@dataclass(frozen=True, slots=True)
class CacheLimits:
    """How long, how often and how many: a zero in any turns the cache off."""

    ttl_seconds: float
    max_uses: int
    max_entries: int

    @property
    def enabled(self) -> bool:
        """Does this cache keep anything at all?"""
        return self.ttl_seconds > 0 and self.max_uses > 0 and self.max_entries > 0


@dataclass(slots=True)
class _Entry:
    key: DataKey
    expires: float
    uses_left: int


class KeyCache:
    """Unwrapped keys by an opaque lookup key, each for at most a TTL and ``max_uses`` lookups."""

    def __init__(self, name: str, limits: CacheLimits) -> None:
        self.name = name
        self.limits = limits
        self._entries: OrderedDict[bytes, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, lookup: bytes) -> DataKey | None:
        """The cached key (counting one use), or None when absent, expired or used up."""
        now = clock.now_seconds()
        with self._lock:
            entry = self._entries.get(lookup)
            if entry is not None and (now >= entry.expires or entry.uses_left <= 0):
                del self._entries[lookup]
                entry = None
            if entry is not None:
                entry.uses_left -= 1
                self._entries.move_to_end(lookup)
        (KEY_CACHE_HITS if entry is not None else KEY_CACHE_MISSES).inc(cache=self.name)
        return entry.key if entry is not None else None

    def put(self, lookup: bytes, key: DataKey, *, not_after: float | None = None) -> None:
        """Keep ``key`` for the cache's TTL (or until ``not_after`` if sooner)."""
        if not self.limits.enabled:
            return
        expires = clock.now_seconds() + self.limits.ttl_seconds
        if not_after is not None:
            expires = min(expires, not_after)
        with self._lock:
            self._entries[lookup] = _Entry(key, expires, self.limits.max_uses)
            self._entries.move_to_end(lookup)
            while len(self._entries) > self.limits.max_entries:
                self._entries.popitem(last=False)

    def discard(self, lookup: bytes) -> None:
        """Forget one entry (absent is fine)."""
        with self._lock:
            self._entries.pop(lookup, None)

    def clear(self) -> None:
        """Forget everything (e.g. after a key-encryption key changed state)."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def unwrap_lookup(wrapped: WrappedKey, context: Mapping[str, str]) -> bytes:
    """The cache key of one unwrap: provider, key id, wrapped bytes and context all must match."""
    h = hashlib.sha256()
    for part in (wrapped.provider.encode(), wrapped.key_id.encode(), wrapped.wrapped, encode_context(context)):
        h.update(len(part).to_bytes(4, "big"))
        h.update(part)
    return h.digest()


class CountedKms:
    """A KMS KeyProvider as the S3 side uses it: every call counted, repeated unwraps cached."""

    def __init__(self, inner: KeyProvider, reads: KeyCache | None = None) -> None:
        self.name = inner.name
        self.inner = inner
        self._reads = reads

    def generate_data_key(self, key_id: str | None, context: Mapping[str, str]) -> tuple[DataKey, WrappedKey]:
        """GenerateDataKey: always a fresh key from KMS, never cached (invariant 2)."""
        KMS_CALLS.inc(operation="GenerateDataKey")
        return self.inner.generate_data_key(key_id, context)

    def wrap(self, key_id: str | None, key: DataKey, context: Mapping[str, str]) -> WrappedKey:
        """Encrypt an existing key under a KMS key."""
        KMS_CALLS.inc(operation="Encrypt")
        return self.inner.wrap(key_id, key, context)

    def unwrap(self, wrapped: WrappedKey, context: Mapping[str, str]) -> DataKey:
        """Decrypt, or the read cache's copy of the same wrapped key under the same context."""
        if self._reads is None:
            KMS_CALLS.inc(operation="Decrypt")
            return self.inner.unwrap(wrapped, context)
        lookup = unwrap_lookup(wrapped, context)
        cached = self._reads.get(lookup)
        if cached is not None:
            return cached
        KMS_CALLS.inc(operation="Decrypt")
        key = self.inner.unwrap(wrapped, context)
        self._reads.put(lookup, key)
        return key

    def describe(self, key_id: str | None) -> KeyDescription:
        """DescribeKey: the key's current state (never cached, so a disabled key takes effect at once)."""
        KMS_CALLS.inc(operation="DescribeKey")
        return self.inner.describe(key_id)

    def rotate(self, key_id: str | None) -> str:
        """Rotation is the KMS's own business; passed through."""
        return self.inner.rotate(key_id)
