"""Process-wide named counters: plain ints behind one lock, for metrics exporters and tests.

The metrics endpoint (Prometheus) and the test-only JSON view read ``snapshot()``; code that counts
something declares its counter once at import (``counter(...)``) and calls ``inc``. Counter names
follow Prometheus conventions (``_total`` suffix); label names are fixed per counter. A leaf module:
imports nothing of ours. Counts are per process (each uvicorn worker has its own).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Counter", "Sample", "add_listener", "counter", "snapshot", "KMS_CALLS", "KEY_CACHE_HITS", "KEY_CACHE_MISSES"]

_lock = threading.Lock()
_registry: dict[str, Counter] = {}
# Called on every increment: the Prometheus exporter (observe/metrics.py) mirrors counts into its
# shared multiprocess store, so a scrape sums every worker process.
_listeners: list[Callable[[Counter, tuple[str, ...], int], None]] = []


@dataclass(frozen=True, slots=True)
class Sample:
    """One counter value with its labels, as an exporter renders it."""

    name: str
    help: str
    labels: tuple[tuple[str, str], ...]
    value: int


class Counter:
    """A monotonically increasing count per label combination."""

    def __init__(self, name: str, help_text: str, label_names: tuple[str, ...]) -> None:
        self.name = name
        self.help = help_text
        self.label_names = label_names
        self._values: dict[tuple[str, ...], int] = {}

    def inc(self, amount: int = 1, **labels: str) -> None:
        """Add ``amount`` to the count for these labels (every declared label, nothing else)."""
        key = self._key(labels)
        with _lock:
            self._values[key] = self._values.get(key, 0) + amount
        for listener in _listeners:
            listener(self, key, amount)

    def value(self, **labels: str) -> int:
        """The current count for these labels (0 if never counted)."""
        key = self._key(labels)
        with _lock:
            return self._values.get(key, 0)

    def _key(self, labels: dict[str, str]) -> tuple[str, ...]:
        if set(labels) != set(self.label_names):
            raise ValueError(f"{self.name} takes labels {self.label_names}, got {sorted(labels)}")
        return tuple(labels[n] for n in self.label_names)

    def samples(self) -> list[Sample]:
        """Every label combination counted so far."""
        with _lock:
            items = sorted(self._values.items())
        return [Sample(self.name, self.help, tuple(zip(self.label_names, key, strict=True)), v) for key, v in items]


def counter(name: str, help_text: str, label_names: tuple[str, ...] = ()) -> Counter:
    """The counter of this name, declared on first call (a second declaration must agree)."""
    with _lock:
        existing = _registry.get(name)
        if existing is None:
            existing = _registry[name] = Counter(name, help_text, label_names)
        elif existing.label_names != label_names:
            raise ValueError(f"counter {name} already declared with labels {existing.label_names}")
        return existing


def add_listener(listener: Callable[[Counter, tuple[str, ...], int], None]) -> None:
    """Call ``listener(counter, label values, amount)`` after every increment of any counter."""
    _listeners.append(listener)


def snapshot() -> list[Sample]:
    """Every sample of every declared counter, by counter name."""
    with _lock:
        counters = sorted(_registry.values(), key=lambda c: c.name)
    return [s for c in counters for s in c.samples()]


# KMS calls the S3 side makes for objects (GenerateDataKey, Encrypt, Decrypt, DescribeKey), by operation.
KMS_CALLS = counter("strongroom_kms_calls_total", "KMS calls made for S3 objects, by KMS operation.", ("operation",))
# Key caches (kms/cache.py): "data_key" holds unwrapped data keys for reads, "bucket_key" S3 Bucket Keys.
KEY_CACHE_HITS = counter("strongroom_key_cache_hits_total", "Key cache lookups answered from the cache.", ("cache",))
KEY_CACHE_MISSES = counter("strongroom_key_cache_misses_total", "Key cache lookups that had to call KMS.", ("cache",))
