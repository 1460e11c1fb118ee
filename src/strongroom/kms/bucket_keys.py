"""S3 Bucket Keys: a per-bucket, time-limited intermediate key between a KMS key and object data keys.

With a bucket key, an SSE-KMS object's fresh data key (one per object version and per part, never
reused: invariant 2) is wrapped by the bucket key instead of by KMS, so writes need no KMS call
while the bucket key lives. The bucket key itself is a random 256-bit key made with GenerateDataKey
semantics under the bucket's KMS key, bound to the encryption context {"aws:s3:arn": bucket ARN}
as AWS binds it, and stored only as that KMS ciphertext (table ``bucket_keys``).

Lifetime: a bucket key wraps new data keys for ``ttl_seconds`` (its row's ``expires``) and at most
``max_uses`` times in this process (then it is retired: its ``expires`` set to now); then the next
write makes a new bucket key, or adopts another gateway's live one. Reads of objects under any bucket key, expired or not, unwrap its stored ciphertext
through KMS again when it is not in the bucket-key cache. A cached bucket key never outlives its
KMS key's state: reads check the KMS key's state first (service/sse.py ``check_keys_usable``, which
asks ``describe`` here for the bucket key's KMS key).

Writes: a cached bucket key does not bypass the KMS key's policy either. Each write asks ``check_use``
(the built-in KMS's key policy check for S3's caller) whether the caller may kms:GenerateDataKey with
the bucket key's context, before the bucket key wraps anything; that is a policy evaluation, not a
KMS call.

Wrapped data keys record provider ``bucket-key`` and the bucket key's id (part of the metadata format):
``WrappedKey("bucket-key", bucket_key_id, envelope.wrap_key(bucket key, data key, object context))``.
Methods block (metadata and KMS): call them off the event loop.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import select, update

from .. import clock
from ..crypto.envelope import encode_context, unwrap_key, wrap_key
from ..crypto.keys import DataKey
from ..meta import schema
from ..meta.engine import MetaStore
from ..observe.counters import KEY_CACHE_HITS, KEY_CACHE_MISSES
from .cache import BUCKET_KEY_CACHE, KeyCache
from .provider import KeyDescription, KeyProvider, KeyUnavailable, WrappedKey

__all__ = ["BUCKET_KEY_PROVIDER", "BucketKeys", "bucket_key_context"]

# The provider name recorded in each bucket-key-wrapped extent: part of the metadata format.
BUCKET_KEY_PROVIDER = "bucket-key"
# How many bucket key rows (immutable) this process remembers, to answer describe/unwrap lookups.
_RECORDS_KEPT = 4096

# (KMS key ARN, action, encryption context) -> None, or raises: may S3's current caller use the key?
UseCheck = Callable[[str, str, Mapping[str, str]], None]


def bucket_key_context(bucket: str) -> dict[str, str]:
    """The KMS encryption context of a bucket key: the bucket ARN, as AWS uses with bucket keys."""
    return {"aws:s3:arn": f"arn:aws:s3:::{bucket}"}


@dataclass(frozen=True, slots=True)
class _Record:
    """One bucket_keys row: never changes once written."""

    bucket_key_id: str
    bucket: str
    kms_key_arn: str
    wrapped: bytes
    expires: float


@dataclass(slots=True)
class _Current:
    """The bucket key this process wraps new data keys with, for one bucket and KMS key."""

    bucket_key_id: str
    key: DataKey
    expires: float
    uses_left: int


class BucketKeys:
    """The ``bucket-key`` KeyProvider (unwrap, describe) and the source of each bucket's current key."""

    name = BUCKET_KEY_PROVIDER

    def __init__(
        self, kms: KeyProvider, meta: MetaStore, cache: KeyCache, *, ttl_seconds: float, max_uses: int, check_use: UseCheck | None = None
    ) -> None:
        self._kms = kms
        self._check_use = check_use
        self._meta = meta
        self._cache = cache
        self._ttl = ttl_seconds
        self._max_uses = max_uses
        self._current: dict[tuple[str, str], _Current] = {}
        self._records: OrderedDict[str, _Record] = OrderedDict()
        self._lock = threading.RLock()

    def for_bucket(self, bucket: str, kms_key_arn: str) -> KeyProvider:
        """A provider whose fresh data keys are wrapped by the bucket's current bucket key."""
        return _BucketKeyWriter(self, bucket, kms_key_arn)

    # -- writing --------------------------------------------------------------------------------------

    def current(self, bucket: str, kms_key_arn: str) -> tuple[str, DataKey]:
        """(id, key) of the bucket key new data keys are wrapped with; makes one when none is live.

        The caller's right to generate data keys under the KMS key is checked first, every time.
        """
        if self._check_use is not None:
            self._check_use(kms_key_arn, "kms:GenerateDataKey", bucket_key_context(bucket))
        with self._lock:
            now = clock.now_seconds()
            current = self._current.get((bucket, kms_key_arn))
            if current is None or now >= current.expires or current.uses_left <= 0:
                KEY_CACHE_MISSES.inc(cache=BUCKET_KEY_CACHE)
                if current is not None and now < current.expires:
                    self._retire(current.bucket_key_id, now)  # used up: no gateway adopts it again
                current = self._adopt_or_create(bucket, kms_key_arn, now)
                self._current[(bucket, kms_key_arn)] = current
            else:
                KEY_CACHE_HITS.inc(cache=BUCKET_KEY_CACHE)
            current.uses_left -= 1
            return current.bucket_key_id, current.key

    def _adopt_or_create(self, bucket: str, kms_key_arn: str, now: float) -> _Current:
        """Another gateway's (or an earlier run's) live bucket key if there is one, else a new one."""
        t = schema.bucket_keys
        row = self._meta.read_sync(
            lambda c: c.execute(
                select(t).where((t.c.bucket == bucket) & (t.c.kms_key_arn == kms_key_arn) & (t.c.expires > now))
                .order_by(t.c.expires.desc()).limit(1)
            ).first()
        )
        if row is not None:
            record = _Record(row.bucket_key_id, row.bucket, row.kms_key_arn, row.wrapped, row.expires)
            self._remember(record)
            return _Current(record.bucket_key_id, self._unwrap_record(record), record.expires, self._max_uses)
        key, wrapped = self._kms.generate_data_key(kms_key_arn, bucket_key_context(bucket))
        record = _Record(str(uuid.uuid4()), bucket, kms_key_arn, wrapped.wrapped, now + self._ttl)
        self._meta.write_sync(
            lambda c: c.execute(
                t.insert().values(
                    bucket_key_id=record.bucket_key_id, bucket=bucket, kms_key_arn=kms_key_arn,
                    wrapped=record.wrapped, created=now, expires=record.expires,
                )
            )
        )
        self._remember(record)
        self._cache.put(record.bucket_key_id.encode(), key, not_after=record.expires)
        return _Current(record.bucket_key_id, key, record.expires, self._max_uses)

    def _retire(self, bucket_key_id: str, now: float) -> None:
        t = schema.bucket_keys
        self._meta.write_sync(lambda c: c.execute(update(t).where(t.c.bucket_key_id == bucket_key_id).values(expires=now)))

    # -- reading (kms.provider.KeyProvider) --------------------------------------------------------------

    def generate_data_key(self, key_id: str | None, context: Mapping[str, str]) -> tuple[DataKey, WrappedKey]:
        raise KeyUnavailable("a bucket key wraps data keys only for its bucket: use for_bucket()")

    def wrap(self, key_id: str | None, key: DataKey, context: Mapping[str, str]) -> WrappedKey:
        raise KeyUnavailable("a bucket key wraps data keys only for its bucket: use for_bucket()")

    def unwrap(self, wrapped: WrappedKey, context: Mapping[str, str]) -> DataKey:
        """The data key inside ``wrapped``, its bucket key from the cache or unwrapped through KMS."""
        if wrapped.provider != BUCKET_KEY_PROVIDER:
            raise KeyUnavailable(f"not a bucket-key-wrapped data key: {wrapped.provider}")
        return unwrap_key(self._bucket_key(wrapped.key_id), wrapped.wrapped, encode_context(context))

    def describe(self, key_id: str | None) -> KeyDescription:
        """The state of the KMS key behind a bucket key (key_id: the bucket key's id)."""
        record = self._record(key_id or "")
        state = self._kms.describe(record.kms_key_arn).state
        return KeyDescription(BUCKET_KEY_PROVIDER, record.kms_key_arn, state)

    def rotate(self, key_id: str | None) -> str:
        raise KeyUnavailable("bucket keys are replaced when they expire; rotate the KMS key instead")

    def _bucket_key(self, bucket_key_id: str) -> DataKey:
        lookup = bucket_key_id.encode()
        key = self._cache.get(lookup)
        if key is None:
            key = self._unwrap_record(self._record(bucket_key_id))
            self._cache.put(lookup, key)
        return key

    def _unwrap_record(self, record: _Record) -> DataKey:
        return self._kms.unwrap(WrappedKey(self._kms.name, record.kms_key_arn, record.wrapped), bucket_key_context(record.bucket))

    def _record(self, bucket_key_id: str) -> _Record:
        with self._lock:
            record = self._records.get(bucket_key_id)
        if record is not None:
            return record
        t = schema.bucket_keys
        row = self._meta.read_sync(lambda c: c.execute(select(t).where(t.c.bucket_key_id == bucket_key_id)).first())
        if row is None:
            raise KeyUnavailable(f"bucket key {bucket_key_id}")
        record = _Record(row.bucket_key_id, row.bucket, row.kms_key_arn, row.wrapped, row.expires)
        self._remember(record)
        return record

    def _remember(self, record: _Record) -> None:
        with self._lock:  # re-entrant: _adopt_or_create already holds it
            self._records[record.bucket_key_id] = record
            while len(self._records) > _RECORDS_KEPT:
                self._records.popitem(last=False)


