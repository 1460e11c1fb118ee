"""Root key rotation, online: a new root key, every root-sealed row rewrapped, the old key dropped.

Blobs are never touched: the root key seals only small rows (service keys, KMS key material, access
key secrets), and the keys those rows hold stay the same, so everything they wrap still opens.
Servers keep serving throughout: every process opens with any key of the root key file and re-reads
the file when a value needs a key it does not hold, and checks the file before sealing (kms/root_key.py).

Steps (each safe to repeat; an interrupted rotation resumes where it stopped):
  1. read the file; if it already holds several keys, a rotation was interrupted: resume it;
  2. else write it atomically with a fresh key as current and the old one still there;
  3. wait a grace period, so a seal that began under the old key has committed;
  4. rewrap every row sealed by an old key, compare-and-swap, until a pass finds none;
  5. write the file with the new key alone;
  6. one more pass, the old key still in memory, for a seal that raced step 5.

Lives in service/ because it needs the sealing contexts of service/ (access keys) and kms/ rows.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Row, Table, and_, select, update

from ..crypto.errors import IntegrityError
from ..crypto.keys import DataKey
from ..kms.lifecycle import material_context
from ..kms.root_key import RootKeyring, read_root_keys, write_root_keys
from ..kms.server_keys import service_key_context
from ..meta import schema
from ..meta.engine import MetaStore
from .accounts import secret_context

__all__ = ["RotationReport", "SEALED_COLUMNS", "SealedColumn", "rotate_root_key"]

DEFAULT_GRACE_SECONDS = 2.0
_BATCH_ROWS = 200
_MAX_PASSES = 10


@dataclass(frozen=True, slots=True)
class SealedColumn:
    """A metadata column whose values the root key seals, and the context each row's value is bound to."""

    table: Table
    column: str
    context: Callable[[Row[tuple[object, ...]]], bytes]


# Every value the root key seals. A new root-sealed column must be added here, or rotation would
# leave it sealed by a key it then deletes (tests/kms/test_root_key_rotation.py checks the old key
# opens nothing afterwards).
SEALED_COLUMNS: tuple[SealedColumn, ...] = (
    SealedColumn(schema.access_keys, "secret_sealed", lambda r: secret_context(r.access_key_id)),
    SealedColumn(schema.service_keys, "key_sealed", lambda r: service_key_context(r.key_id)),
    SealedColumn(schema.kms_keys, "key_material", lambda r: material_context(r.key_id)),
    SealedColumn(schema.kms_key_materials, "material", lambda r: material_context(r.key_id)),
)


@dataclass(slots=True)
class RotationReport:
    """What a rotation did."""

    new_key_id: str
    old_key_ids: list[str]
    resumed: bool
    rewrapped: dict[str, int] = field(default_factory=dict)
    unreadable: dict[str, int] = field(default_factory=dict)


def rotate_root_key(path: Path, meta: MetaStore, grace_seconds: float = DEFAULT_GRACE_SECONDS) -> RotationReport:
    """Rotate the root key of ``path`` over the metadata in ``meta`` (see the module's steps)."""
    keys = read_root_keys(path)  # 1.
    resumed = len(keys.keys) > 1
    if not resumed:
        keys = keys.with_new_current(DataKey.generate())
        write_root_keys(path, keys)  # 2.
    report = RotationReport(keys.current.key_id, keys.ids()[1:], resumed)
    ring = RootKeyring(keys)
    time.sleep(grace_seconds)  # 3.
    for _ in range(_MAX_PASSES):  # 4.
        if not _rewrap_pass(meta, ring, report):
            break
    else:
        raise RuntimeError("rows sealed by the old root key keep appearing; is a server running with another root key file?")
    write_root_keys(path, keys.current_only())  # 5.
    _rewrap_pass(meta, ring, report)  # 6.
    return report


def _rewrap_pass(meta: MetaStore, ring: RootKeyring, report: RotationReport) -> int:
    """Rewrap every row an old key sealed; how many were."""
    total = 0
    for sealed in SEALED_COLUMNS:
        name = f"{sealed.table.name}.{sealed.column}"
        rows = meta.read_sync(functools.partial(_all_rows, table=sealed.table))
        for start in range(0, len(rows), _BATCH_ROWS):
            done, unreadable = meta.write_sync(functools.partial(_rewrap_rows, ring=ring, sealed=sealed, rows=rows[start : start + _BATCH_ROWS]))
            total += done
            report.rewrapped[name] = report.rewrapped.get(name, 0) + done
            if unreadable:
                report.unreadable[name] = max(report.unreadable.get(name, 0), unreadable)
    return total


def _all_rows(conn: Connection, *, table: Table) -> list[Row[tuple[object, ...]]]:
    return list(conn.execute(select(table)).all())


def _rewrap_rows(conn: Connection, *, ring: RootKeyring, sealed: SealedColumn, rows: list[Row[tuple[object, ...]]]) -> tuple[int, int]:
    column = sealed.table.c[sealed.column]
    done = unreadable = 0
    for row in rows:
        value = row._mapping[sealed.column]
        try:
            fresh = ring.rewrap(value, sealed.context(row))
        except IntegrityError:
            unreadable += 1  # opens with no root key at all: nothing a rotation can lose or save
            continue
        if fresh is None:
            continue
        key = and_(*(c == row._mapping[c.name] for c in sealed.table.primary_key.columns))
        # Compare-and-swap: a row changed since it was read is left for the next pass.
        done += conn.execute(update(sealed.table).where(key, column == value).values({sealed.column: fresh})).rowcount
    return done, unreadable
