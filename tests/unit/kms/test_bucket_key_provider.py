"""kms/bucket_keys.py on real SQLite and the real built-in KMS: one bucket key per bucket and KMS key
while it lives, a fresh data key per object under it, bound to the object's context; a new bucket
key after expiry; old objects still unwrap (through KMS again); the KMS key's state is reported."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_builtin import MINE, grant

from strongroom import clock
from strongroom.crypto.errors import IntegrityError
from strongroom.crypto.keys import DataKey
from strongroom.kms.bucket_keys import BUCKET_KEY_PROVIDER, BucketKeys
from strongroom.kms.builtin import BuiltinKms, KeyState
from strongroom.kms.cache import CacheLimits, CountedKms, KeyCache
from strongroom.meta.engine import MetaStore
from strongroom.observe.counters import KMS_CALLS

TTL = 60.0


@pytest.fixture
def kms(tmp_path: Path) -> Iterator[BuiltinKms]:
    meta = MetaStore(f"sqlite:///{tmp_path / 'meta.db'}")
    try:
        yield BuiltinKms(DataKey.generate(), meta, "us-east-1")
    finally:
        meta.close()
        clock.set_offset(0)


def _bucket_keys(kms: BuiltinKms, max_uses: int = 1000) -> BucketKeys:
    return BucketKeys(CountedKms(kms), kms._meta, KeyCache("test_bk", CacheLimits(TTL, 1000, 100)), ttl_seconds=TTL, max_uses=max_uses)


def _ctx(key: str) -> dict[str, str]:
    return {"aws:s3:arn": f"arn:aws:s3:::b/{key}", "strongroom:blob": key}


def test_objects_get_fresh_data_keys_under_one_bucket_key(kms: BuiltinKms) -> None:
    arn = kms.create_key(grant(MINE), "", {}).arn
    keys = _bucket_keys(kms)
    writer = keys.for_bucket("b", arn)
    generated = KMS_CALLS.value(operation="GenerateDataKey")
    made = [writer.generate_data_key(None, _ctx(str(i))) for i in range(20)]
    assert KMS_CALLS.value(operation="GenerateDataKey") == generated + 1  # the bucket key only
    assert len({dk.reveal_secret_bytes() for dk, _ in made}) == 20
    assert {w.provider for _, w in made} == {BUCKET_KEY_PROVIDER} and len({w.key_id for _, w in made}) == 1
    for i, (dk, wrapped) in enumerate(made):
        assert keys.unwrap(wrapped, _ctx(str(i))) == dk
    with pytest.raises(IntegrityError):
        keys.unwrap(made[0][1], _ctx("1"))  # bound to its own object's context


def test_buckets_and_kms_keys_have_separate_bucket_keys(kms: BuiltinKms) -> None:
    arn1, arn2 = kms.create_key(grant(MINE), "", {}).arn, kms.create_key(grant(MINE), "", {}).arn
    keys = _bucket_keys(kms)
    ids = {keys.current(bucket, arn)[0] for bucket in ("a", "b") for arn in (arn1, arn2)}
    assert len(ids) == 4


def test_expiry_makes_a_new_bucket_key_and_old_data_keys_still_unwrap(kms: BuiltinKms) -> None:
    arn = kms.create_key(grant(MINE), "", {}).arn
    keys = _bucket_keys(kms)
    dk, wrapped = keys.for_bucket("b", arn).generate_data_key(None, _ctx("old"))
    clock.set_offset(TTL + 1)
    _, newer = keys.for_bucket("b", arn).generate_data_key(None, _ctx("new"))
    assert newer.key_id != wrapped.key_id
    fresh = _bucket_keys(kms)  # another process: nothing cached, the stored ciphertext is unwrapped via KMS
    decrypts = KMS_CALLS.value(operation="Decrypt")
    assert fresh.unwrap(wrapped, _ctx("old")) == dk
    assert KMS_CALLS.value(operation="Decrypt") == decrypts + 1


def test_another_process_adopts_the_live_bucket_key(kms: BuiltinKms) -> None:
    arn = kms.create_key(grant(MINE), "", {}).arn
    first = _bucket_keys(kms).current("b", arn)[0]
    assert _bucket_keys(kms).current("b", arn)[0] == first


def test_max_uses_replaces_the_bucket_key(kms: BuiltinKms) -> None:
    arn = kms.create_key(grant(MINE), "", {}).arn
    keys = _bucket_keys(kms, max_uses=2)
    ids = [keys.current("b", arn)[0] for _ in range(3)]
    assert ids[0] == ids[1] != ids[2]  # a third use needs a new key: the used-up one is retired
    assert _bucket_keys(kms).current("b", arn)[0] == ids[2]  # and no other process adopts it


def test_describe_reports_the_kms_keys_state(kms: BuiltinKms) -> None:
    key = kms.create_key(grant(MINE), "", {})
    keys = _bucket_keys(kms)
    bucket_key_id, _ = keys.current("b", key.arn)
    assert keys.describe(bucket_key_id).state == "Enabled" and keys.describe(bucket_key_id).key_id == key.arn
    kms.set_state(grant(MINE), key, KeyState.DISABLED)
    assert keys.describe(bucket_key_id).state == "Disabled"