class _BucketKeyWriter:
    """A per-request KeyProvider: fresh data keys wrapped by one bucket's current bucket key."""

    def __init__(self, keys: BucketKeys, bucket: str, kms_key_arn: str) -> None:
        self.name = BUCKET_KEY_PROVIDER
        self._keys = keys
        self._bucket = bucket
        self._kms_key_arn = kms_key_arn

    def generate_data_key(self, key_id: str | None, context: Mapping[str, str]) -> tuple[DataKey, WrappedKey]:
        """A fresh random data key (never reused, invariant 2), wrapped by the current bucket key."""
        data_key = DataKey.generate()
        return data_key, self.wrap(key_id, data_key, context)

    def wrap(self, key_id: str | None, key: DataKey, context: Mapping[str, str]) -> WrappedKey:
        bucket_key_id, bucket_key = self._keys.current(self._bucket, self._kms_key_arn)
        return WrappedKey(BUCKET_KEY_PROVIDER, bucket_key_id, wrap_key(bucket_key, key, encode_context(context)))

    def unwrap(self, wrapped: WrappedKey, context: Mapping[str, str]) -> DataKey:
        return self._keys.unwrap(wrapped, context)

    def describe(self, key_id: str | None) -> KeyDescription:
        return self._keys.describe(key_id)

    def rotate(self, key_id: str | None) -> str:
        return self._keys.rotate(key_id)
