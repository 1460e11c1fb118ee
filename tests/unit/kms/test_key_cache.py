"""kms/cache.py: the key cache's TTL, max uses and size bound; CountedKms counts calls and never
caches a generated data key, only repeated unwraps of the same wrapped key and context."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_builtin import MINE, grant

from strongroom import clock
from strongroom.crypto.errors import IntegrityError
from strongroom.crypto.keys import DataKey
from strongroom.kms.builtin import BuiltinKms
from strongroom.kms.cache import CacheLimits, CountedKms, KeyCache
from strongroom.meta.engine import MetaStore
from strongroom.observe.counters import KEY_CACHE_HITS, KMS_CALLS


@pytest.fixture
def kms(tmp_path: Path) -> Iterator[BuiltinKms]:
    meta = MetaStore(f"sqlite:///{tmp_path / 'meta.db'}")
    try:
        yield BuiltinKms(DataKey.generate(), meta, "us-east-1")
    finally:
        meta.close()


@pytest.fixture(autouse=True)
def _restore_clock() -> Iterator[None]:
    yield
    clock.set_offset(0)


def test_entries_expire_after_the_ttl() -> None:
    cache = KeyCache("test", CacheLimits(ttl_seconds=10, max_uses=100, max_entries=10))
    key = DataKey.generate()
    cache.put(b"a", key)
    assert cache.get(b"a") == key
    clock.set_offset(11)
    assert cache.get(b"a") is None and len(cache) == 0


def test_not_after_shortens_an_entrys_life() -> None:
    cache = KeyCache("test", CacheLimits(ttl_seconds=100, max_uses=100, max_entries=10))
    cache.put(b"a", DataKey.generate(), not_after=clock.now_seconds() + 5)
    clock.set_offset(6)
    assert cache.get(b"a") is None


def test_entries_are_dropped_after_max_uses() -> None:
    cache = KeyCache("test", CacheLimits(ttl_seconds=100, max_uses=2, max_entries=10))
    cache.put(b"a", DataKey.generate())
    assert cache.get(b"a") is not None and cache.get(b"a") is not None
    assert cache.get(b"a") is None


def test_least_recently_used_goes_first_past_max_entries() -> None:
    cache = KeyCache("test", CacheLimits(ttl_seconds=100, max_uses=100, max_entries=2))
    cache.put(b"a", DataKey.generate())
    cache.put(b"b", DataKey.generate())
    assert cache.get(b"a") is not None  # b is now the least recently used
    cache.put(b"c", DataKey.generate())
    assert cache.get(b"b") is None and cache.get(b"a") is not None and cache.get(b"c") is not None


@pytest.mark.parametrize("limits", [CacheLimits(0, 10, 10), CacheLimits(10, 0, 10), CacheLimits(10, 10, 0)])
def test_a_zero_limit_turns_the_cache_off(limits: CacheLimits) -> None:
    cache = KeyCache("test", limits)
    cache.put(b"a", DataKey.generate())
    assert cache.get(b"a") is None


def test_counted_kms_caches_unwraps_but_never_generated_keys(kms: BuiltinKms) -> None:
    arn = kms.create_key(grant(MINE), "", {}).arn
    counted = CountedKms(kms, KeyCache("test_reads", CacheLimits(100, 100, 100)))
    calls = {op: KMS_CALLS.value(operation=op) for op in ("GenerateDataKey", "Decrypt")}
    context = {"aws:s3:arn": "arn:aws:s3:::b/k"}
    first, wrapped_first = counted.generate_data_key(arn, context)
    second, _ = counted.generate_data_key(arn, context)
    assert first != second  # a fresh key every time (invariant 2)
    hits = KEY_CACHE_HITS.value(cache="test_reads")
    assert counted.unwrap(wrapped_first, context) == first  # miss: one Decrypt
    assert counted.unwrap(wrapped_first, context) == first  # hit
    assert KEY_CACHE_HITS.value(cache="test_reads") == hits + 1
    assert KMS_CALLS.value(operation="GenerateDataKey") == calls["GenerateDataKey"] + 2
    assert KMS_CALLS.value(operation="Decrypt") == calls["Decrypt"] + 1
    with pytest.raises(IntegrityError):  # another context is another lookup, and KMS refuses it
        counted.unwrap(wrapped_first, {"aws:s3:arn": "arn:aws:s3:::b/other"})
