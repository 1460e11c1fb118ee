"""Group commit on real SQLite: concurrent writes share commits; one failing write harms no other."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import Connection, select

from strongroom.meta import schema
from strongroom.meta.engine import MetaStore


def _insert(name: str, fail: bool = False):  # type: ignore[no-untyped-def]
    def write(conn: Connection) -> str:
        conn.execute(schema.bucket_configs.insert().values(bucket=name, kind="k", document="{}"))
        if fail:
            raise ValueError("this write fails after its insert")
        return name

    return write


def test_concurrent_writes_commit_and_a_failing_one_is_rolled_back_alone(tmp_path: Path) -> None:
    store = MetaStore(f"sqlite:///{tmp_path / 'meta.db'}")

    async def main() -> list[object]:
        jobs = [store.write(_insert(f"b{i}", fail=(i == 7))) for i in range(50)]
        return await asyncio.gather(*jobs, return_exceptions=True)

    try:
        results = asyncio.run(main())
        assert isinstance(results[7], ValueError)
        assert [r for i, r in enumerate(results) if i != 7] == [f"b{i}" for i in range(50) if i != 7]
        names = store.read_sync(lambda c: {r[0] for r in c.execute(select(schema.bucket_configs.c.bucket)).all()})
        assert names == {f"b{i}" for i in range(50) if i != 7}
    finally:
        store.close()


def test_a_write_is_visible_to_a_new_connection_once_acknowledged(tmp_path: Path) -> None:
    store = MetaStore(f"sqlite:///{tmp_path / 'meta.db'}")
    try:
        asyncio.run(store.write(_insert("seen")))
        other = MetaStore(f"sqlite:///{tmp_path / 'meta.db'}")
        try:
            assert other.read_sync(lambda c: c.execute(select(schema.bucket_configs.c.bucket)).scalar()) == "seen"
        finally:
            other.close()
    finally:
        store.close()


def test_duplicate_key_error_reaches_only_its_caller(tmp_path: Path) -> None:
    store = MetaStore(f"sqlite:///{tmp_path / 'meta.db'}")

    async def main() -> list[object]:
        return await asyncio.gather(store.write(_insert("dup")), store.write(_insert("dup")), store.write(_insert("other")), return_exceptions=True)

    try:
        results = asyncio.run(main())
        assert results[0] == "dup" and results[2] == "other"
        assert isinstance(results[1], Exception)
    finally:
        store.close()
