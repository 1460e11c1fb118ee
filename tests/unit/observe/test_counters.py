"""observe/counters.py: named counters with fixed labels, summed under a lock, seen by snapshot()."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from strongroom.observe.counters import KMS_CALLS, counter, snapshot


def test_counts_per_label_and_snapshot_lists_them() -> None:
    c = counter("test_things_total", "Things.", ("kind",))
    c.inc(kind="a")
    c.inc(3, kind="b")
    assert (c.value(kind="a"), c.value(kind="b"), c.value(kind="never")) == (1, 3, 0)
    samples = {s.labels: s.value for s in snapshot() if s.name == "test_things_total"}
    assert samples[(("kind", "a"),)] == 1 and samples[(("kind", "b"),)] == 3


def test_declaring_again_returns_the_same_counter_and_labels_must_agree() -> None:
    assert counter("strongroom_kms_calls_total", "x", ("operation",)) is KMS_CALLS
    with pytest.raises(ValueError):
        counter("strongroom_kms_calls_total", "x", ("other",))
    with pytest.raises(ValueError):
        KMS_CALLS.inc(op="Decrypt")


def test_concurrent_increments_are_not_lost() -> None:
    c = counter("test_concurrent_total", "Concurrent.", ())
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: [c.inc() for _ in range(1000)], range(8)))
    assert c.value() == 8000
