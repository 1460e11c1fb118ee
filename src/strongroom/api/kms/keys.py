"""Key handlers: CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey, ScheduleKeyDeletion, CancelKeyDeletion."""

from __future__ import annotations

from ...errors import S3Error
from ...kms import lifecycle
from ...kms.builtin import KeyState, KmsKey
from ...kms.key_policy import key_use_context
from .context import KmsContext
from .params import Params
from .policies import POLICY_MAX_CHARS, check_lockout, validated_policy

__all__ = [
    "create_key", "describe_key", "list_keys", "enable_key", "disable_key", "schedule_key_deletion", "cancel_key_deletion",
    "key_metadata", "SYMMETRIC_DEFAULT",
]

SYMMETRIC_DEFAULT = "SYMMETRIC_DEFAULT"
DESCRIPTION_MAX_CHARS = 8192
LIST_LIMIT_MAX = 1000
LIST_LIMIT_DEFAULT = 100
NEW_KEY_ID = "00000000-0000-0000-0000-000000000000"  # stands for a key CreateKey has not made yet


def key_metadata(key: KmsKey, *, aws_managed: bool = False) -> dict[str, object]:
    """KeyMetadata as DescribeKey and CreateKey return it (DeletionDate while pending deletion)."""
    metadata: dict[str, object] = {
        "AWSAccountId": key.account_id,
        "KeyId": key.key_id,
        "Arn": key.arn,
        "CreationDate": key.created,
        "Enabled": key.state is KeyState.ENABLED,
        "Description": key.description,
        "KeyUsage": "ENCRYPT_DECRYPT",
        "KeyState": key.state.value,
        "Origin": "AWS_KMS",
        "KeyManager": "AWS" if aws_managed else "CUSTOMER",
        "CustomerMasterKeySpec": SYMMETRIC_DEFAULT,
        "KeySpec": SYMMETRIC_DEFAULT,
        "EncryptionAlgorithms": [SYMMETRIC_DEFAULT],
        "MultiRegion": False,
        "CurrentKeyMaterialId": lifecycle.key_material_id(key.key_id, key.generation),
    }
    if key.deletion_date is not None:
        metadata["DeletionDate"] = key.deletion_date
    return metadata


async def create_key(p: Params, ctx: KmsContext) -> dict[str, object] | None:
    """CreateKey: a symmetric AES-256 key of the caller's account (other specs: not yet)."""
    description = p.optional_string("Description", DESCRIPTION_MAX_CHARS) or ""
    for name, supported in (("KeyUsage", "ENCRYPT_DECRYPT"), ("KeySpec", SYMMETRIC_DEFAULT),
                            ("CustomerMasterKeySpec", SYMMETRIC_DEFAULT), ("Origin", "AWS_KMS")):
        value = p.optional_string(name)
        if value is not None and value != supported:
            raise S3Error("UnsupportedOperationException", f"{name} {value} is not supported; only {supported}.")
    if p.flag("MultiRegion"):
        raise S3Error("UnsupportedOperationException", "Multi-Region keys are not supported.")
    tags = p.tags("Tags")
    policy = p.optional_string("Policy", POLICY_MAX_CHARS)
    bypass = p.flag("BypassPolicyLockoutSafetyCheck")
    grant = ctx.authorize(None)
    if policy is not None:  # the lockout check as for PutKeyPolicy, on the key about to exist
        new_key_arn = ctx.kms.key_arn(ctx.account_id, NEW_KEY_ID)
        check_lockout(validated_policy(policy), key_use_context(ctx.caller, new_key_arn, ctx.account_id, "kms:PutKeyPolicy"), bypass)
    key = await ctx.run(ctx.kms.create_key, grant, description, tags, policy)
    return {"KeyMetadata": key_metadata(key)}


async def describe_key(p: Params, ctx: KmsContext) -> dict[str, object] | None:
    """DescribeKey: metadata of a key named by id, ARN, alias name or alias ARN."""
    key = await ctx.resolve(p.string("KeyId"))
    ctx.authorize(key)
    return {"KeyMetadata": key_metadata(key, aws_managed=await ctx.run(ctx.kms.is_aws_managed, key))}


async def list_keys(p: Params, ctx: KmsContext) -> dict[str, object] | None:
    """ListKeys: the caller's account's keys, paged by Marker."""
    limit = p.integer("Limit", LIST_LIMIT_DEFAULT, 1, LIST_LIMIT_MAX)
    marker = p.optional_string("Marker", 1024)
    ctx.authorize(None)
    keys, next_marker = await ctx.run(ctx.kms.list_keys, ctx.account_id, limit, marker)
    result: dict[str, object] = {"Keys": [{"KeyId": k.key_id, "KeyArn": k.arn} for k in keys], "Truncated": next_marker is not None}
    if next_marker is not None:
        result["NextMarker"] = next_marker
    return result


async def enable_key(p: Params, ctx: KmsContext) -> dict[str, object] | None:
    """EnableKey: a disabled key may be used again."""
    key = await ctx.resolve(p.string("KeyId"))
    await ctx.run(ctx.kms.set_state, ctx.authorize(key), key, KeyState.ENABLED)
    return None


async def disable_key(p: Params, ctx: KmsContext) -> dict[str, object] | None:
    """DisableKey: cryptographic operations with the key fail with DisabledException until enabled."""
    key = await ctx.resolve(p.string("KeyId"))
    await ctx.run(ctx.kms.set_state, ctx.authorize(key), key, KeyState.DISABLED)
    return None


async def schedule_key_deletion(p: Params, ctx: KmsContext) -> dict[str, object] | None:
    """ScheduleKeyDeletion: PendingDeletion for PendingWindowInDays (7-30, default 30), then destroyed."""
    key = await ctx.resolve(p.string("KeyId"))
    window = p.integer("PendingWindowInDays", lifecycle.PENDING_WINDOW_DEFAULT_DAYS, lifecycle.PENDING_WINDOW_MIN_DAYS, lifecycle.PENDING_WINDOW_MAX_DAYS)
    pending = await ctx.run(ctx.kms.schedule_deletion, ctx.authorize(key), key, window)
    return {"KeyId": pending.arn, "DeletionDate": pending.deletion_date, "KeyState": pending.state.value, "PendingWindowInDays": window}


async def cancel_key_deletion(p: Params, ctx: KmsContext) -> dict[str, object] | None:
    """CancelKeyDeletion: the key stays, Disabled until enabled (as AWS leaves it)."""
    key = await ctx.resolve(p.string("KeyId"))
    await ctx.run(ctx.kms.cancel_deletion, ctx.authorize(key), key)
    return {"KeyId": key.arn}
