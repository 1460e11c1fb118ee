"""Key lifecycle on real SQLite with the in-process clock moved: the worker's pass rotates keys nobody
looks up (at their scheduled dates) and destroys keys past their window; provider wraps follow the
current generation while older wraps still open; the schedule arithmetic."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Table, func, select

from strongroom import clock
from strongroom.crypto import kmsblob
from strongroom.crypto.keys import DataKey
from strongroom.grant import Grant
from strongroom.kms import lifecycle
from strongroom.kms.builtin import BuiltinKms
from strongroom.kms.provider import KeyUnavailable
from strongroom.meta import schema
from strongroom.meta.engine import MetaStore
from strongroom.workers.key_rotation import KeyLifecycleWorker

ACCOUNT = "111111111111"
DAY = lifecycle.DAY_SECONDS


@pytest.fixture
def kms(tmp_path: Path) -> Iterator[BuiltinKms]:
    meta = MetaStore(f"sqlite:///{tmp_path / 'meta.db'}")
    try:
        yield BuiltinKms(DataKey.generate(), meta, "us-east-1")
    finally:
        clock.set_offset(0)
        meta.close()


def _grant() -> Grant:
    return Grant.for_worker("test", ACCOUNT)


def _count(kms: BuiltinKms, table: Table, key_id: str) -> int:
    t = table
    return int(kms._meta.read_sync(lambda c: c.execute(select(func.count()).select_from(t).where(t.c.key_id == key_id)).scalar()))


def test_the_worker_rotates_an_unobserved_key_at_its_scheduled_dates(kms: BuiltinKms) -> None:
    key = kms.create_key(_grant(), "", {})
    kms.enable_rotation(_grant(), key, 90)
    due = kms.resolve(ACCOUNT, key.key_id).next_rotation
    assert due is not None
    clock.set_offset(181 * DAY)
    assert KeyLifecycleWorker(kms).run_once_sync() == 1
    m = schema.kms_key_materials
    rows = kms._meta.read_sync(lambda c: c.execute(select(m.c.generation, m.c.created, m.c.rotation_type).where(m.c.key_id == key.key_id).order_by(m.c.generation)).all())
    assert [(r.generation, r.created, r.rotation_type) for r in rows] == [(1, due, "AUTOMATIC"), (2, due + 90 * DAY, "AUTOMATIC")]
    assert KeyLifecycleWorker(kms).run_once_sync() == 0  # idempotent: nothing left to do
    assert kms.resolve(ACCOUNT, key.key_id).generation == 2


def test_the_worker_destroys_a_key_past_its_window_with_its_material_tags_and_aliases(kms: BuiltinKms) -> None:
    key = kms.create_key(_grant(), "", {"team": "a"})
    kms.create_alias(_grant(), "alias/doomed", key)
    kms.rotate_on_demand(_grant(), key)
    kms.schedule_deletion(_grant(), kms.resolve(ACCOUNT, key.key_id), 7)
    clock.set_offset(7 * DAY - 60)
    assert KeyLifecycleWorker(kms).run_once_sync() == 0
    clock.set_offset(7 * DAY + 1)
    assert KeyLifecycleWorker(kms).run_once_sync() == 1
    for table in (schema.kms_keys, schema.kms_key_materials, schema.kms_tags, schema.kms_aliases):
        assert _count(kms, table, key.key_id) == 0, table.name


def test_wraps_use_the_current_generation_and_older_wraps_still_open(kms: BuiltinKms) -> None:
    key = kms.create_key(_grant(), "", {})
    data_key = DataKey.generate()
    old = kms.wrap(key.arn, data_key, {"c": "1"})
    assert kms.rotate(key.arn) == key.arn
    new = kms.wrap(key.arn, data_key, {"c": "1"})
    assert (kmsblob.read_header(old.wrapped).generation, kmsblob.read_header(new.wrapped).generation) == (0, 1)
    for wrapped in (old, new):
        assert kms.unwrap(wrapped, {"c": "1"}).reveal_secret_bytes() == data_key.reveal_secret_bytes()


def test_a_destroyed_keys_wraps_never_open_again(kms: BuiltinKms) -> None:
    key = kms.create_key(_grant(), "", {})
    wrapped = kms.wrap(key.arn, DataKey.generate(), {})
    kms.schedule_deletion(_grant(), key, 30)
    clock.set_offset(31 * DAY)
    with pytest.raises(KeyUnavailable):
        kms.describe(key.arn)
    with pytest.raises(KeyUnavailable):
        kms.unwrap(wrapped, {})


def test_due_rotation_dates_lists_each_missed_date_and_caps_a_huge_jump() -> None:
    assert lifecycle.due_rotation_dates(100.0, 90, 99.0) == ([], 100.0)
    assert lifecycle.due_rotation_dates(100.0, 90, 100.0 + 90 * DAY) == ([100.0, 100.0 + 90 * DAY], 100.0 + 180 * DAY)
    now = 100.0 + 90 * DAY * 1000
    dates, following = lifecycle.due_rotation_dates(100.0, 90, now)
    assert len(dates) == 64 and following == now + 90 * DAY
