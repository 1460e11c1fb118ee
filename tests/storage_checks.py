"""Looks at a test server's data dir from outside: after a sweep, no blob is left that nothing names."""

from __future__ import annotations

import sqlite3


def assert_no_orphans_after_sweep(server) -> None:  # type: ignore[no-untyped-def]
    """Run the sweeper now (no grace: tests in one worker run one at a time) and check the blob store."""
    server.cli("admin", "sweep", "--grace-seconds", "0")
    db = sqlite3.connect(server.data_dir / "meta.db")
    try:
        live = {row[0] for row in db.execute("select blob_id from blobs where live")}
    finally:
        db.close()
    on_disk = {p.name for p in (server.data_dir / "blobs").rglob("*") if p.is_file()}
    assert on_disk <= live, f"blobs nothing references: {sorted(on_disk - live)[:5]}"
    assert not any((server.data_dir / "tmp").iterdir()), "temporary upload files left behind"
