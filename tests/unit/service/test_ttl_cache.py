"""TtlCache: entries expire, None is a value, the size bound clears, drops are immediate."""

from __future__ import annotations

import time

from strongroom.service.ttl_cache import MISSING, TtlCache


def test_entries_expire_and_none_is_a_cached_value() -> None:
    cache: TtlCache[str, str | None] = TtlCache(0.05)
    assert cache.get("k") is MISSING
    cache.put("k", None)
    assert cache.get("k") is None
    time.sleep(0.06)
    assert cache.get("k") is MISSING


def test_size_bound_and_drops() -> None:
    cache: TtlCache[tuple[str, str], int] = TtlCache(60, max_entries=2)
    cache.put(("b", "x"), 1)
    cache.put(("b", "y"), 2)
    cache.put(("c", "x"), 3)  # full: cleared first
    assert cache.get(("b", "x")) is MISSING and cache.get(("c", "x")) == 3
    cache.put(("b", "y"), 2)
    cache.drop_where(lambda key: key[0] == "b")
    cache.drop(("c", "x"))
    assert cache.get(("b", "y")) is MISSING and cache.get(("c", "x")) is MISSING
