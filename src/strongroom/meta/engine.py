"""Engine setup for SQLite (WAL, the default) and PostgreSQL, numbered migrations, and the async bridge.

Every query runs in a worker thread (invariant 8: no blocking on the event loop). Writes on SQLite take
the write lock up front (BEGIN IMMEDIATE) so two writers never deadlock upgrading a read lock.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, inspect, select
from sqlalchemy.pool import QueuePool

from . import schema
from .groupcommit import GroupCommitter

__all__ = ["MetaStore", "SCHEMA_VERSION"]

T = TypeVar("T")

SCHEMA_VERSION = 7
# SQLite's own busy handler backs off to 100 ms sleeps, which gives writers from several processes
# second-long tails. It only covers the first few milliseconds; the write lock is then taken by
# polling every WRITE_LOCK_POLL_SECONDS until WRITE_LOCK_DEADLINE_SECONDS.
SQLITE_BUSY_TIMEOUT_MS = 5
WRITE_LOCK_POLL_SECONDS = 0.0005
WRITE_LOCK_DEADLINE_SECONDS = 30.0
META_THREADS = 16


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(
        url,
        poolclass=QueuePool,
        pool_size=META_THREADS,
        max_overflow=4,
        connect_args={"check_same_thread": False, "timeout": WRITE_LOCK_DEADLINE_SECONDS},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # FULL: the WAL is fsynced at every commit, so an acknowledged write survives power loss.
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("strongroom_write", False):
            _begin_immediate(conn)
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


def _begin_immediate(conn: Connection) -> None:
    """Take SQLite's write lock, polling briefly instead of SQLite's long back-off sleeps."""
    raw = conn.connection.dbapi_connection
    assert raw is not None
    deadline = time.monotonic() + WRITE_LOCK_DEADLINE_SECONDS
    while True:
        try:
            raw.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if ("locked" not in str(exc) and "busy" not in str(exc)) or time.monotonic() > deadline:
                raise
        time.sleep(WRITE_LOCK_POLL_SECONDS)


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_size=META_THREADS, max_overflow=4, pool_pre_ping=True)


def _create_kms_tables(conn: Connection) -> None:
    """1 -> 2: the built-in KMS's keys, aliases and tags."""
    for table in schema.KMS_TABLES:
        table.create(conn, checkfirst=True)


def _kms_lifecycle_and_bucket_keys(conn: Connection) -> None:
    """2 -> 3: KMS rotation, deletion window and key policy columns; key materials; S3 Bucket Keys."""
    existing = {column["name"] for column in inspect(conn).get_columns("kms_keys")}  # 1 -> 2 made the latest shape
    for column in ("current_generation INTEGER NOT NULL DEFAULT 0", "rotation_period_days INTEGER",
                   "next_rotation FLOAT", "deletion_date FLOAT", "policy TEXT"):
        if column.split()[0] not in existing:
            conn.exec_driver_sql(f"ALTER TABLE kms_keys ADD COLUMN {column}")
    schema.kms_key_materials.create(conn, checkfirst=True)
    schema.bucket_keys.create(conn, checkfirst=True)


def _create_account_configs(conn: Connection) -> None:
    """3 -> 4: account-wide configuration documents (account-level Block Public Access)."""
    schema.account_configs.create(conn, checkfirst=True)


def _create_access_points(conn: Connection) -> None:
    """4 -> 5: S3 access points."""
    schema.access_points.create(conn, checkfirst=True)


def _create_iam_tables(conn: Connection) -> None:
    """5 -> 6: IAM groups, inline and managed policies, attachments and roles; users' path and
    permissions boundary; access keys' last use."""
    columns = {
        "users": ("path VARCHAR(512) NOT NULL DEFAULT '/'", "boundary_arn VARCHAR(2048)"),
        "access_keys": ("last_used FLOAT", "last_used_service VARCHAR(32)", "last_used_region VARCHAR(32)"),
    }
    for name, additions in columns.items():
        existing = {column["name"] for column in inspect(conn).get_columns(name)}
        for column in additions:
            if column.split()[0] not in existing:
                conn.exec_driver_sql(f"ALTER TABLE {name} ADD COLUMN {column}")
    for table in schema.IAM_TABLES:
        table.create(conn, checkfirst=True)


def _create_iam_tags(conn: Connection) -> None:
    """6 -> 7: tags of IAM users and roles."""
    schema.iam_tags.create(conn, checkfirst=True)


# Numbered migrations: _MIGRATIONS[v] upgrades a database at version v to version v + 1. Version 1 is
# the first schema (a new database is created at the latest shape, so index 0 never runs).
_MIGRATIONS: tuple[Callable[[Connection], None] | None, ...] = (
    None,
    _create_kms_tables,
    _kms_lifecycle_and_bucket_keys,
    _create_account_configs,
    _create_access_points,
    _create_iam_tables,
    _create_iam_tags,
)
assert len(_MIGRATIONS) == SCHEMA_VERSION, "one migration per schema version"


def _migrate(engine: Engine) -> None:
    """Create a new database at the latest version, or upgrade an old one step by step, in one transaction."""
    with engine.connect().execution_options(strongroom_write=True) as conn, conn.begin():
        schema.schema_version.create(conn, checkfirst=True)
        current = conn.execute(select(schema.schema_version.c.version)).scalar()
        if current is None:
            schema.metadata.create_all(conn)
            conn.execute(schema.schema_version.insert().values(version=SCHEMA_VERSION))
            return
        if current > SCHEMA_VERSION:
            raise RuntimeError(f"metadata schema {current} is newer than this server ({SCHEMA_VERSION})")
        for version in range(current, SCHEMA_VERSION):
            step = _MIGRATIONS[version]
            assert step is not None, f"no migration from schema version {version}"
            step(conn)
        if current != SCHEMA_VERSION:
            conn.execute(schema.schema_version.update().values(version=SCHEMA_VERSION))


class MetaStore:
    """The metadata store: an engine plus a thread pool that runs blocking transactions."""

    def __init__(self, url: str) -> None:
        self.engine = _make_engine(url)
        self.dialect = self.engine.dialect.name
        _migrate(self.engine)
        self._pool = ThreadPoolExecutor(max_workers=META_THREADS, thread_name_prefix="meta")
        self._committer = GroupCommitter(self.engine)

    def read_sync(self, fn: Callable[[Connection], T]) -> T:
        """Run fn in one read transaction on the calling thread."""
        with self.engine.connect() as conn, conn.begin():
            return fn(conn)

    def write_sync(self, fn: Callable[[Connection], T]) -> T:
        """Run fn in one write transaction on the calling thread; the commit is the durable moment."""
        with self.engine.connect().execution_options(strongroom_write=True) as conn, conn.begin():
            return fn(conn)

    async def read(self, fn: Callable[[Connection], T]) -> T:
        """Run fn in one read transaction on a worker thread."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, self.read_sync, fn)

    async def write(self, fn: Callable[[Connection], T]) -> T:
        """Run fn as one write (a savepoint of a group commit); returns once it is committed."""
        result: T = await asyncio.wrap_future(self._committer.submit(fn))
        return result

    def close(self) -> None:
        """Release connections and threads."""
        self._committer.close()
        self._pool.shutdown(wait=True)
        self.engine.dispose()
