"""A small time-limited cache: what a stateless gateway may remember for a second or two.

Entries expire after ``ttl_seconds`` (another gateway's change is seen within that time; this
gateway's own writes drop their entries at once) and the whole cache is cleared when it reaches
``max_entries``, which bounds memory without bookkeeping on the hot path.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from enum import Enum
from typing import Generic, TypeVar

__all__ = ["TtlCache", "MISSING", "Missing"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Missing(Enum):
    """What ``get`` answers for an absent or expired key (a cached value may itself be None)."""

    MISSING = 0


MISSING = Missing.MISSING


class TtlCache(Generic[K, V]):
    """key -> value, each entry good for ``ttl_seconds``."""

    def __init__(self, ttl_seconds: float, max_entries: int = 10_000) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._entries: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | Missing:
        hit = self._entries.get(key)
        if hit is None or hit[0] <= time.monotonic():
            return MISSING
        return hit[1]

    def put(self, key: K, value: V) -> None:
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + self._ttl, value)

    def drop(self, key: K) -> None:
        self._entries.pop(key, None)

    def drop_where(self, matches: Callable[[K], bool]) -> None:
        for key in [k for k in self._entries if matches(k)]:
            self._entries.pop(key, None)
