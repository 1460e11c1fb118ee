"""Rotation handlers: EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand,
ListKeyRotations. Rotations are immediate here, so no on-demand rotation is ever "in progress"
(GetKeyRotationStatus never reports OnDemandRotationStartDate)."""

from __future__ import annotations

from ...errors import S3Error
from ...kms import lifecycle
from ...kms.lifecycle import Rotation
from .context import KmsContext
from .keys import LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX
from .params import Params

__all__ = ["enable_key_rotation", "disable_key_rotation", "get_key_rotation_status", "rotate_key_on_demand", "list_key_rotations"]

_INCLUDE_KEY_MATERIAL = ("ROTATIONS_ONLY", "ALL_KEY_MATERIAL")


async def enable_key_rotation(p: Params, ctx: KmsContext) -> dict[str, object] | None:
    """EnableKeyRotation: rotate automatically every RotationPeriodInDays (90-2560, default 365)."""
    key = await ctx.resolve(p.string("KeyId"))
    period = p.integer("RotationPeriodInDays", lifecycle.ROTATION_PERIOD_DEFAULT_DAYS, lifecycle.ROTATION_PERIOD_MIN_DAYS, lifecycle.ROTATION_PERIOD_MAX_DAYS)
    await ctx.run(ctx.kms.enable_rotation, ctx.authorize(key), key, period)
    return None


async def disable_key_rotation(p: Params, ctx: KmsContext) -> dict[str, object] | None:
    """DisableKeyRotation: no more automatic rotations; older material still decrypts."""
    key = await ctx.resolve(p.string("KeyId"))
    await ctx.run(ctx.kms.disable_rotation, ctx.authorize(key), key)
    return None


async def get_key_rotation_status(p: Params, ctx: KmsContext) -> dict[str, object] | None:
    """GetKeyRotationStatus: whether automatic rotation is on, its period and next date."""
    key = await ctx.resolve(p.string("KeyId"))
    ctx.authorize(key)
    result: dict[str, object] = {"KeyRotationEnabled": key.rotation_period_days is not None, "KeyId": key.key_id}
    if key.rotation_period_days is not None:
        result["RotationPeriodInDays"] = key.rotation_period_days
        result["NextRotationDate"] = key.next_rotation
    return result


async def rotate_key_on_demand(p: Params, ctx: KmsContext) -> dict[str, object] | None:
    """RotateKeyOnDemand: new current material now (at most 10 per key); the schedule is unchanged."""
    key = await ctx.resolve(p.string("KeyId"))
    await ctx.run(ctx.kms.rotate_on_demand, ctx.authorize(key), key)
    return {"KeyId": key.key_id}


def _marker(p: Params) -> int | None:
    text = p.optional_string("Marker", 1024)
    if text is None:
        return None
    if not text.isdigit() or len(text) > 10:
        raise S3Error("InvalidMarkerException", "The marker is not valid.")
    return int(text)


def _entry(rotation: Rotation, current: int) -> dict[str, object]:
    entry: dict[str, object] = {
        "KeyId": rotation.key_id,
        "KeyMaterialId": lifecycle.key_material_id(rotation.key_id, rotation.generation),
        "KeyMaterialState": "CURRENT" if rotation.generation == current else "NON_CURRENT",
    }
    if rotation.rotation_type is not None:
        entry["RotationDate"] = rotation.rotation_date
        entry["RotationType"] = rotation.rotation_type.value
    return entry


async def list_key_rotations(p: Params, ctx: KmsContext) -> dict[str, object] | None:
    """ListKeyRotations: the key's rotations oldest first (ALL_KEY_MATERIAL adds the initial material)."""
    key = await ctx.resolve(p.string("KeyId"))
    include = p.optional_string("IncludeKeyMaterial") or "ROTATIONS_ONLY"
    if include not in _INCLUDE_KEY_MATERIAL:
        raise S3Error("ValidationException", f"1 validation error detected: Value '{include}' at 'includeKeyMaterial' failed to satisfy constraint: Member must satisfy enum value set: [ALL_KEY_MATERIAL, ROTATIONS_ONLY]")
    limit = p.integer("Limit", LIST_LIMIT_DEFAULT, 1, LIST_LIMIT_MAX)
    after = _marker(p)
    ctx.authorize(key)
    rotations, next_marker = await ctx.run(ctx.kms.list_rotations, key, include == "ALL_KEY_MATERIAL", limit, after)
    result: dict[str, object] = {"Rotations": [_entry(r, key.generation) for r in rotations], "Truncated": next_marker is not None}
    if next_marker is not None:
        result["NextMarker"] = str(next_marker)
    return result
