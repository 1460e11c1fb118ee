"""Access-key lookups with a short-lived cache.

Every signed request needs its key's secret; looking it up means a metadata read and unsealing the
secret with the root key. Entries live a couple of seconds (a stateless gateway must notice a key
deleted through another gateway soon) and unknown keys are never cached.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from ..service.accounts import AccessKey, Accounts

__all__ = ["CredentialCache", "CREDENTIAL_TTL_SECONDS"]

CREDENTIAL_TTL_SECONDS = 2.0
MAX_CACHED_KEYS = 10_000
# A key's last use is written at most this often per process: one small write a minute per key,
# never one per request (GetAccessKeyLastUsed is that coarse in AWS too).
LAST_USED_INTERVAL_SECONDS = 60.0


class CredentialCache:
    """Access key id -> AccessKey, remembered for a short time."""

    def __init__(self, accounts: Accounts, ttl_seconds: float = CREDENTIAL_TTL_SECONDS) -> None:
        self._accounts = accounts
        self._ttl = ttl_seconds
        self._entries: OrderedDict[str, tuple[float, AccessKey]] = OrderedDict()
        self._noted: dict[str, float] = {}

    async def lookup(self, access_key_id: str) -> AccessKey:
        """The key and its principal; InvalidAccessKeyId (from the store) if unknown or inactive."""
        now = time.monotonic()
        hit = self._entries.get(access_key_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        key = await self._accounts.lookup(access_key_id)
        self._entries[access_key_id] = (now + self._ttl, key)
        self._entries.move_to_end(access_key_id)
        while len(self._entries) > MAX_CACHED_KEYS:
            self._entries.popitem(last=False)
        return key

    async def note_use(self, access_key_id: str, service: str, region: str) -> None:
        """Record a verified use of the key, unless this process did so less than a minute ago."""
        now = time.monotonic()
        last = self._noted.get(access_key_id)
        if last is not None and now - last < LAST_USED_INTERVAL_SECONDS:
            return
        if len(self._noted) >= MAX_CACHED_KEYS:
            self._noted.clear()
        self._noted[access_key_id] = now
        await self._accounts.note_use(access_key_id, service, region)

    def forget(self, access_key_id: str) -> None:
        """Drop one key at once (after it is deleted through this process)."""
        self._entries.pop(access_key_id, None)
