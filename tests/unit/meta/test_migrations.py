"""Numbered migrations on real SQLite: a version-1 or version-2 database opens at the latest version with its rows intact."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select

from strongroom.meta import schema
from strongroom.meta.engine import SCHEMA_VERSION, MetaStore

_LATER_TABLES = (*schema.KMS_TABLES, schema.kms_key_materials, schema.bucket_keys)
_V1_TABLES = [t for t in schema.metadata.sorted_tables if t not in _LATER_TABLES]


def _make_v1_database(path: Path) -> str:
    """Build schema version 1 as it shipped: every table but the KMS ones, version row 1, one account."""
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    with engine.begin() as conn:
        schema.metadata.create_all(conn, tables=_V1_TABLES)
        conn.execute(schema.schema_version.insert().values(version=1))
        conn.execute(
            schema.accounts.insert().values(
                account_id="111122223333", name="old", canonical_id="c" * 64, display_name="old", created=1.0
            )
        )
    engine.dispose()
    return url


def test_a_version_1_database_is_upgraded_to_the_latest_version_keeping_its_rows(tmp_path: Path) -> None:
    url = _make_v1_database(tmp_path / "meta.db")
    assert "kms_keys" not in inspect(create_engine(url)).get_table_names()

    store = MetaStore(url)
    try:
        tables = set(inspect(store.engine).get_table_names())
        assert {"kms_keys", "kms_aliases", "kms_tags", "kms_key_materials", "bucket_keys"} <= tables
        assert store.read_sync(lambda c: c.execute(select(schema.schema_version.c.version)).scalar_one()) == SCHEMA_VERSION
        assert store.read_sync(lambda c: c.execute(select(schema.accounts.c.name)).scalars().all()) == ["old"]
        store.write_sync(
            lambda c: c.execute(
                schema.kms_aliases.insert().values(account_id="111122223333", alias_name="alias/a", key_id="k", created=1.0, updated=1.0)
            )
        )
    finally:
        store.close()


def test_opening_an_upgraded_database_again_is_a_no_op(tmp_path: Path) -> None:
    url = _make_v1_database(tmp_path / "meta.db")
    MetaStore(url).close()
    store = MetaStore(url)
    try:
        versions = store.read_sync(lambda c: c.execute(select(schema.schema_version.c.version)).scalars().all())
        assert versions == [SCHEMA_VERSION]
    finally:
        store.close()


def test_a_new_database_starts_at_the_latest_version(tmp_path: Path) -> None:
    store = MetaStore(f"sqlite:///{tmp_path / 'meta.db'}")
    try:
        assert store.read_sync(lambda c: c.execute(select(schema.schema_version.c.version)).scalar_one()) == SCHEMA_VERSION
        assert {t.name for t in schema.metadata.sorted_tables} <= set(inspect(store.engine).get_table_names())
    finally:
        store.close()


def test_a_database_newer_than_the_server_is_refused(tmp_path: Path) -> None:
    url = _make_v1_database(tmp_path / "meta.db")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(schema.schema_version.update().values(version=SCHEMA_VERSION + 1))
    engine.dispose()
    with pytest.raises(RuntimeError, match="newer"):
        MetaStore(url)


def test_a_version_2_database_gains_the_kms_lifecycle_columns_keeping_its_keys(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'meta.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        schema.metadata.create_all(conn, tables=_V1_TABLES)
        conn.exec_driver_sql(
            "CREATE TABLE kms_keys (key_id VARCHAR(36) PRIMARY KEY, account_id VARCHAR(12) NOT NULL, arn VARCHAR(255) NOT NULL,"
            " description TEXT NOT NULL, state VARCHAR(24) NOT NULL, created FLOAT NOT NULL, key_material BLOB NOT NULL)"
        )
        schema.metadata.create_all(conn, tables=[schema.kms_aliases, schema.kms_tags])
        conn.execute(schema.schema_version.insert().values(version=2))
        conn.exec_driver_sql("INSERT INTO kms_keys VALUES ('k1', '111122223333', 'arn:k1', '', 'Enabled', 1.0, x'00')")
    engine.dispose()

    store = MetaStore(url)
    try:
        row = store.read_sync(lambda c: c.execute(select(schema.kms_keys)).one())
        assert (row.key_id, row.current_generation, row.policy, row.deletion_date) == ("k1", 0, None, None)
        assert {"kms_key_materials", "bucket_keys"} <= set(inspect(store.engine).get_table_names())
    finally:
        store.close()


def test_a_version_4_database_gains_the_iam_tables_tags_and_columns_keeping_users_and_keys(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'meta.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        later = {*schema.IAM_TABLES, schema.iam_tags, schema.users, schema.access_keys}
        schema.metadata.create_all(conn, tables=[t for t in schema.metadata.sorted_tables if t not in later])
        conn.exec_driver_sql("CREATE TABLE users (account_id VARCHAR(12) NOT NULL, user_name VARCHAR(64) NOT NULL,"
                             " user_id VARCHAR(32) NOT NULL UNIQUE, created FLOAT NOT NULL, PRIMARY KEY (account_id, user_name))")
        conn.exec_driver_sql("CREATE TABLE access_keys (access_key_id VARCHAR(128) PRIMARY KEY, account_id VARCHAR(12) NOT NULL,"
                             " user_name VARCHAR(64), secret_sealed BLOB NOT NULL, status VARCHAR(16) NOT NULL, created FLOAT NOT NULL)")
        conn.execute(schema.schema_version.insert().values(version=4))
        conn.exec_driver_sql("INSERT INTO users VALUES ('111122223333', 'alice', 'AIDAOLD', 1.0)")
        conn.exec_driver_sql("INSERT INTO access_keys VALUES ('AKIAOLD', '111122223333', 'alice', x'00', 'Active', 1.0)")
    engine.dispose()

    store = MetaStore(url)
    try:
        user = store.read_sync(lambda c: c.execute(select(schema.users)).one())
        assert (user.user_name, user.path, user.boundary_arn) == ("alice", "/", None)
        key = store.read_sync(lambda c: c.execute(select(schema.access_keys)).one())
        assert (key.access_key_id, key.status, key.last_used, key.last_used_service) == ("AKIAOLD", "Active", None, None)
        assert {t.name for t in (*schema.IAM_TABLES, schema.iam_tags)} <= set(inspect(store.engine).get_table_names())
    finally:
        store.close()
