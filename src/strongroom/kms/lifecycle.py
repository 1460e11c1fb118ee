"""Key lifecycle rules of the built-in KMS: material generations (rotation) and the deletion window.

Schedule arithmetic and the table operations it needs; ``builtin.BuiltinKms`` applies them lazily
whenever a key is looked up (and workers/key_rotation.py sweeps the keys nobody looks up), so a moved
clock gives the same answer whether or not the worker has run: an automatic rotation is recorded at
the date it was scheduled for, never at the date someone noticed.

Generation 0 is the material a key is created with (kms_keys.key_material); each rotation adds
generation n + 1 to kms_key_materials, sealed by the root key exactly as generation 0 is (bound to the
key id), and makes it current. Older generations stay, so ciphertexts naming them still decrypt.
A destroyed key loses every row: material, tags, aliases and the key itself.

Nothing here sees plaintext key material; callers hand in material already sealed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Connection, Row, delete, func, or_, select

from ..crypto.envelope import encode_context
from ..meta import schema

__all__ = [
    "DAY_SECONDS",
    "ROTATION_PERIOD_DEFAULT_DAYS",
    "ROTATION_PERIOD_MIN_DAYS",
    "ROTATION_PERIOD_MAX_DAYS",
    "PENDING_WINDOW_DEFAULT_DAYS",
    "PENDING_WINDOW_MIN_DAYS",
    "PENDING_WINDOW_MAX_DAYS",
    "ON_DEMAND_ROTATIONS_MAX",
    "RotationType",
    "Rotation",
    "material_context",
    "key_material_id",
    "is_due",
    "due_rotation_dates",
    "add_generation",
    "sealed_material",
    "on_demand_rotations",
    "list_rotations",
    "destroy",
    "due_key_ids",
]

DAY_SECONDS = 86400
# EnableKeyRotation's RotationPeriodInDays (AWS KMS API reference).
ROTATION_PERIOD_DEFAULT_DAYS = 365
ROTATION_PERIOD_MIN_DAYS = 90
ROTATION_PERIOD_MAX_DAYS = 2560
# ScheduleKeyDeletion's PendingWindowInDays (AWS KMS API reference).
PENDING_WINDOW_DEFAULT_DAYS = 30
PENDING_WINDOW_MIN_DAYS = 7
PENDING_WINDOW_MAX_DAYS = 30
# AWS's quota of on-demand rotations per key (RotateKeyOnDemand: LimitExceededException beyond it).
ON_DEMAND_ROTATIONS_MAX = 10
# A clock moved by years past a 90-day period catches up at most this many rotations per lookup.
_CATCH_UP_MAX_ROTATIONS = 64


class RotationType(StrEnum):
    """How a generation came to be, valued as ListKeyRotations spells it."""

    AUTOMATIC = "AUTOMATIC"
    ON_DEMAND = "ON_DEMAND"


@dataclass(frozen=True, slots=True)
class Rotation:
    """One material generation of a key; generation 0 (the initial material) has no rotation date or type."""

    key_id: str
    generation: int
    rotation_date: float | None
    rotation_type: RotationType | None


def material_context(key_id: str) -> bytes:
    """The context every generation's material is sealed under by the root key (bound to the key id)."""
    return encode_context({"purpose": "kms-key", "key_id": key_id})


def key_material_id(key_id: str, generation: int) -> str:
    """A stable public name for one generation (AWS's KeyMaterialId: 64 hex digits); reveals nothing of it."""
    return hashlib.sha256(f"strongroom kms key material\x00{key_id}\x00{generation}".encode()).hexdigest()


def is_due(row: Row[tuple[object, ...]], now: float) -> bool:
    """Has the clock passed this key's deletion date, or (while Enabled) its next rotation?"""
    if row.deletion_date is not None and row.deletion_date <= now:
        return True
    return row.state == "Enabled" and row.next_rotation is not None and row.next_rotation <= now


def due_rotation_dates(next_rotation: float, period_days: int, now: float) -> tuple[list[float], float]:
    """The scheduled dates of the automatic rotations due by ``now`` (oldest first) and the next one after."""
    period = period_days * DAY_SECONDS
    dates: list[float] = []
    when = next_rotation
    while when <= now and len(dates) < _CATCH_UP_MAX_ROTATIONS:
        dates.append(when)
        when += period
    if when <= now:  # more were due than one catch-up records: the schedule resumes from now
        when = now + period
    return dates, when


def add_generation(conn: Connection, key_id: str, generation: int, sealed: bytes, created: float, rotation_type: RotationType) -> None:
    """Store a new generation's sealed material (a concurrent rotation to the same number fails: primary key)."""
    conn.execute(
        schema.kms_key_materials.insert().values(
            key_id=key_id, generation=generation, material=sealed, created=created, rotation_type=rotation_type.value
        )
    )


def sealed_material(conn: Connection, key_id: str, generation: int) -> bytes | None:
    """The sealed material of one generation, None if the key has no such generation."""
    if generation == 0:
        t = schema.kms_keys
        return conn.execute(select(t.c.key_material).where(t.c.key_id == key_id)).scalar()
    m = schema.kms_key_materials
    return conn.execute(select(m.c.material).where(m.c.key_id == key_id, m.c.generation == generation)).scalar()


def on_demand_rotations(conn: Connection, key_id: str) -> int:
    """How many on-demand rotations a key has had (AWS limits them per key)."""
    m = schema.kms_key_materials
    count = conn.execute(
        select(func.count()).select_from(m).where(m.c.key_id == key_id, m.c.rotation_type == RotationType.ON_DEMAND.value)
    ).scalar()
    return int(count or 0)


def list_rotations(conn: Connection, key_id: str, include_initial: bool, limit: int, after: int | None) -> tuple[list[Rotation], int | None]:
    """One page of a key's generations, oldest first, after generation ``after``; and the next page's marker."""
    m = schema.kms_key_materials
    query = select(m.c.generation, m.c.created, m.c.rotation_type).where(m.c.key_id == key_id).order_by(m.c.generation)
    rotations: list[Rotation] = []
    if include_initial and after is None:
        rotations.append(Rotation(key_id, 0, None, None))
    if after is not None:
        query = query.where(m.c.generation > after)
    query = query.limit(limit + 1 - len(rotations))
    rotations += [Rotation(key_id, r.generation, r.created, RotationType(r.rotation_type)) for r in conn.execute(query).all()]
    if len(rotations) > limit:
        return rotations[:limit], rotations[limit - 1].generation
    return rotations, None


def destroy(conn: Connection, key_id: str, account_id: str) -> None:
    """Delete a key past its deletion window: every generation's material, its tags, aliases and row."""
    conn.execute(delete(schema.kms_key_materials).where(schema.kms_key_materials.c.key_id == key_id))
    conn.execute(delete(schema.kms_tags).where(schema.kms_tags.c.key_id == key_id))
    a = schema.kms_aliases
    conn.execute(delete(a).where(a.c.account_id == account_id, a.c.key_id == key_id))
    conn.execute(delete(schema.kms_keys).where(schema.kms_keys.c.key_id == key_id))


def due_key_ids(conn: Connection, now: float, account_id: str | None = None, limit: int = 1000) -> list[str]:
    """Keys whose deletion date has passed, or (Enabled) whose next rotation has: what a catch-up must visit."""
    t = schema.kms_keys
    query = select(t.c.key_id).where(
        or_(t.c.deletion_date <= now, (t.c.state == "Enabled") & (t.c.next_rotation <= now))
    ).limit(limit)
    if account_id is not None:
        query = query.where(t.c.account_id == account_id)
    return [str(k) for k in conn.execute(query).scalars()]
